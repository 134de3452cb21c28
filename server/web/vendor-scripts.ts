import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A third-party browser script the chat page loads, as served under `/web/vendor/`. */
export interface VendorScript {
  /** Path the page loads it from. */
  path: string;
  /** The script (its licence header included). */
  body: string;
}

const require = createRequire(import.meta.url);

/**
 * The page's two libraries, read once from their npm packages (dependencies, so they ship with
 * Galen): `marked` turns answer markdown into HTML and `DOMPurify` sanitises that HTML before it
 * reaches the page. Served from Galen itself so the page needs no CDN and the CSP stays `'self'`.
 *
 * @example
 * for (const s of vendorScripts()) router.get(s.path, send(s.body));
 */
export function vendorScripts(): VendorScript[] {
  const marked = join(dirname(require.resolve('marked/package.json')), 'lib', 'marked.umd.js');
  const purify = require.resolve('dompurify/purify.min.js');
  return [
    { path: '/web/vendor/marked.js', body: readFileSync(marked, 'utf8') },
    { path: '/web/vendor/purify.js', body: readFileSync(purify, 'utf8') },
  ];
}
