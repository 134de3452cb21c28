import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every Galen API key starts with this, so leaked keys are easy to recognise and scan for. */
export const API_KEY_PREFIX = 'galen_';

const KEY_PATTERN = /^galen_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A freshly made key: the secret `key` (shown once) and its public `id`. */
export interface GeneratedApiKey {
  id: string;
  key: string;
}

/**
 * A new API key: `galen_<12 hex id>_<256 random bits, base64url>`. The id is public (listed,
 * used to revoke, written to the audit log); only the SHA-256 of the whole key is stored.
 *
 * @example
 * const { id, key } = generateApiKey(); // key = 'galen_3f9c0a1b2c3d_…'
 */
export function generateApiKey(): GeneratedApiKey {
  const id = randomBytes(6).toString('hex');
  return { id, key: `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}` };
}

/**
 * The id inside a well-formed key, or null for anything else.
 *
 * @example
 * apiKeyId('galen_3f9c0a1b2c3d_' + 'x'.repeat(43)); // '3f9c0a1b2c3d'
 */
export function apiKeyId(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/**
 * SHA-256 of a key: enough for a key with 256 random bits (no salt or slow hash needed, as
 * nothing about it can be guessed).
 *
 * @example
 * hashApiKey(key).length; // 32
 */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Whether `key` hashes to `hash`, compared in constant time.
 *
 * @example
 * keyMatches(key, hashApiKey(key)); // true
 */
export function keyMatches(key: string, hash: Uint8Array): boolean {
  const actual = hashApiKey(key);
  return actual.length === hash.length && timingSafeEqual(actual, hash);
}
