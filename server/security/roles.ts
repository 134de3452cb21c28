import { SecurityError } from './errors.js';

/**
 * Roles an API key can hold, weakest first. `clinician` may ask and retrieve (chat, search,
 * retrieve, metrics); `admin` may also administer the knowledge base. A stronger role implies the
 * weaker ones.
 */
export const ROLES = ['clinician', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/**
 * Whether a principal holding `have` may use a route that needs `need`.
 *
 * @example
 * roleAllows('admin', 'clinician'); // true
 * roleAllows('clinician', 'admin'); // false
 */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * `value` as a {@link Role}, or a `INVALID_ROLE` error naming the roles there are.
 *
 * @example
 * parseRole('admin'); // 'admin'
 */
export function parseRole(value: string): Role {
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw new SecurityError('INVALID_ROLE', `Unknown role ${JSON.stringify(value)}; use one of ${ROLES.join(', ')}.`);
}
