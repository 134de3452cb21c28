// Recall of the audit log's redaction over a corpus of questions carrying identifiers (names in
// common phrasings, addresses, phone numbers in international forms, e-mails, dates of birth,
// record/SSN/insurance numbers, ages over 89, IPs, URLs) and of clinical sentences carrying none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redact } from '../../server/logging/redaction.js';
import { ROOT } from '../helpers/paths.js';

interface Sample {
  text: string;
  /** The identifying substrings of `text`. */
  ids: string[];
}

const CORPUS: Sample[] = readFileSync(join(ROOT, 'tests', 'security', 'fixtures', 'redaction-corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Sample);

/**
 * What redaction is known to miss, by identifier: the list the README points to. Keeping it
 * exact (not "at most") means a fix shows up here too.
 */
const KNOWN_MISSES: string[] = [
  // A place named without a cue ("my Tokyo office"): no pattern tells a city from any other capitalised word.
  'Tokyo',
];

/** Small words inside an identifier ("5th of November") that the redacted text may hold for other reasons. */
const GLUE = new Set(['of', 'the', 'on', 'in', 'at']);

/** An identifier survives when any of its word-or-number parts (two characters or more, glue words aside) is still in the output. */
function survives(id: string, output: string): boolean {
  const parts = (id.match(/[\p{L}\p{N}]{2,}/gu) ?? [id]).filter((part) => !GLUE.has(part));
  return parts.some((part) =>
    new RegExp(`(?<![\\p{L}\\p{N}])${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u').test(output),
  );
}

describe('redaction over the identifier corpus', () => {
  it('holds at least 100 varied sentences', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(CORPUS.filter((s) => s.ids.length === 0).length).toBeGreaterThanOrEqual(10);
  });

  it('removes at least 98% of the identifiers, and misses exactly the known ones', () => {
    const missed: string[] = [];
    let total = 0;
    for (const sample of CORPUS) {
      const output = redact(sample.text);
      for (const id of sample.ids) {
        total++;
        if (survives(id, output)) missed.push(id);
      }
    }
    const recall = (total - missed.length) / total;
    expect(total).toBeGreaterThan(120);
    expect(recall).toBeGreaterThanOrEqual(0.98);
    expect(missed).toEqual(KNOWN_MISSES);
  });

  it('leaves sentences without identifiers as they were', () => {
    const changed = CORPUS.filter((s) => s.ids.length === 0 && redact(s.text) !== s.text).map((s) => [s.text, redact(s.text)]);
    expect(changed).toEqual([]);
  });
});
