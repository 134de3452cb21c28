import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { ingest, type IngestOptions, type IngestReport } from '../ingest/ingest.js';
import type { FormatName } from '../ingest/format.js';
import type { Authority } from '../authority.js';
import { MEDQUAD_ATTRIBUTION, MEDQUAD_LICENSE } from '../ingest/formats/medquad-xml.js';

/** The source name the MedQuAD seed corpus is ingested as. */
export const SEED_SOURCE = 'medquad';

const SEED_DIR = join(PACKAGE_ROOT, 'knowledge', 'seed');

/**
 * The bundled MedQuAD corpus: its answered question–answer pairs (XML answers plus the judged
 * answers), exported by `galen export --source medquad --answered-only`. Found from the package root,
 * so it works from the sources and from `dist/`.
 */
export const SEED_FILE = join(SEED_DIR, 'medquad-answers.jsonl.gz');

/** One bundled source of the seed corpus. */
export interface SeedSource {
  source: string;
  paths: string[];
  format: FormatName;
  license: string;
  attribution: string;
  authority: Authority;
}

/**
 * The seed corpus, ingested in this order: MedQuAD; ChatDoctor's disease database (796 diseases
 * with their symptoms, tests and medications, so a message that only describes symptoms finds a
 * passage about the conditions they suggest); and MedicalGPT's Chinese samples (a small RAG corpus
 * and 1,000 dialogues), so a Chinese question finds Chinese evidence.
 */
export const SEED_SOURCES: readonly SeedSource[] = [
  {
    source: SEED_SOURCE,
    paths: [SEED_FILE],
    format: 'jsonl',
    license: MEDQUAD_LICENSE,
    attribution: MEDQUAD_ATTRIBUTION,
    authority: 'reference',
  },
  {
    source: 'chatdoctor-diseases',
    paths: [join(SEED_DIR, 'chatdoctor-diseases.csv.gz')],
    format: 'chatdoctor-db',
    license: 'Apache-2.0',
    attribution:
      'ChatDoctor disease database (format_dataset.csv), Yunxiang Li et al., "ChatDoctor", 2023, https://github.com/Kent0n-Li/ChatDoctor',
    authority: 'encyclopedia',
  },
  {
    source: 'medicalgpt-zh',
    paths: [join(SEED_DIR, 'medicalgpt-zh-corpus.jsonl.gz'), join(SEED_DIR, 'medicalgpt-zh-sft.jsonl.gz')],
    format: 'dialogues',
    license: 'Apache-2.0',
    attribution: 'MedicalGPT medical samples (Chinese), Xu Ming (shibing624), https://github.com/shibing624/MedicalGPT',
    authority: 'dialogue',
  },
];

/**
 * Ingests the seed corpus into a store that holds nothing else: every seed source it lacks, so a
 * fresh server answers from MedQuAD out of the box, and a store seeded by an earlier version (or
 * interrupted between sources) gets the rest. A store with any other source is left alone. Returns
 * the counts over the sources ingested, or undefined when there was nothing to do.
 */
export async function seedStore(
  store: KnowledgeStore,
  options: Pick<IngestOptions, 'onProgress' | 'chunking' | 'signal'> = {},
): Promise<IngestReport | undefined> {
  const present = new Set(store.listSources().map((s) => s.name));
  const seedNames = new Set(SEED_SOURCES.map((s) => s.source));
  if ([...present].some((name) => !seedNames.has(name))) return undefined;
  let total: IngestReport | undefined;
  for (const seed of SEED_SOURCES) {
    if (present.has(seed.source)) continue;
    const report = await ingest(store, { ...options, ...seed });
    total = total ? combine(total, report) : report;
  }
  return total;
}

function combine(a: IngestReport, b: IngestReport): IngestReport {
  const sum = (k: keyof IngestReport) => (a[k] as number) + (b[k] as number);
  const formats = { ...a.formats };
  for (const [f, n] of Object.entries(b.formats)) formats[f] = (formats[f] ?? 0) + n;
  return {
    ...a,
    source: `${a.source}, ${b.source}`,
    formats,
    added: sum('added'),
    updated: sum('updated'),
    unchanged: sum('unchanged'),
    removed: sum('removed'),
    kept: sum('kept'),
    chunksAdded: sum('chunksAdded'),
    chunksRemoved: sum('chunksRemoved'),
    questionOnly: sum('questionOnly'),
    files: sum('files'),
    skippedFiles: sum('skippedFiles'),
    rejected: sum('rejected'),
    rejections: [...a.rejections, ...b.rejections].slice(0, 1000),
    duplicates: sum('duplicates'),
    documentsSeen: sum('documentsSeen'),
    durationMs: sum('durationMs'),
  };
}
