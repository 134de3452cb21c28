import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelBuildError } from './errors.js';

/** Options of {@link writeDirectoryAtomically}. */
export interface AtomicDirectoryOptions {
  /** Replace an existing directory (swapped out only after the new one is complete). Default `false`. */
  overwrite?: boolean;
}

/**
 * Builds a directory out of sight and publishes it with one rename: `fill` writes into a hidden
 * staging folder beside `target` (`.name.partial-<pid>-<n>`); on success it is renamed to
 * `target`, on any error it is deleted and the error rethrown, so `target` is either absent, its
 * previous self, or complete. Staging folders left by killed processes are removed first.
 *
 * @example
 * await writeDirectoryAtomically('models/merged', async (dir) => { writeFileSync(join(dir, 'config.json'), '{}'); });
 */
export async function writeDirectoryAtomically<T>(
  target: string,
  fill: (staging: string) => Promise<T> | T,
  options: AtomicDirectoryOptions = {},
): Promise<T> {
  const out = resolve(target);
  if (existsSync(out) && !options.overwrite)
    throw new ModelBuildError('OUTPUT_EXISTS', `${out} already exists (pass overwrite / --force to replace it)`);
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  removeAbandonedStaging(parent, basename(out));
  const staging = join(
    parent,
    `.${basename(out)}.partial-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
  );
  mkdirSync(staging);
  let result: T;
  try {
    result = await fill(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(out)) {
    if (!options.overwrite) {
      rmSync(staging, { recursive: true, force: true });
      throw new ModelBuildError('OUTPUT_EXISTS', `${out} appeared while building`);
    }
    const old = `${staging}.old`;
    renameSync(out, old);
    renameSync(staging, out);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(staging, out);
  }
  return result;
}

/** Deletes `.name.partial-<pid>-*` folders whose process is gone (killed mid-build). */
function removeAbandonedStaging(parent: string, name: string): void {
  const prefix = `.${name}.partial-`;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
