import cliProgress from 'cli-progress';

/** A byte-based progress bar on stderr, drawn only when stderr is a terminal and output is not JSON. */
export class ProgressBar {
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    enabled: boolean,
    readonly label: string,
  ) {
    if (!enabled || !process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} {bar} {percentage}% | {mb}/{totalMb} MB | {documents} docs | {file}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(done: number, total: number, payload: { documents: number; file: string }): void {
    if (!this.bar) return;
    const values = { ...payload, file: payload.file.slice(-40), mb: (done / 1e6).toFixed(1), totalMb: (total / 1e6).toFixed(1) };
    if (!this.started) {
      this.bar.start(Math.max(1, total), done, values);
      this.started = true;
    } else {
      this.bar.setTotal(Math.max(1, total));
      this.bar.update(done, values);
    }
  }

  stop(): void {
    if (this.started) this.bar?.stop();
    this.started = false;
  }

  private started = false;
}
