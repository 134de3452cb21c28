import { readFileSync } from 'node:fs';
import type { RequestHandler } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors as joseErrors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import { SecurityError } from './errors.js';

/** The algorithms CDS Hooks 2.0 names for the EHR's JWT. */
export const CDS_JWT_ALGORITHMS = ['ES384', 'RS384'] as const;

const IssuersFile = z
  .array(
    z
      .object({
        iss: z.string().min(1),
        jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
        jwksFile: z.string().min(1).optional(),
      })
      .strict()
      .refine((i) => (i.jwksUrl === undefined) !== (i.jwksFile === undefined), 'each issuer needs exactly one of jwksUrl and jwksFile'),
  )
  .min(1, 'list at least one issuer');

/** An EHR trusted to call `/cds-services`. */
export type TrustedIssuer = z.infer<typeof IssuersFile>[number];

/**
 * Reads `GALEN_CDS_ISSUERS`' JSON file (`[{"iss", "jwksUrl" | "jwksFile"}]`), naming the bad
 * entry when it is not valid (`CDS_ISSUERS_INVALID`).
 */
export function loadTrustedIssuers(file: string): TrustedIssuer[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SecurityError('CDS_ISSUERS_INVALID', `The CDS issuers file ${file} could not be read as JSON: ${(error as Error).message}`);
  }
  const parsed = IssuersFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SecurityError('CDS_ISSUERS_INVALID', `The CDS issuers file ${file}: [${issue.path.join('.')}] ${issue.message}`);
  }
  return parsed.data;
}

/** How EHR JWTs are checked. */
export interface EhrJwtOptions {
  issuers: readonly TrustedIssuer[];
  /** The audience of a call: the URL of the service being called. */
  audience: (req: Parameters<RequestHandler>[0]) => string | string[];
  /** Accept calls without a valid JWT (local testing only). */
  insecure: boolean;
  /** Leeway for `exp`/`iat`, seconds. Default 30. */
  clockToleranceSec?: number;
}

/**
 * Authentication middleware for CDS Hooks calls: `Authorization: Bearer <JWT>` signed by a
 * trusted issuer with one of {@link CDS_JWT_ALGORITHMS}, verified with `jose` against the
 * issuer's JWKS (a file, or a URL fetched and cached by `jose`), with `iss`, `aud` (the called
 * service's URL), `exp`, `iat` and `jti` required; a `jti` seen before is refused until its token
 * expires (replay). Sets `res.locals.principal` to `{kind: 'ehr', issuer, role: 'clinician'}`.
 * With `insecure`, a call without a valid JWT passes as the `insecure` issuer.
 *
 * @example
 * app.use('/cds-services', ...security.surface({ authentication: ehrJwtAuthentication(opts), role: 'clinician' }));
 */
export function ehrJwtAuthentication(options: EhrJwtOptions): RequestHandler {
  const keySets = new Map<string, JWTVerifyGetKey>();
  for (const issuer of options.issuers) {
    keySets.set(
      issuer.iss,
      issuer.jwksUrl
        ? createRemoteJWKSet(new URL(issuer.jwksUrl), { cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 })
        : createLocalJWKSet(JSON.parse(readFileSync(issuer.jwksFile!, 'utf8'))),
    );
  }
  const seen = new Map<string, number>();
  const refuse = (code: 'CDS_JWT_REQUIRED' | 'CDS_JWT_INVALID' | 'CDS_JWT_REPLAYED', message: string) => new SecurityError(code, message);
  return (req, res, next) => {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const pass = (issuer: string) => {
      res.locals.principal = { kind: 'ehr', issuer, role: 'clinician' };
      next();
    };
    if (!token) {
      if (options.insecure) return pass('insecure');
      res.setHeader('WWW-Authenticate', 'Bearer realm="galen-cds"');
      return next(refuse('CDS_JWT_REQUIRED', 'A CDS Hooks call needs "Authorization: Bearer <JWT>" signed by a trusted EHR.'));
    }
    verify(token, req)
      .then((issuer) => pass(issuer))
      .catch((error: unknown) => {
        if (options.insecure) return pass('insecure');
        res.setHeader('WWW-Authenticate', 'Bearer realm="galen-cds", error="invalid_token"');
        next(error instanceof SecurityError ? error : refuse('CDS_JWT_INVALID', `The JWT was refused: ${reason(error)}`));
      });
  };

  async function verify(token: string, req: Parameters<RequestHandler>[0]): Promise<string> {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw refuse('CDS_JWT_INVALID', 'The bearer token is not a JWT.');
    }
    const keys = iss ? keySets.get(iss) : undefined;
    if (!iss || !keys) throw refuse('CDS_JWT_INVALID', `The JWT issuer ${JSON.stringify(iss ?? null)} is not trusted (GALEN_CDS_ISSUERS).`);
    const { payload } = await jwtVerify(token, keys, {
      issuer: iss,
      audience: options.audience(req),
      algorithms: [...CDS_JWT_ALGORITHMS],
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
      clockTolerance: options.clockToleranceSec ?? 30,
    });
    const now = Date.now();
    for (const [k, exp] of seen) if (exp < now) seen.delete(k);
    const key = `${iss}\u0000${payload.jti}`;
    if (seen.has(key)) throw refuse('CDS_JWT_REPLAYED', 'This JWT (its jti) was already used: the EHR must sign each call anew.');
    seen.set(key, (payload.exp ?? 0) * 1000 + (options.clockToleranceSec ?? 30) * 1000);
    return iss;
  }
}

function reason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired (exp).';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is not valid (${error.reason}).`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return `its algorithm is not one CDS Hooks allows (${CDS_JWT_ALGORITHMS.join(', ')}).`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify.';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key of the issuer's JWKS matches it.";
  if (error instanceof joseErrors.JOSEError) return error.message;
  return 'it could not be verified.';
}
