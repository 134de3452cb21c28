import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { ingest, type IngestOptions, type IngestReport } from '../ingest/ingest.js';
import { MEDQUAD_ATTRIBUTION, MEDQUAD_LICENSE } from '../ingest/formats/medquad-xml.js';

/** The source name the seed corpus is ingested as. */
export const SEED_SOURCE = 'medquad';

/**
 * The bundled seed corpus: MedQuAD's answered question–answer pairs (XML answers plus the judged
 * answers), exported by `galen export --source medquad --answered-only`. Found from the package root,
 * so it works from the sources and from `dist/`.
 */
export const SEED_FILE = join(PACKAGE_ROOT, 'knowledge', 'seed', 'medquad-answers.jsonl.gz');

/**
 * Ingests the seed corpus when the store holds no source at all, so a fresh server answers from
 * MedQuAD out of the box. Returns undefined when the store already had data.
 */
export async function seedStore(
  store: KnowledgeStore,
  options: Pick<IngestOptions, 'onProgress' | 'chunking' | 'signal'> = {},
): Promise<IngestReport | undefined> {
  if (store.listSources().length > 0) return undefined;
  return ingest(store, {
    ...options,
    source: SEED_SOURCE,
    paths: [SEED_FILE],
    format: 'jsonl',
    license: MEDQUAD_LICENSE,
    attribution: MEDQUAD_ATTRIBUTION,
    authority: 'reference',
  });
}
