import express, { type RequestHandler } from 'express';
import { limitRate } from './rate-limit.js';
import { requireRole } from './require-role.js';
import type { Role } from './roles.js';

/** What one mounted surface (`/v1`, `/cds-services`, …) demands of every request to it. */
export interface SurfaceSpec {
  /**
   * Middleware that reads this surface's kind of credential (API keys, EHR-signed JWTs, …) and
   * sets `res.locals.principal`, or fails with a 401.
   */
  authentication: RequestHandler;
  /** The role every request needs. */
  role: Role;
  /** Requests per minute per principal (per IP when anonymous); 0 = no limit. */
  rateLimitPerMinute: number;
  /** Largest JSON body, KiB. */
  maxBodyKb: number;
}

/**
 * The gate of one surface, in order: JSON body parsing with the surface's limit, its
 * authentication, its rate limit, its role. Mounting a router only behind such a gate
 * (`app.use('/cds-services', ...surfaceGate(spec), router)`) is how a new surface cannot
 * silently lack any of them.
 *
 * @example
 * app.use('/v1', ...surfaceGate({ authentication, role: 'clinician', rateLimitPerMinute: 300, maxBodyKb: 256 }));
 */
export function surfaceGate(spec: SurfaceSpec): RequestHandler[] {
  return [
    express.json({ limit: spec.maxBodyKb * 1024 }),
    spec.authentication,
    limitRate({ limit: spec.rateLimitPerMinute }),
    requireRole(spec.role),
  ];
}
