/**
 * Who may use Galen and how much: API keys (hashed in `<dataDir>/access.sqlite`) with roles,
 * authentication and role checks, rate and time limits, security headers and CORS, and the rule
 * that Galen listens beyond loopback only with keys.
 */
export { SecurityError, type SecurityErrorCode } from './errors.js';
export { ROLES, parseRole, roleAllows, type Role } from './roles.js';
export { API_KEY_PREFIX, apiKeyId, generateApiKey, hashApiKey, keyMatches, type GeneratedApiKey } from './api-key-format.js';
export { ACCESS_STORE_FILE, ApiKeyStore, type ApiKeyInfo, type KeyCheck } from './api-key-store.js';
export { describePrincipal, type Principal } from './principal.js';
export { authenticate, type AuthenticationOptions } from './authentication.js';
export { requireRole } from './require-role.js';
export { limitRate, type RateLimitOptions } from './rate-limit.js';
export { liftTimeLimit, limitRequestTime, type RequestTimeLimitOptions } from './request-time-limit.js';
export { corsPolicy, securityHeaders } from './security-headers.js';
export { assertKeysWhenExposed, isLoopbackHost } from './loopback.js';
export { surfaceGate, type SurfaceSpec } from './surface-gate.js';
export { CDS_JWT_ALGORITHMS, ehrJwtAuthentication, loadTrustedIssuers, type EhrJwtOptions, type TrustedIssuer } from './ehr-jwt.js';
export { createSecurityLayer, type SecurityLayer, type SecurityLayerOptions } from './security-layer.js';
export { checkHost, hostName, isProxied, type HostCheckOptions } from './host-check.js';
export { limitAuthFailures, type AuthFailureLimit, type AuthFailureLimitOptions } from './auth-failure-limit.js';
