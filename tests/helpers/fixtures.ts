import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA } from './paths.js';

/** Copies the first `count` GHR MedQuAD files from ../shared into `dir`/medquad, for refresh tests. */
export function copyMedquadSample(dir: string, count: number): string {
  const from = join(SHARED_DATA, 'medquad', '3_GHR_QA');
  const to = join(dir, 'medquad');
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).sort().slice(0, count)) cpSync(join(from, name), join(to, name));
  return to;
}
