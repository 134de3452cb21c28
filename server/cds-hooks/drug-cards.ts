import type { PatientContext } from '../answer/index.js';
import { type CdsCard, makeCard } from './cards.js';
import { allergyConflicts } from './contraindication-rules.js';
import { CitationList, citedSentences, type FindEvidence, keyTerms } from './evidence-finder.js';

/** What every evidence card says about its limits. */
export const EVIDENCE_LIMITS =
  "Found by Galen's retrieval over its corpus (and sources the operator ingested): not a complete drug-interaction, allergy or contraindication database, so a missing warning is not a safety check. Galen is not a doctor; check before acting.";

const CAUTION =
  /\b(avoid|caution|contraindicat|should not|must not|do not|risk|bleed|warn|serious|harm|interact|reduce|increase|side effect)/i;

/**
 * One card for an ordered drug, from the corpus: what it says about the drug (indications,
 * cautions, side effects), and passages naming the drug together with each of the patient's
 * other active medications, recorded allergies, pregnancy and conditions. Critical only when the
 * contraindication rule fires (the drug is a recorded allergen); warning when a patient-specific
 * passage was found; info otherwise. Undefined when the corpus says nothing about the drug.
 */
export async function drugCard(drug: string, patient: PatientContext, find: FindEvidence): Promise<CdsCard | undefined> {
  const drugTerms = keyTerms(drug);
  if (!drugTerms.length) return undefined;
  const name = drugTerms[0]!;
  const citations = new CitationList();
  const lines: string[] = [];
  const concerns: string[] = [];

  const allergies = patient.allergies ?? [];
  const conflicts = allergyConflicts(drug, allergies);
  if (conflicts.length) {
    lines.push(`**Recorded allergy:** the patient has a recorded allergy to ${conflicts.join(', ')}, which this order names.`);
    concerns.push(`recorded allergy to ${conflicts[0]}`);
  }

  const others = (patient.medications ?? []).filter((m) => !keyTerms(m).some((t) => drugTerms.includes(t)));
  const checks: Array<{ label: string; terms: string[]; query: string }> = [
    ...others.slice(0, 8).map((m) => ({ label: `with ${m}`, terms: keyTerms(m), query: `${name} ${keyTerms(m).join(' ')} interaction` })),
    ...allergies
      .filter((a) => !conflicts.includes(a))
      .slice(0, 5)
      .map((a) => ({ label: `allergy: ${a}`, terms: keyTerms(a), query: `${name} ${keyTerms(a).join(' ')} allergy` })),
    ...(patient.pregnant ? [{ label: 'pregnancy', terms: ['pregnan'], query: `${name} pregnancy` }] : []),
    ...(patient.conditions ?? [])
      .slice(0, 8)
      .map((c) => ({ label: `with ${c}`, terms: keyTerms(c), query: `${name} ${keyTerms(c).join(' ')}` })),
  ].filter((c) => c.terms.length > 0);

  const [general, ...specific] = await Promise.all([find(`${name} uses side effects cautions`), ...checks.map((c) => find(c.query))]);
  const about = citedSentences(general ?? [], [drugTerms], citations, 2, CAUTION);
  checks.forEach((check, i) => {
    const found = citedSentences(specific[i] ?? [], [drugTerms, check.terms], citations, 1, CAUTION);
    if (!found.length) return;
    lines.push(`**${capitalise(check.label)}:** ${found.join(' ')}`);
    concerns.push(check.label.replace(/^with /, ''));
  });
  if (!about.length && !concerns.length) return undefined;
  if (about.length) lines.push(`**About ${name}:** ${about.join(' ')}`);

  const indicator = conflicts.length ? 'critical' : concerns.length ? 'warning' : 'info';
  const summary = concerns.length
    ? `${capitalise(name)}: check ${concerns.join(', ')} (Galen's sources)`
    : `${capitalise(name)}: what Galen's sources say`;
  return makeCard({ summary, lines, citations: citations.all, indicator, limits: EVIDENCE_LIMITS });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
