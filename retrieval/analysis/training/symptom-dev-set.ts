import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readChatdoctorDiseases } from './build-lexicon.js';
import { isHeldOut } from './split.js';

/** A symptom message whose doctor's reply names the disease. */
export interface SymptomCase {
  id: string;
  message: string;
  disease: string;
  split: 'dev' | 'heldout';
}

/** Share (percent) of the cases held out. */
export const SYMPTOM_HELD_OUT = 50;

/**
 * The symptom dev set: ChatDoctor's GenMedGPT dialogues (`chatdoctor5k_train.json`) whose reply
 * names a disease of ChatDoctor's disease database (the longest name it contains), split by a hash
 * of the dialogue's index.
 */
export function symptomCases(data: string): SymptomCase[] {
  const diseases = readChatdoctorDiseases(data)
    .map((d) => d.disease)
    .sort((a, b) => b.length - a.length);
  const patterns = diseases.map((d) => ({ d, re: new RegExp(`\\b${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i') }));
  const dialogues = JSON.parse(readFileSync(join(data, 'chatdoctor', 'chatdoctor5k_train.json'), 'utf8')) as Array<{
    input: string;
    output: string;
  }>;
  const out: SymptomCase[] = [];
  dialogues.forEach((dialogue, i) => {
    const named = patterns.find((p) => p.re.test(dialogue.output));
    if (!named || !dialogue.input.trim()) return;
    const id = `chatdoctor5k:${i}`;
    out.push({ id, message: dialogue.input, disease: named.d, split: isHeldOut(id, SYMPTOM_HELD_OUT) ? 'heldout' : 'dev' });
  });
  return out;
}
