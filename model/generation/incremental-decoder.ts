/** Anything that turns token ids into text (a {@link TextTokenizer}). */
export interface TokenDecoder {
  decode(ids: readonly number[]): string;
}

const REPLACEMENT = '\uFFFD';

/**
 * Turns a growing list of token ids into text pieces whose concatenation is exactly
 * `decode(allIds)`. Byte-fallback tokenizers split one character into several tokens (`<0xF0>`
 * `<0x9F>` `<0x8E>` `<0x89>` = 🎉); until the sequence is complete, decoding ends in U+FFFD, so
 * a piece is released only when the decoded text grew and does not end in U+FFFD. Only a short
 * window (the tokens since the last released piece, plus one before them for leading-space
 * context) is decoded per token, so streaming stays linear in the output length.
 *
 * @example
 * const d = new IncrementalDecoder(tokenizer);
 * for (const id of [410, 243, 162, 145, 140]) process.stdout.write(d.push(id)); // '', '', '', '', ' 🎉'
 * process.stdout.write(d.flush());
 */
export class IncrementalDecoder {
  private readonly ids: number[] = [];
  /** Start of the decoding window. */
  private prefixOffset = 0;
  /** End of what has been released; ids after it are pending. */
  private readOffset = 0;

  constructor(private readonly tokenizer: TokenDecoder) {}

  /** All ids pushed so far. */
  get tokenIds(): readonly number[] {
    return this.ids;
  }

  /** Adds one token; returns the newly stable text (often `''` mid-character). */
  push(id: number): string {
    this.ids.push(id);
    return this.release(false);
  }

  /** Releases whatever is pending, even an incomplete sequence (then U+FFFD is the truth). */
  flush(): string {
    return this.release(true);
  }

  private release(final: boolean): string {
    if (this.readOffset === this.ids.length) return '';
    const window = this.ids.slice(this.prefixOffset);
    const prefixText = this.tokenizer.decode(window.slice(0, this.readOffset - this.prefixOffset));
    const text = this.tokenizer.decode(window);
    if (!final && (text.length <= prefixText.length || text.endsWith(REPLACEMENT))) return '';
    // Decoding is local for byte-level and Metaspace decoders, so the window's text extends the
    // released text; if a decoder ever breaks that, re-derive the piece from the whole output.
    const piece = text.startsWith(prefixText) ? text.slice(prefixText.length) : this.wholeDiff();
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return piece;
  }

  private wholeDiff(): string {
    const before = this.tokenizer.decode(this.ids.slice(0, this.readOffset));
    const all = this.tokenizer.decode(this.ids);
    return all.startsWith(before) ? all.slice(before.length) : all.slice(Math.min(before.length, all.length));
  }
}
