import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';

/** Hex digits of the SHA-256 an id keeps: 64 bits, ample to tell model versions apart. */
const FINGERPRINT_HEX_DIGITS = 16;

/**
 * A short content hash of a model: the bytes of `files` (streamed, so a large graph is not held in
 * memory; absent files are skipped) and the `settings` that change its output (pooling,
 * truncation). Equal fingerprints mean the same outputs for every input.
 *
 * @example
 * await modelFingerprint(['m/onnx/model.onnx', 'm/tokenizer.json'], { pooling: 'mean', maxLength: 256 }); // '3f9a0c…'
 */
export async function modelFingerprint(files: readonly string[], settings: Record<string, unknown>): Promise<string> {
  const hash = createHash('sha256');
  // Paths themselves stay out: moving a model directory does not change what it computes.
  for (const [i, file] of files.entries()) {
    if (!existsSync(file)) continue;
    hash.update(`file ${i}:`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  hash.update(`settings:${JSON.stringify(settings)}`);
  return hash.digest('hex').slice(0, FINGERPRINT_HEX_DIGITS);
}

/**
 * The graph and the external-data files exporters write beside it (`model.onnx_data`, `model.onnx.data`).
 *
 * @example
 * graphFiles('m/onnx/model.onnx'); // ['m/onnx/model.onnx', 'm/onnx/model.onnx_data', 'm/onnx/model.onnx.data']
 */
export function graphFiles(onnxPath: string): string[] {
  return [onnxPath, `${onnxPath}_data`, `${onnxPath}.data`];
}
