/**
 * A single-consumer async queue: the producer pushes values and ends or fails it; the consumer
 * iterates with `for await`. Values pushed before iteration starts are kept. Leaving the loop
 * early (`break`, `return`, a throw) calls `onCancel`, which is how the consumer stops a generation.
 *
 * @example
 * const ch = new PieceChannel<number>(() => console.log('cancelled'));
 * ch.push(1); ch.end();
 * for await (const v of ch) console.log(v); // 1
 */
export class PieceChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private done = false;
  private error: unknown = undefined;
  private waiter: (() => void) | undefined;
  private iterating = false;

  constructor(private readonly onCancel: () => void) {}

  push(value: T): void {
    if (this.done) return;
    this.buffer.push(value);
    this.wake();
  }

  end(): void {
    this.done = true;
    this.wake();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.error = error;
    this.done = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterating) throw new Error('a generation stream can be iterated once');
    this.iterating = true;
    return {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          if (this.buffer.length > 0) return { value: this.buffer.shift()!, done: false };
          if (this.done) {
            if (this.error !== undefined) throw this.error;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (this.waiter = resolve));
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        if (!this.done) this.onCancel();
        this.buffer.length = 0;
        return { value: undefined, done: true };
      },
    };
  }
}
