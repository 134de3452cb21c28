import { GalenError } from '../../errors/index.js';
import type { FhirResource, MedicationRequest } from 'fhir/r4.js';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Evidence } from '../../retrieval/pipeline/index.js';
import { medicationName, summarizePatient } from '../fhir/index.js';
import { type CdsCard, makeCard } from './cards.js';
import { type CdsFeedback, type CdsRequest, HOOK_CONTEXTS, type OrderContext } from './cds-request.js';
import { drugCard } from './drug-cards.js';
import type { FindEvidence } from './evidence-finder.js';
import { FeedbackStore } from './feedback-store.js';
import { gatherRecord } from './patient-record-gathering.js';
import { patientViewCards } from './problem-cards.js';
import { CDS_SERVICES, type CdsServiceDefinition, findService } from './services.js';

/** Why a hook call was refused (answered 400/404 by the route). */
export class CdsRequestError extends GalenError<'UNKNOWN_CDS_SERVICE' | 'INVALID_CDS_REQUEST'> {
  override readonly name = 'CdsRequestError';
}

/** What the CDS Hooks service needs. */
export interface CdsHooksOptions {
  /** Galen's retrieval, local corpus only: patient details must not reach third parties. */
  find: (query: string, signal?: AbortSignal) => Promise<Evidence[]>;
  /** Time for the FHIR reads of one call, ms. */
  fhirTimeoutMs: number;
  maxPages: number;
  feedbackFile: string;
  /** Where the counters go (`galen_cds_*`). */
  registry: Registry;
}

/** The hook's answer, with what went into it for logs (counts only). */
export interface HookOutcome {
  cards: CdsCard[];
  record: 'prefetch' | 'fetched' | 'unavailable';
}

/**
 * Galen's CDS Hooks 2.0 service: the discovery document, the hook calls (`patient-view`,
 * `order-select`, `order-sign`) answered with evidence cards, and feedback.
 *
 * @example
 * const cds = new CdsHooks({ find, fhirTimeoutMs: 2000, maxPages: 10, feedbackFile, registry });
 * const { cards } = await cds.call('galen-order-select', body);
 */
export class CdsHooks {
  private readonly feedback: FeedbackStore;
  private readonly calls: Counter<'service' | 'record'>;
  private readonly cardsOut: Counter<'service' | 'indicator'>;
  private readonly feedbackCount: Counter<'service' | 'outcome'>;
  private readonly duration: Histogram<'service'>;

  constructor(private readonly options: CdsHooksOptions) {
    this.feedback = new FeedbackStore(options.feedbackFile);
    const registers = [options.registry];
    this.calls = new Counter({
      name: 'galen_cds_calls_total',
      help: 'CDS Hooks calls by service and where the record came from',
      labelNames: ['service', 'record'],
      registers,
    });
    this.cardsOut = new Counter({
      name: 'galen_cds_cards_total',
      help: 'CDS Hooks cards returned by service and indicator',
      labelNames: ['service', 'indicator'],
      registers,
    });
    this.feedbackCount = new Counter({
      name: 'galen_cds_feedback_total',
      help: 'CDS Hooks card feedback by service and outcome',
      labelNames: ['service', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'galen_cds_call_seconds',
      help: 'Time to answer a CDS Hooks call',
      labelNames: ['service'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5],
      registers,
    });
  }

  /** `GET /cds-services`. */
  discovery(): { services: readonly CdsServiceDefinition[] } {
    return { services: CDS_SERVICES };
  }

  /** `POST /cds-services/{id}`: validated request → cards (never throws for FHIR trouble). */
  async call(serviceId: string, request: CdsRequest, signal?: AbortSignal): Promise<HookOutcome> {
    const service = this.service(serviceId);
    if (request.hook !== service.hook) {
      throw new CdsRequestError('INVALID_CDS_REQUEST', `The service ${service.id} answers the ${service.hook} hook, not ${request.hook}.`);
    }
    const parsed = HOOK_CONTEXTS[service.hook].safeParse(request.context);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CdsRequestError(
        'INVALID_CDS_REQUEST',
        `context${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const context = parsed.data;
    const stop = this.duration.startTimer({ service: service.id });
    try {
      const record = await gatherRecord(request, service.prefetch, context.patientId, {
        timeoutMs: this.options.fhirTimeoutMs,
        maxPages: this.options.maxPages,
        ...(signal ? { signal } : {}),
      });
      const how = record.ok ? (record.fetched ? 'fetched' : 'prefetch') : 'unavailable';
      this.calls.inc({ service: service.id, record: how });
      const cards = record.ok
        ? await this.cards(service, context, record.resources, signal)
        : [
            makeCard({
              summary: "Galen could not gather the patient's record, so it has no evidence to show",
              lines: [
                `The EHR's FHIR server could not be read in time: ${record.problem} Galen's evidence for this patient is therefore missing; nothing here says the order is safe.`,
              ],
              citations: [],
              indicator: 'info',
              limits: 'Retry, or look the drug up in Galen directly.',
            }),
          ];
      for (const c of cards) this.cardsOut.inc({ service: service.id, indicator: c.indicator });
      return { cards, record: how };
    } finally {
      stop();
    }
  }

  /** `POST /cds-services/{id}/feedback`: stores and counts each item. */
  recordFeedback(serviceId: string, body: CdsFeedback): number {
    const service = this.service(serviceId);
    const items = this.feedback.record(service.id, body);
    for (const i of items) this.feedbackCount.inc({ service: service.id, outcome: i.outcome });
    return items.length;
  }

  private service(id: string): CdsServiceDefinition {
    const service = findService(id);
    if (!service)
      throw new CdsRequestError('UNKNOWN_CDS_SERVICE', `No CDS service ${JSON.stringify(id.slice(0, 80))}; GET /cds-services lists them.`);
    return service;
  }

  private async cards(
    service: CdsServiceDefinition,
    context: { patientId: string } & Partial<OrderContext>,
    resources: FhirResource[],
    signal: AbortSignal | undefined,
  ): Promise<CdsCard[]> {
    const find: FindEvidence = (q) => this.options.find(q, signal);
    const others = resources.filter((r) => r.resourceType !== 'MedicationRequest' || !isOrdered(r, context));
    const patient = summarizePatient(others);
    if (service.hook === 'patient-view') return patientViewCards(summarizePatient(resources), find);
    const orders = orderedMedications(service, context);
    const cards = await Promise.all(orders.slice(0, 5).map((drug) => drugCard(drug, patient, find)));
    return cards.filter((c): c is CdsCard => c !== undefined);
  }
}

/** The drugs of the selected (order-select) or all draft (order-sign) MedicationRequests. */
function orderedMedications(service: CdsServiceDefinition, context: Partial<OrderContext>): string[] {
  const entries = (context.draftOrders?.entry ?? []).flatMap((e) => (e.resource ? [e.resource as FhirResource] : []));
  const selected = new Set(context.selections ?? []);
  const names: string[] = [];
  for (const r of entries) {
    if (r.resourceType !== 'MedicationRequest') continue;
    if (service.hook === 'order-select' && !selected.has(`MedicationRequest/${r.id}`)) continue;
    const name = medicationName(r);
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

function isOrdered(r: MedicationRequest, context: Partial<OrderContext>): boolean {
  return (context.draftOrders?.entry ?? []).some(
    (e) => e.resource?.resourceType === 'MedicationRequest' && (e.resource as { id?: string }).id === r.id,
  );
}
