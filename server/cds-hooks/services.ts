import { PATIENT_RECORD_QUERIES } from '../fhir/index.js';

/** One entry of the CDS Hooks discovery document. */
export interface CdsServiceDefinition {
  id: string;
  hook: 'patient-view' | 'order-select' | 'order-sign';
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements?: string;
}

const PREFETCH: Record<string, string> = { ...PATIENT_RECORD_QUERIES };

/** The services `GET /cds-services` lists. */
export const CDS_SERVICES: readonly CdsServiceDefinition[] = [
  {
    id: 'galen-patient-view',
    hook: 'patient-view',
    title: "Galen: evidence for the patient's problems",
    description:
      "What Galen's corpus says about the patient's active problems and current medications that matters to a clinician (key cautions, when to refer), with sources. At most three cards.",
    prefetch: PREFETCH,
  },
  {
    id: 'galen-order-select',
    hook: 'order-select',
    title: 'Galen: evidence for the selected medication',
    description:
      "For each selected MedicationRequest: what Galen's corpus says about the drug (indications, cautions, side effects) and passages on it together with the patient's other active medications, recorded allergies and conditions such as pregnancy. Not a complete interaction database.",
    prefetch: PREFETCH,
  },
  {
    id: 'galen-order-sign',
    hook: 'order-sign',
    title: 'Galen: evidence for the medications being signed',
    description:
      "For each draft MedicationRequest being signed: the same evidence as order-select, from Galen's corpus, with sources. Not a complete interaction database.",
    prefetch: PREFETCH,
  },
];

/** The service with this id, or undefined. */
export function findService(id: string): CdsServiceDefinition | undefined {
  return CDS_SERVICES.find((s) => s.id === id);
}
