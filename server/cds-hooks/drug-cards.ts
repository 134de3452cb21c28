import type { PatientContext } from '../answer/index.js';
import { type CdsCard, escapeMd, makeCard } from './cards.js';
import { allergyConflicts, classConflicts } from './contraindication-rules.js';
import { DRUG_CLASSES, statedClasses } from './drug-classes.js';
import { CitationList, citedSentences, type FindEvidence, keyTerms } from './evidence-finder.js';

/** What every evidence card says about its limits. */
export const EVIDENCE_LIMITS =
  "Found by Galen's retrieval over its corpus (and sources the operator ingested): not a complete drug-interaction, allergy or contraindication database, so a missing warning is not a safety check. Galen is not a doctor; check before acting.";

/** Added to the limits of a card for a patient with recorded allergies. */
export const CLASS_LIMITS = `Drug classes come from the classes Galen's sources state for the drug and a short list (${DRUG_CLASSES.map((c) => c.name).join(', ')}) that is not exhaustive.`;

const CAUTION =
  /\b(avoid|caution|contraindicat|should not|must not|do not|risk|bleed|warn|serious|harm|interact|reduce|increase|side effect)/i;

/**
 * One card for an ordered drug, from the corpus: what it says about the drug (indications,
 * cautions, side effects), and passages naming the drug together with each of the patient's
 * other active medications, recorded allergies, pregnancy and conditions. Critical only when a
 * contraindication rule fires (the drug is a recorded allergen, or a member of a drug class an
 * allergy is recorded as); warning when a patient-specific
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
  // An allergy recorded as a class: what the sources say the drug's class is, then the short list.
  const classCandidates = allergies.filter((a) => !conflicts.includes(a));
  const statements = classCandidates.length ? statedClasses(drugTerms, await find(`${name} is in a class of medications called`)) : [];
  const classHits = classConflicts(drug, classCandidates, statements);
  for (const hit of classHits) {
    const basis = hit.statement
      ? `Galen's sources: ${escapeMd(hit.statement.sentence)} [${citations.cite(hit.statement.evidence)}]`
      : "Galen's short drug-class list, which is not exhaustive";
    lines.push(
      `**Recorded allergy (drug class):** the patient has a recorded allergy to ${hit.allergy}, and ${name} is in that class (${hit.className}; ${basis}).`,
    );
    concerns.push(`${hit.allergy} allergy (drug class)`);
  }
  const classAllergies = new Set(classHits.map((h) => h.allergy));

  const others = (patient.medications ?? []).filter((m) => !keyTerms(m).some((t) => drugTerms.includes(t)));
  const checks: Array<{ label: string; terms: string[]; query: string }> = [
    ...others.slice(0, 8).map((m) => ({ label: `with ${m}`, terms: keyTerms(m), query: `${name} ${keyTerms(m).join(' ')} interaction` })),
    ...allergies
      .filter((a) => !conflicts.includes(a) && !classAllergies.has(a))
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

  const indicator = conflicts.length || classHits.length ? 'critical' : concerns.length ? 'warning' : 'info';
  const summary = concerns.length
    ? `${capitalise(name)}: check ${concerns.join(', ')} (Galen's sources)`
    : `${capitalise(name)}: what Galen's sources say`;
  return makeCard({
    summary,
    lines,
    citations: citations.all,
    indicator,
    limits: allergies.length ? `${EVIDENCE_LIMITS} ${CLASS_LIMITS}` : EVIDENCE_LIMITS,
  });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
