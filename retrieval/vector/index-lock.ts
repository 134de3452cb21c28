import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file of the vector files inside a data directory. */
export const VECTOR_LOCK_FILE = 'vectors.lock';

/** Who holds the vector files, as the lock file says. */
export interface IndexLockHolder {
  pid: number;
  /** What the holder is doing (e.g. `galen serve`, `galen ingest`). */
  holder: string;
  startedAt: string;
  /** How far its sync is, when it is embedding. */
  progress?: { embedded: number; total: number };
}

/** A held lock: report progress into it, release it once. */
export interface IndexLock {
  progress(embedded: number, total: number): void;
  release(): void;
}

/** Options of {@link acquireIndexLock}. */
export interface AcquireOptions {
  /** What this process is doing, for whoever waits. */
  holder: string;
  /** Called while another process holds the lock: at once, then about every 2 s with its progress. */
  onWait?: (holder: IndexLockHolder) => void;
  /** Aborting stops waiting (it throws the signal's reason). */
  signal?: AbortSignal;
  /** Time between tries. Default 250 ms. */
  pollMs?: number;
}

const REPORT_EVERY_MS = 2000;
const PROGRESS_EVERY_MS = 1000;
const UNREADABLE_GRACE_MS = 5000;

/**
 * Takes `<dataDir>/vectors.lock`, waiting while another live process holds it: the embedder and
 * index files are rewritten by whichever process syncs them (a server, a CLI ingest or `ask`), and
 * two at once would each embed the whole store and overwrite the other's files. The file holds the
 * holder's pid, what it does and its progress, so a waiter can say what it waits for. A lock whose
 * process is gone (killed) is taken over. Locks held within this process are separate locks too.
 *
 * @example
 * const lock = await acquireIndexLock('./data', { holder: 'galen ingest', onWait: (h) => console.error(`waiting for ${h.holder}`) });
 * try { await sync(); } finally { lock.release(); }
 */
export async function acquireIndexLock(dataDir: string, options: AcquireOptions): Promise<IndexLock> {
  const file = join(dataDir, VECTOR_LOCK_FILE);
  const pollMs = options.pollMs ?? 250;
  let lastReport = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const mine: IndexLockHolder = { pid: process.pid, holder: options.holder, startedAt: new Date().toISOString() };
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      return heldLock(file, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const other = readHolder(file);
    if (other === undefined) continue; // released between the two calls
    // A holder that died holds nothing, nor does a file left unreadable by a crash (one being
    // written right now is unreadable only for an instant): take it over.
    if (other === null ? olderThan(file, UNREADABLE_GRACE_MS) : !alive(other.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    const now = Date.now();
    if (other && now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now;
      options.onWait?.(other);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** What the lock file of `dataDir` says, or `null` when no live process holds it. */
export function readIndexLock(dataDir: string): IndexLockHolder | null {
  const holder = readHolder(join(dataDir, VECTOR_LOCK_FILE));
  return holder && alive(holder.pid) ? holder : null;
}

function heldLock(file: string, mine: IndexLockHolder): IndexLock {
  let released = false;
  let lastWrite = 0;
  return {
    progress(embedded, total) {
      const now = Date.now();
      if (released || now - lastWrite < PROGRESS_EVERY_MS) return;
      lastWrite = now;
      try {
        // Renamed into place: a waiter never reads half a file.
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify({ ...mine, progress: { embedded, total } }), { mode: 0o600 });
        renameSync(temp, file);
      } catch {
        // Progress is for whoever waits; the sync does not depend on it.
      }
    },
    release() {
      if (released) return;
      released = true;
      rmSync(file, { force: true });
    },
  };
}

/** The holder in `file`: undefined when there is no file, null when it is unreadable. */
function readHolder(file: string): IndexLockHolder | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<IndexLockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.holder !== 'string' || typeof parsed.startedAt !== 'string') return null;
    return parsed as IndexLockHolder;
  } catch {
    return null;
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
