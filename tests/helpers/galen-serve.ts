import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths.js';

/** A `galen serve` child process and everything it wrote. */
export interface ServeProcess {
  /** Its base URL, from the "listening" log line. */
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr (from the start) matches `pattern`; rejects after `timeoutMs` or when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code (SIGKILL after 30 s). */
  stop(): Promise<number | null>;
}

/**
 * Starts the real `galen serve` (bin/galen.js, TypeScript sources, umask 022) on a free loopback
 * port with `--data dataDir` and `env` on top of the test's environment, and waits for it to listen.
 *
 * @example
 * const serve = await startServe('/tmp/x/data', { GALEN_SEED: 'false' });
 * await fetch(`${serve.url}/healthz`);
 * await serve.stop();
 */
export async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  // The usual umask, so that the modes of the files it creates are the ones Galen asked for.
  const args = [join(ROOT, 'bin', 'galen.js'), '--data', dataDir, 'serve', '--port', '0'];
  const child = spawn('/bin/sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, ...args], {
    cwd: ROOT,
    env: { ...process.env, GALEN_FROM_SOURCE: '1', GALEN_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    notify();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    notify();
  });

  const waitFor = (pattern: RegExp, timeoutMs = 90_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(out) || pattern.test(err)) done(null);
        else if (gone) done(new Error(`galen serve exited before ${pattern}:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      };
      const timer = setTimeout(
        () => done(new Error(`no ${pattern} from galen serve within ${timeoutMs} ms:\n${out.slice(-2000)}\n${err.slice(-2000)}`)),
        timeoutMs,
      );
      const done = (error: Error | null) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      waiters.add(check);
      check();
    });

  const stop = async () => {
    if (!gone) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    }
    return exited;
  };

  try {
    await waitFor(/"msg":"Galen listening on [^\n]*\n/);
  } catch (error) {
    await stop();
    throw error;
  }
  const listening = out.split('\n').find((line) => line.includes('"msg":"Galen listening on '))!;
  const url = (JSON.parse(listening) as { url: string }).url;
  return { url, child, stdout: () => out, stderr: () => err, waitFor, stop };
}
