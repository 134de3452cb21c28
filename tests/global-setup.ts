import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const SCRIPTS = join(ROOT, 'scripts', 'mediawiki');

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
 * One real MediaWiki for the whole test run: the one at GALEN_TEST_MEDIAWIKI_URL when it answers
 * (CI starts it), else a private one set up here with scripts/mediawiki/setup.sh (Debian's package;
 * needs root the first time). Test files read the URL from the environment, which the test
 * processes inherit. Failing to get a wiki fails the run: the Wikipedia tests are not optional.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const given = process.env.GALEN_TEST_MEDIAWIKI_URL;
  if (given && (await answers(given))) return async () => {};
  const dir = mkdtempSync(join(tmpdir(), 'galen-test-wiki-'));
  const port = await freePort();
  try {
    const { stdout } = await run('bash', [join(SCRIPTS, 'setup.sh'), dir, String(port)], { timeout: 280_000, maxBuffer: 16 << 20 });
    process.env.GALEN_TEST_MEDIAWIKI_URL = stdout.trim().split('\n').pop() ?? '';
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`MediaWiki could not be set up with scripts/mediawiki/setup.sh: ${e.message}\n${e.stderr ?? ''}`);
  }
  return async () => {
    await run('bash', [join(SCRIPTS, 'stop.sh'), dir]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
}
