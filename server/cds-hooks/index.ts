/**
 * Galen as an HL7 CDS Hooks 2.0 service: discovery, `patient-view`, `order-select` and
 * `order-sign` answered with evidence cards from Galen's retrieval (the patient's record taken
 * from the prefetch or read from the EHR's FHIR server), and card feedback.
 */
export { CdsHooks, CdsRequestError, type CdsHooksOptions, type HookOutcome } from './cds-hooks.js';
export { CdsFeedbackSchema, CdsRequestSchema, type CdsFeedback, type CdsRequest } from './cds-request.js';
export { CARD_SOURCE_LABEL, MAX_SUMMARY_CHARS, type CdsCard } from './cards.js';
export { CDS_SERVICES, findService, type CdsServiceDefinition } from './services.js';
export { EVIDENCE_LIMITS } from './drug-cards.js';
