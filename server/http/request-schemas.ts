import { z } from 'zod';

/** Longest message or query, characters (a pasted history is fine; a whole book is not). */
export const MAX_MESSAGE_CHARS = 10_000;
/** Most messages in one conversation. */
export const MAX_MESSAGES = 50;

const text = (what: string) =>
  z
    .string()
    .max(MAX_MESSAGE_CHARS, `${what} is limited to ${MAX_MESSAGE_CHARS.toLocaleString('en')} characters`)
    .refine((s) => s.trim().length > 0, `${what} must not be empty`);

/** What the asker tells Galen about the patient (see `PatientContext`). */
export const PatientSchema = z
  .object({
    age: z.number().min(0).max(130).optional().describe('Age in years; fractions for babies (0.25 = 3 months).'),
    sex: z.enum(['female', 'male', 'other']).optional(),
    pregnant: z.boolean().optional(),
    conditions: z.array(z.string().min(1).max(200)).max(20).optional(),
    medications: z.array(z.string().min(1).max(200)).max(30).optional(),
    allergies: z.array(z.string().min(1).max(200)).max(20).optional(),
    observations: z.array(z.string().min(1).max(200)).max(10).optional(),
    notes: z.string().max(2000).optional(),
  })
  .strict();

/** A FHIR R4 Bundle of the patient's resources (Patient, Condition, MedicationRequest, …); reduced to the clinical summary. */
export const PatientBundleSchema = z
  .object({
    resourceType: z.literal('Bundle'),
    entry: z
      .array(
        z
          .object({
            resource: z
              .object({ resourceType: z.string().min(1) })
              .loose()
              .optional(),
          })
          .loose(),
      )
      .max(1000)
      .default([]),
  })
  .loose();

/** Where to read the patient from: the EHR's FHIR server, the patient's id and a bearer token (used once, never stored). */
export const PatientReferenceSchema = z
  .object({
    fhirServer: z.url({ protocol: /^https?$/ }),
    patientId: z.string().min(1).max(200),
    accessToken: z.string().min(1).max(10_000).optional(),
  })
  .strict();

/** `patient`: today's structured object, a FHIR R4 Bundle, or a reference to a FHIR server. */
export const PatientInputSchema = z.union([PatientBundleSchema, PatientReferenceSchema, PatientSchema]);

/** Retriever names as requests spell them; checked against what the server has. */
const Sources = z
  .array(z.string().min(1).max(40))
  .min(1)
  .max(10)
  .describe('Retrievers to use: corpus, vector, wikipedia (default: all the server has).');

/** Options of one answer; every field optional. */
export const AnswerOptionsSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(1)
      .max(20)
      .optional()
      .describe("Passages to retrieve and give the answerer (default: the server's `answer.passages`, 5)."),
    sources: Sources.optional(),
    maxTokens: z.number().int().min(1).max(8192).optional().describe('Most tokens to generate (generative mode; default 256).'),
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    stop: z.array(z.string().min(1).max(100)).max(4).optional(),
    patient: PatientInputSchema.optional(),
  })
  .strict();

/** `POST /v1/chat`. */
export const ChatRequestSchema = z
  .object({
    messages: z
      .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: text('content') }).strict())
      .min(1, 'messages must hold at least the question')
      .max(MAX_MESSAGES, `at most ${MAX_MESSAGES} messages`),
    stream: z.boolean().default(false).describe('Answer as Server-Sent Events: citations, then deltas, then done.'),
    options: AnswerOptionsSchema.default({}),
  })
  .strict();

/** `POST /v1/retrieve`. */
export const RetrieveRequestSchema = z
  .object({
    query: text('query'),
    k: z.number().int().min(1).max(100).default(10),
    sources: Sources.optional(),
  })
  .strict();

// OpenAI's message content: a string, or text parts (the only kind Galen reads).
const OpenAiContent = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()), z.null()]);

/**
 * `POST /v1/chat/completions`, as OpenAI's API defines it. Lenient on purpose: clients (the
 * `openai` package, LangChain, Open WebUI) send fields Galen does not use, which are ignored.
 */
export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1).max(200),
    messages: z
      .array(z.object({ role: z.string(), content: OpenAiContent.optional(), name: z.string().optional() }).loose())
      .min(1, 'messages must hold at least the question')
      .max(MAX_MESSAGES, `at most ${MAX_MESSAGES} messages`),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
    max_tokens: z.number().int().min(1).max(8192).nullish(),
    max_completion_tokens: z.number().int().min(1).max(8192).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
    n: z.number().int().min(1).max(1, 'Galen writes one choice (n = 1)').nullish(),
    /** Galen's own options (passages, sources, patient), for clients that know them. */
    galen: AnswerOptionsSchema.pick({ k: true, sources: true, patient: true }).optional(),
  })
  .loose();

export type PatientInput = z.infer<typeof PatientInputSchema>;
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type RetrieveRequestBody = z.infer<typeof RetrieveRequestSchema>;
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
