import type { Role } from './roles.js';

/**
 * Who is making a request: the holder of an API key, or an anonymous caller whose `role` is what
 * anonymous callers may do (null beyond loopback, where every route needs a key).
 */
export type Principal =
  | { kind: 'key'; keyId: string; role: Role }
  | { kind: 'anonymous'; role: Role | null }
  /** An EHR whose signed JWT was verified (`issuer` = its `iss`), or `insecure` in CDS test mode. */
  | { kind: 'ehr'; issuer: string; role: Role };

declare global {
  namespace Express {
    interface Locals {
      /** Set by the authentication middleware for every request that passes it. */
      principal?: Principal;
    }
  }
}

/**
 * A short label for logs and the audit log: `key:<id>` or `anonymous`.
 *
 * @example
 * describePrincipal({ kind: 'anonymous', role: 'clinician' }); // 'anonymous'
 */
export function describePrincipal(principal: Principal | undefined): string {
  if (!principal) return 'unauthenticated';
  if (principal.kind === 'ehr') return `ehr:${principal.issuer}`;
  return principal.kind === 'key' ? `key:${principal.keyId}` : 'anonymous';
}
