import { spawn, spawnSync } from 'node:child_process';
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

/**
 * {@link galen} without blocking this process: for tests whose server runs in-process, where a
 * blocked event loop lets idle keep-alive sockets time out under load.
 */
export function galenAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'galen.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, GALEN_FROM_SOURCE: '1', ...env },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
