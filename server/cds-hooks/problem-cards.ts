import { describePatient, type PatientContext, triage } from '../answer/index.js';
import { type CdsCard, makeCard } from './cards.js';
import { EVIDENCE_LIMITS } from './drug-cards.js';
import { CitationList, citedSentences, type FindEvidence, keyTerms } from './evidence-finder.js';

const CLINICIAN_POINTS =
  /\b(refer|specialist|emergency|urgent|immediately|complication|warning|avoid|should not|contraindicat|risk|monitor|seek|call)/i;

/** Most cards `patient-view` returns. */
export const MAX_PATIENT_VIEW_CARDS = 3;

/**
 * `patient-view`: a critical card when the rule-based red-flag triage fires on the record, then
 * one card per active problem (then medication) the corpus has clinician-relevant sentences
 * about (cautions, when to refer), at most {@link MAX_PATIENT_VIEW_CARDS}. No card for a problem
 * the corpus does not cover.
 */
export async function patientViewCards(patient: PatientContext, find: FindEvidence): Promise<CdsCard[]> {
  const cards: CdsCard[] = [];
  const red = triage(describePatient(patient));
  if (red.level === 'emergency') {
    cards.push(
      makeCard({
        summary: `Red flag in the record: ${red.reasons.map((r) => r.description).join('; ')}`,
        lines: [red.guidance],
        citations: [],
        indicator: 'critical',
        limits: "From Galen's rule-based red-flag triage of the record's conditions, not from its corpus. Galen is not a doctor.",
      }),
    );
  }
  const topics = [...(patient.conditions ?? []), ...(patient.medications ?? [])].slice(0, 6);
  const results = await Promise.all(topics.map((t) => find(`${keyTerms(t).join(' ')} complications when to see a doctor`)));
  topics.forEach((topic, i) => {
    if (cards.length >= MAX_PATIENT_VIEW_CARDS) return;
    const terms = keyTerms(topic);
    if (!terms.length) return;
    const citations = new CitationList();
    const lines = citedSentences(results[i] ?? [], [terms], citations, 3, CLINICIAN_POINTS, true);
    if (!lines.length) return;
    cards.push(
      makeCard({
        summary: `${topic}: key cautions in Galen's sources`,
        lines: lines.map((l) => `- ${l}`),
        citations: citations.all,
        indicator: 'info',
        limits: EVIDENCE_LIMITS,
      }),
    );
  });
  return cards;
}
