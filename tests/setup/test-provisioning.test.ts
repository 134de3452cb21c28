import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

// What `npm test` says on a machine it cannot provision: the pretest's message to a user who is not
// root, and the global set-up's failure, which must name its step rather than let vitest report
// "No test files found".
const WIKI = process.env.GALEN_TEST_MEDIAWIKI_URL ?? '';

describe('scripts/provision-tests.sh', () => {
  it('tells a user who is not root which packages are missing and the one command that installs them', () => {
    const env = {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      GALEN_PROVISION_CHROMIUM: '/nonexistent/chromium',
      GALEN_TEST_MEDIAWIKI_URL: WIKI,
    };
    // As root, the script is run as `nobody` (setpriv), as a fresh machine's ordinary user would run it.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
    const [command, ...args] = [...asUser, 'bash', join(ROOT, 'scripts', 'provision-tests.sh')];
    const r = spawnSync(command!, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm test needs Debian packages that are not installed: chromium');
    expect(r.stderr).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium');
    expect(r.stderr).toMatch(/GALEN_TEST_MEDIAWIKI_URL/);
  });

  it('does nothing when everything is there', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'provision-tests.sh')], {
      cwd: ROOT,
      env: { ...process.env, GALEN_PROVISION_CHROMIUM: process.execPath, GALEN_TEST_MEDIAWIKI_URL: WIKI },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('the test set-up (tests/global-setup.ts)', () => {
  it('fails with the step that failed, never with "No test files found"', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, GALEN_WIKI_DATA: '/nonexistent/wiki' };
    delete env.GALEN_TEST_MEDIAWIKI_URL;
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'tests/retrieval/fusion.test.ts'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 110_000,
    });
    const output = `${r.stdout}${r.stderr}`;
    expect(r.status).toBe(1);
    expect(output).not.toMatch(/No test files found/);
    expect(output).toContain('Test set-up failed: the private MediaWiki for the Wikipedia tests could not be set up: failed at step');
    expect(output).toContain('/nonexistent/wiki/articles.jsonl is missing');
    expect(output).toContain('No test ran.');
  });
});
