import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `galen` executable (bin/galen.js) with `args`. */
export function galen(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'galen.js'), ...args], {
    cwd: ROOT,
    // Always the TypeScript sources, never a possibly stale dist/ build.
    env: { ...process.env, GALEN_FROM_SOURCE: '1', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
