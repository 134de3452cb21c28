import { isIP } from 'node:net';
import type { ApiKeyStore } from './api-key-store.js';
import { SecurityError } from './errors.js';

/**
 * Whether binding `host` keeps Galen on this machine: `localhost`, 127.0.0.0/8, `::1`.
 *
 * @example
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0');   // false
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Refuses to let Galen listen beyond loopback without API keys: there every guarded route needs a
 * key, and with none created nobody could use it. Throws `KEYS_REQUIRED` with what to do.
 *
 * @example
 * assertKeysWhenExposed('0.0.0.0', keys); // throws unless a key exists
 */
export function assertKeysWhenExposed(host: string, keys: ApiKeyStore): void {
  if (isLoopbackHost(host) || keys.countActive() > 0) return;
  throw new SecurityError(
    'KEYS_REQUIRED',
    `Galen will not listen on ${host}, beyond loopback, without API keys: every request from the network must carry one. ` +
      `Create one with \`galen keys create --role clinician\` (and \`--role admin\` for knowledge administration), ` +
      `or bind to 127.0.0.1 (GALEN_HOST / --host).`,
  );
}
