import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

/**
 * A temporary name beside `file`, for write-then-rename (same directory, so the rename is atomic).
 *
 * @example
 * const temp = temporaryName('./data/vectors.hnsw'); // ./data/vectors.hnsw.tmp-4242-9f3a1c07
 */
export function temporaryName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `bytes` to `file` atomically: a temporary file beside it, fsync, then rename, so a crash
 * leaves either the old file or the new one, never a torn one. The file is created with `mode`,
 * default 0600: what is written here sits beside the store and is derived from its contents.
 *
 * @example
 * await writeFileAtomic('./data/lsa.model', bytes);
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string, options: { mode?: number } = {}): Promise<void> {
  const temp = temporaryName(file);
  try {
    const handle = await open(temp, 'w', options.mode ?? 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
