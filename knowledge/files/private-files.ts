import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Owner read/write only: the mode of every file that may hold patient words, keys or the store. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only: the mode of the folders holding those files. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` (and missing parents) owner-only; an existing folder keeps its mode (see
 * {@link loosePermissions} for the start-up warning).
 *
 * @example
 * ensurePrivateDir('./data/uploads');
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `file` empty and owner-only (its folder too) unless it exists, so that a library that
 * creates files with the usual 0644 — SQLite, whose `-wal` and `-shm` files then copy the main
 * file's mode — finds a private one.
 *
 * @example
 * createPrivateFile('./data/galen.sqlite');
 * const db = new BetterSqlite3('./data/galen.sqlite');
 */
export function createPrivateFile(file: string): void {
  ensurePrivateDir(dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}

/**
 * Opens `file` for appending, creating it owner-only (its folder too); returns the descriptor.
 *
 * @example
 * const fd = openPrivateAppend('./data/audit.log');
 */
export function openPrivateAppend(file: string): number {
  ensurePrivateDir(dirname(file));
  return openSync(file, 'a', PRIVATE_FILE_MODE);
}

/** A file or folder that other users may read, write or enter. */
export interface LoosePath {
  path: string;
  /** Its permission bits in octal, e.g. `0644`. */
  mode: string;
}

/**
 * Those of `paths` that exist and give any permission to group or others; missing ones are
 * skipped. Symbolic links are followed (what matters is who can reach the data).
 *
 * @example
 * loosePermissions(['./data', './data/audit.log']); // [{ path: './data/audit.log', mode: '0644' }]
 */
export function loosePermissions(paths: Iterable<string>): LoosePath[] {
  const loose: LoosePath[] = [];
  for (const path of new Set(paths)) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    const bits = stat.mode & 0o777;
    if ((bits & 0o077) !== 0) loose.push({ path, mode: `0${bits.toString(8)}` });
  }
  return loose;
}
