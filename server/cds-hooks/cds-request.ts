import { z } from 'zod';

const Resource = z.object({ resourceType: z.string().min(1) }).loose();

/** `fhirAuthorization` as the spec defines it; `access_token` is used for the FHIR reads and dropped. */
const FhirAuthorization = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().regex(/^bearer$/i, 'token_type must be Bearer'),
    expires_in: z.number().int().optional(),
    scope: z.string().optional(),
    subject: z.string().optional(),
  })
  .loose();

const PatientViewContext = z
  .object({ userId: z.string().min(1), patientId: z.string().min(1), encounterId: z.string().optional() })
  .loose();

const OrderContext = z
  .object({
    userId: z.string().min(1),
    patientId: z.string().min(1),
    encounterId: z.string().optional(),
    selections: z.array(z.string().min(1)).optional(),
    draftOrders: z
      .object({ resourceType: z.literal('Bundle'), entry: z.array(z.object({ resource: Resource.optional() }).loose()).default([]) })
      .loose(),
  })
  .loose();

/** A CDS Hooks 2.0 request body (`hook`, `hookInstance`, `context`, optional `fhirServer`, `fhirAuthorization`, `prefetch`). */
export const CdsRequestSchema = z
  .object({
    hook: z.string().min(1),
    hookInstance: z.string().min(1).max(200),
    fhirServer: z.url({ protocol: /^https?$/ }).optional(),
    fhirAuthorization: FhirAuthorization.optional(),
    context: z.record(z.string(), z.unknown()),
    prefetch: z.record(z.string(), Resource.nullable()).optional(),
  })
  .loose();

export type CdsRequest = z.infer<typeof CdsRequestSchema>;
export type OrderContext = z.infer<typeof OrderContext>;
export type PatientViewContext = z.infer<typeof PatientViewContext>;

/** The context schema of each hook. */
export const HOOK_CONTEXTS = {
  'patient-view': PatientViewContext,
  'order-select': OrderContext.extend({ selections: z.array(z.string().min(1)).min(1, 'order-select needs context.selections') }),
  'order-sign': OrderContext,
} as const;

/** `POST /cds-services/{id}/feedback`, as the spec defines it. */
export const CdsFeedbackSchema = z
  .object({
    feedback: z
      .array(
        z
          .object({
            card: z.string().min(1).max(200),
            outcome: z.enum(['accepted', 'overridden']),
            acceptedSuggestions: z
              .array(z.object({ id: z.string().max(200) }).loose())
              .max(20)
              .optional(),
            overrideReason: z
              .object({
                reason: z
                  .object({
                    code: z.string().max(200).optional(),
                    system: z.string().max(500).optional(),
                    display: z.string().max(500).optional(),
                  })
                  .loose()
                  .optional(),
                userComment: z.string().max(2000).optional(),
              })
              .loose()
              .optional(),
            outcomeTimestamp: z.string().datetime({ offset: true }),
          })
          .loose(),
      )
      .min(1)
      .max(100),
  })
  .loose();

export type CdsFeedback = z.infer<typeof CdsFeedbackSchema>;
