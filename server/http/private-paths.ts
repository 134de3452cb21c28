import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loosePermissions, STORE_FILE, type LoosePath } from '../../knowledge/index.js';
import { LSA_MODEL_FILE, LSA_STATE_FILE, VECTOR_INDEX_FILE, VECTOR_LABELS_FILE, VECTOR_META_FILE } from '../../retrieval/vector/index.js';
import { WIKIPEDIA_CACHE_FILE } from '../assembly/index.js';
import { UPLOADS_DIR } from '../jobs/index.js';
import { ACCESS_STORE_FILE } from '../security/index.js';

/** Where a server keeps what must be owner-only. */
export interface PrivatePathsOptions {
  dataDir: string;
  /** The audit log and its rotated files (`null`: audit off). */
  auditFiles: readonly string[] | null;
  /** Other files outside the data directory (the feedback files). */
  files?: readonly string[];
}

const SQLITE_FILES = [STORE_FILE, ACCESS_STORE_FILE, WIKIPEDIA_CACHE_FILE];
const INDEX_FILES = [VECTOR_INDEX_FILE, VECTOR_LABELS_FILE, VECTOR_META_FILE, LSA_MODEL_FILE, LSA_STATE_FILE];
// Enough for any uploads folder an operator keeps; the scan must not hold up the start.
const MAX_UPLOAD_ENTRIES = 10_000;

/**
 * Every file and folder of a server that may hold patient words, API key hashes or the store:
 * the data directory, the store, key database and Wikipedia cache with their `-wal` and `-shm`
 * files, the vector index and embedder files, the uploads folder and what it holds, the audit log
 * (rotated files too), the other given files and their folders.
 *
 * @example
 * loosePermissions(privatePaths({ dataDir: './data', auditFiles: ['./data/audit.log'] }));
 */
export function privatePaths(options: PrivatePathsOptions): string[] {
  const dataDir = resolve(options.dataDir);
  const paths = [dataDir];
  for (const name of SQLITE_FILES) paths.push(...['', '-wal', '-shm'].map((suffix) => join(dataDir, `${name}${suffix}`)));
  for (const name of INDEX_FILES) paths.push(join(dataDir, name));
  paths.push(...walk(join(dataDir, UPLOADS_DIR), MAX_UPLOAD_ENTRIES));
  for (const file of [...(options.auditFiles ?? []), ...(options.files ?? [])]) paths.push(dirname(resolve(file)), resolve(file));
  return [...new Set(paths)];
}

/**
 * Those of {@link privatePaths} that others may read, each logged once as a warning naming the
 * path and its mode (never anything a file holds).
 */
export function warnLoosePermissions(options: PrivatePathsOptions, warn: (fields: LoosePath, message: string) => void): LoosePath[] {
  const loose = loosePermissions(privatePaths(options));
  for (const entry of loose)
    warn(
      entry,
      `${entry.path} is open to other users (mode ${entry.mode}); make it owner-only (chmod go-rwx) since it may hold patient data`,
    );
  return loose;
}

/** `dir` and everything under it, at most `limit` entries. */
function walk(dir: string, limit: number): string[] {
  const out: string[] = [];
  const pending = [dir];
  while (pending.length > 0 && out.length < limit) {
    const current = pending.pop()!;
    out.push(current);
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (out.length < limit) out.push(path);
    }
  }
  return out;
}
