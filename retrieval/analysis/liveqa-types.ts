import { MEDQUAD_QTYPES, type QuestionType } from './question-type.js';

/**
 * The LiveQA consumer question types (TREC 2017 LiveQA medical annotations, lower-cased) as
 * Galen's question types, which follow MedQuAD's qtypes. Types with no counterpart ("diagnose_me":
 * a symptom description asking what it is) are absent.
 */
export const LIVEQA_TYPES: Readonly<Record<string, QuestionType>> = {
  information: 'definition',
  treatment: 'treatment',
  cause: 'causes',
  association: 'causes',
  prognosis: 'outlook',
  organization: 'support',
  resources: 'support',
  diagnosis: 'diagnosis',
  susceptibility: 'risk',
  symptom: 'symptoms',
  inheritance: 'inheritance',
  'genetic changes': 'genetic-changes',
  'side effects': 'side-effects',
  complication: 'complications',
  prevention: 'prevention',
  usage: 'usage',
  indication: 'usage',
  ingredient: 'usage',
  contraindication: 'precautions',
  'storage and disposal': 'precautions',
  tapering: 'dosage',
  dosage: 'dosage',
  interaction: 'interaction',
};

const BY_MEDQUAD_QTYPE: ReadonlyMap<string, QuestionType> = new Map([
  ...Object.entries(MEDQUAD_QTYPES).flatMap(([type, qtypes]) => qtypes.map((q) => [q, type as QuestionType] as const)),
  ['why get vaccinated', 'prevention'],
]);

/** A MedQuAD qtype (its `qtype` attribute) as a question type; undefined for one it does not know. */
export function fromMedquadQtype(qtype: string): QuestionType | undefined {
  return BY_MEDQUAD_QTYPE.get(qtype.trim().toLowerCase());
}

/** A LiveQA annotation type as a question type; undefined for one without a counterpart. */
export function fromLiveqaType(type: string): QuestionType | undefined {
  return LIVEQA_TYPES[type.trim().toLowerCase()];
}
