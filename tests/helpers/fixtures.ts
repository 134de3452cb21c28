import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Writes PubMedQA abstracts `skip`…`skip + count` from ../shared into `dir`/pubmed-<skip>/abstracts.jsonl; returns that folder. */
export function copyPubmedSample(dir: string, count: number, skip = 0): string {
  const to = join(dir, `pubmed-${skip}`);
  mkdirSync(to, { recursive: true });
  const lines = readFileSync(join(SHARED_DATA, 'pubmedqa', 'pqal_abstracts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(skip, skip + count);
  writeFileSync(join(to, 'abstracts.jsonl'), `${lines.join('\n')}\n`);
  return to;
}
