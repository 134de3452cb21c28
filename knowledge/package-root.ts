import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Galen's package.json, found by walking up from this file: the same from the
 * TypeScript sources and from `dist/`. Bundled data (the seed corpus, the dev sets) is read from
 * there, and the server reports the package's version.
 *
 * @example
 * join(PACKAGE_ROOT, 'knowledge', 'seed', 'medquad-answers.jsonl.gz')
 */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the Galen package root');
    dir = parent;
  }
  return dir;
})();
