import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { join, resolve } from 'node:path';
import { createPrivateFile } from '../../knowledge/index.js';
import { apiKeyId, generateApiKey, hashApiKey, keyMatches } from './api-key-format.js';
import { SecurityError } from './errors.js';
import { parseRole, type Role } from './roles.js';

/** The name of the key database inside a data directory. */
export const ACCESS_STORE_FILE = 'access.sqlite';

/** A key as `galen keys list` shows it: never the secret, which is not stored. */
export interface ApiKeyInfo {
  id: string;
  role: Role;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

/** What checking a presented key found. */
export type KeyCheck = { status: 'valid'; key: ApiKeyInfo } | { status: 'invalid' } | { status: 'revoked'; key: ApiKeyInfo };

interface KeyRow {
  id: string;
  hash: Buffer;
  role: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
}

const SCHEMA_VERSION = 1;
// Compared against when the id is unknown, so a miss costs what a hit costs.
const DUMMY_HASH = hashApiKey('galen_000000000000_unknown');

/**
 * API keys in `<dataDir>/access.sqlite`: id, role, label and the SHA-256 of the key. Each check
 * reads the database, so a key revoked by `galen keys revoke` (another process) is refused at once.
 *
 * @example
 * const keys = ApiKeyStore.open({ dataDir: './data' });
 * const { key } = keys.create({ role: 'clinician', label: 'ward 3 tablet' });
 * keys.check(key).status; // 'valid'
 * keys.close();
 */
export class ApiKeyStore {
  private readonly byId;
  private constructor(
    private readonly db: Database,
    readonly file: string,
  ) {
    this.byId = db.prepare<[string], KeyRow>('SELECT id, hash, role, label, created_at, revoked_at FROM api_keys WHERE id = ?');
  }

  /** Opens (creating if needed) the key database of `dataDir`. */
  static open(options: { dataDir: string }): ApiKeyStore {
    const file = resolve(join(options.dataDir, ACCESS_STORE_FILE));
    let db: Database | undefined;
    try {
      // Owner-only before SQLite creates it 0644 (its -wal and -shm files copy the mode).
      createPrivateFile(file);
      db = new BetterSqlite3(file);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION)
        throw new Error(`its schema version ${version} is newer than this Galen understands (${SCHEMA_VERSION})`);
      db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY,
        hash BLOB NOT NULL,
        role TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        revoked_at TEXT
      ) STRICT`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new ApiKeyStore(db, file);
    } catch (cause) {
      db?.close();
      throw new SecurityError('ACCESS_STORE_FAILED', `Cannot open the key database ${file}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Makes a key with `role`. The returned `key` is the only copy of the secret: show it once.
   *
   * @example
   * const { id, key } = keys.create({ role: 'admin' });
   */
  create(options: { role: Role; label?: string }): ApiKeyInfo & { key: string } {
    const role = parseRole(options.role);
    const label = (options.label ?? '').slice(0, 200);
    const { id, key } = generateApiKey();
    const createdAt = new Date().toISOString();
    this.db
      .prepare('INSERT INTO api_keys (id, hash, role, label, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, hashApiKey(key), role, label, createdAt);
    return { id, role, label, createdAt, revokedAt: null, key };
  }

  /** Every key, oldest first, revoked ones included. */
  list(): ApiKeyInfo[] {
    return this.db
      .prepare<[], KeyRow>('SELECT id, hash, role, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id')
      .all()
      .map(toInfo);
  }

  /** Keys that can still be used. */
  countActive(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  /**
   * Revokes key `id` (from `list`); revoking a revoked key changes nothing. An unknown id is a
   * `KEY_NOT_FOUND` error.
   *
   * @example
   * keys.revoke('3f9c0a1b2c3d');
   */
  revoke(id: string): ApiKeyInfo {
    const row = this.byId.get(id);
    if (!row) throw new SecurityError('KEY_NOT_FOUND', `No API key with id ${JSON.stringify(id)} in ${this.file}.`);
    if (row.revoked_at === null) {
      row.revoked_at = new Date().toISOString();
      this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(row.revoked_at, id);
    }
    return toInfo(row);
  }

  /**
   * Checks a presented key: valid, revoked, or invalid (malformed, unknown or wrong secret).
   *
   * @example
   * const check = keys.check(request.headers['x-api-key']);
   * if (check.status === 'valid') console.log(check.key.role);
   */
  check(key: string): KeyCheck {
    const id = apiKeyId(key);
    const row = id === null ? undefined : this.byId.get(id);
    const matches = keyMatches(key, row?.hash ?? DUMMY_HASH);
    if (!row || !matches) return { status: 'invalid' };
    const info = toInfo(row);
    return info.revokedAt === null ? { status: 'valid', key: info } : { status: 'revoked', key: info };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toInfo(row: KeyRow): ApiKeyInfo {
  return { id: row.id, role: parseRole(row.role), label: row.label, createdAt: row.created_at, revokedAt: row.revoked_at };
}
