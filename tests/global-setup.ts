import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/paths.js';

const SCRIPTS = join(ROOT, 'scripts', 'mediawiki');
/** Time the private MediaWiki's set-up may take (install and import of the shared articles); `GALEN_TEST_WIKI_SETUP_S` overrides it. */
const SETUP_LIMIT_S = Number(process.env.GALEN_TEST_WIKI_SETUP_S ?? 600);

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}?action=query&meta=siteinfo&format=json`, { signal: AbortSignal.timeout(3000) });
    return response.ok && 'query' in ((await response.json()) as object);
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Runs setup.sh, passing its progress lines (`[mediawiki hh:mm:ss] step`) through to stderr as they
 * come, and resolves with its last stdout line (the API URL). Rejects with the step it was at.
 */
function runSetup(dir: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(SCRIPTS, 'setup.sh'), dir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let step = 'starting scripts/mediawiki/setup.sh';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      process.stderr.write(text);
      for (const m of text.matchAll(/^\[mediawiki [\d:]+\] (.+)$/gm)) step = m[1]!;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), SETUP_LIMIT_S * 1000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run bash: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout.trim().split('\n').pop() ?? '');
      const why = signal ? `stopped after its ${SETUP_LIMIT_S} s limit (GALEN_TEST_WIKI_SETUP_S)` : `exited with status ${code}`;
      const last = stderr.trim().split('\n').slice(-5).join('\n');
      reject(new Error(`failed at step "${step}": setup.sh ${why}${last ? `\n${last}` : ''}`));
    });
  });
}

/**
 * One real MediaWiki for the whole test run: the one at GALEN_TEST_MEDIAWIKI_URL when it answers
 * (CI starts it), else a private one set up here with scripts/mediawiki/setup.sh (Debian's package;
 * `npm test`'s pretest installs it). Test files read the URL from the environment, which the test
 * processes inherit. Failing to get a wiki fails the run: the Wikipedia tests are not optional.
 * A failure ends the process here with the step that failed: thrown to vitest, it would first say
 * "No test files found", which sends people looking for the wrong problem.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const given = process.env.GALEN_TEST_MEDIAWIKI_URL;
  if (given && (await answers(given))) return async () => {};
  const dir = mkdtempSync(join(tmpdir(), 'galen-test-wiki-'));
  const port = await freePort();
  process.stderr.write(
    `[test set-up] ${given ? `GALEN_TEST_MEDIAWIKI_URL (${given}) does not answer` : 'GALEN_TEST_MEDIAWIKI_URL is not set'}: ` +
      `setting up a private MediaWiki with scripts/mediawiki/setup.sh (limit ${SETUP_LIMIT_S} s)\n`,
  );
  try {
    process.env.GALEN_TEST_MEDIAWIKI_URL = await runSetup(dir, port);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(
      `\nTest set-up failed: the private MediaWiki for the Wikipedia tests could not be set up: ${(error as Error).message}\n` +
        'No test ran. Fix the step above, or point GALEN_TEST_MEDIAWIKI_URL at a MediaWiki API that holds the shared articles.\n',
    );
    process.exit(1);
  }
  return async () => {
    await new Promise<void>((resolve) =>
      spawn('bash', [join(SCRIPTS, 'stop.sh'), dir], { stdio: 'ignore' }).once('close', () => resolve()),
    );
    rmSync(dir, { recursive: true, force: true });
  };
}
