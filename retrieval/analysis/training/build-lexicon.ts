import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { ConditionsFile } from '../condition-finder.js';
import type { FocusLexiconFile, LexiconEntry } from '../focus-lexicon.js';
import { compilePhrases } from '../focus-resolver.js';
import { words } from '../words.js';

/** A word of the corpus's text counts as correctly spelt once seen this often. */
const KNOWN_AT = 3;
/** A word patients write more often than this (in ChatDoctor's messages) is an everyday word. */
const EVERYDAY_AT = 10;

/** MedQuAD collection folders whose subjects are drugs or supplements. */
const COLLECTION_KIND: Readonly<Record<string, string>> = {
  '11_MPlusDrugs_QA': 'drug',
  '12_MPlusHerbsSupplements_QA': 'supplement',
};

function kindOf(collection: string, semanticGroup: string | undefined, focus: string): string | undefined {
  const byCollection = COLLECTION_KIND[collection];
  if (byCollection) return byCollection;
  if (/\b(?:test|scan|biopsy|x-ray|exam|examination|screening|ultrasound|mri|ct|culture|level|count|panel)\b/i.test(focus)) return 'test';
  if (semanticGroup === 'Disorders') return 'disease';
  return undefined;
}

/**
 * The focus vocabulary from the dev data: every MedQuAD document's focus with its UMLS synonyms,
 * first CUI and kind (all 11,277 documents, with or without answers, so drugs like ibuprofen are
 * known), ChatDoctor's disease names, and the correctly spelt words of the corpus's text.
 */
export function buildFocusLexicon(data: string, chineseTerms: readonly string[] = []): FocusLexiconFile {
  const entries: LexiconEntry[] = [];
  const counts = new Map<string, number>();
  const count = (text: string) => {
    for (const w of words(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  const medquad = join(data, 'medquad');
  for (const collection of readdirSync(medquad, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(medquad, collection))
      .filter((n) => n.endsWith('.xml'))
      .sort()) {
      const xml = readFileSync(join(medquad, collection, file), 'utf8');
      const focus = decode(/<Focus>([^<]*)<\/Focus>/.exec(xml)?.[1]?.trim() ?? '');
      if (!focus) continue;
      const cui = /<CUI>([^<]*)<\/CUI>/.exec(xml)?.[1]?.trim();
      const group = /<SemanticGroup>([^<]*)<\/SemanticGroup>/.exec(xml)?.[1]?.trim();
      const aliases = [...xml.matchAll(/<Synonym>([^<]*)<\/Synonym>/g)].map((m) => decode(m[1]!.trim())).filter(Boolean);
      const kind = kindOf(collection, group, focus);
      entries.push({ name: focus, ...(kind ? { kind } : {}), ...(cui ? { cui } : {}), ...(aliases.length ? { aliases } : {}) });
      for (const m of xml.matchAll(/<Answer>([\s\S]*?)<\/Answer>/g)) count(m[1]!);
    }
  }
  const judged = parse(readFileSync(join(medquad, 'judged-answers.csv'), 'utf8'), { columns: true, relax_quotes: true }) as Array<
    Record<string, string>
  >;
  for (const row of judged) count(row.Answer ?? '');
  for (const row of readChatdoctorDiseases(data)) entries.push({ name: row.disease, kind: 'disease' });
  const dialogues = JSON.parse(readFileSync(join(data, 'chatdoctor', 'chatdoctor5k_train.json'), 'utf8')) as Array<{ output: string }>;
  for (const d of dialogues) count(d.output);
  // Everyday words too (patients' messages, Wikipedia's prose), so "campus" is not respelt "Campylobacter".
  const general = new Map<string, number>();
  const countGeneral = (text: string) => {
    for (const w of words(text)) general.set(w, (general.get(w) ?? 0) + 1);
  };
  for (const d of dialogues as Array<{ output: string; input?: string }>) countGeneral(d.input ?? '');
  for (const line of readFileSync(join(data, 'wiki', 'articles.jsonl'), 'utf8').split('\n'))
    if (line.trim()) countGeneral((JSON.parse(line) as { text?: string }).text ?? '');
  for (const [w, n] of general) if (n >= KNOWN_AT) counts.set(w, Math.max(counts.get(w) ?? 0, n));
  // Words patients use often are everyday words, never a disease's name on their own.
  const patients = new Map<string, number>();
  for (const d of dialogues as Array<{ input?: string }>) for (const w of words(d.input ?? '')) patients.set(w, (patients.get(w) ?? 0) + 1);
  const everyday = new Set([...patients].filter(([, n]) => n > EVERYDAY_AT).map(([w]) => w));
  for (const term of chineseTerms) entries.push({ name: term });
  // Compiled ahead: saves the regular expressions of a second's worth of names at every start.
  const merged = new Map<string, LexiconEntry>();
  for (const e of entries) {
    const key = e.name.trim().toLowerCase();
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...e, aliases: [...(e.aliases ?? [])] });
    else {
      seen.aliases!.push(...(e.aliases ?? []));
      if (!seen.kind && e.kind) seen.kind = e.kind;
      if (!seen.cui && e.cui) seen.cui = e.cui;
    }
  }
  const compiled = [...merged.values()].map(({ aliases, ...e }) => ({
    ...e,
    phrases: compilePhrases({ ...e, ...(aliases ? { aliases } : {}) }, everyday),
  }));
  const known = [...counts]
    .filter(([w, n]) => n >= KNOWN_AT && w.length >= 5 && !/\d/.test(w))
    .map(([w]) => w)
    .sort();
  return { format: 'galen-focus-lexicon', version: 1, entries: compiled, words: known };
}

/** ChatDoctor's disease database rows (`format_dataset.csv`): disease and its symptoms. */
export function readChatdoctorDiseases(data: string): Array<{ disease: string; symptoms: string[] }> {
  const rows = parse(readFileSync(join(data, 'chatdoctor', 'format_dataset.csv'), 'utf8'), { columns: true }) as Array<
    Record<string, string>
  >;
  return rows.map((r) => ({ disease: (r.disease ?? '').trim(), symptoms: pythonList(r.Symptom ?? '') })).filter((r) => r.disease);
}

/** The strings of a Python-literal list cell (`['Pain in eye', "Itchiness"]`). */
export function pythonList(cell: string): string[] {
  return [...cell.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? m[2] ?? '').trim()).filter(Boolean);
}

function decode(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'");
}

/** The symptom–condition table from ChatDoctor's disease database. */
export function buildConditions(data: string): ConditionsFile {
  const symptoms: string[] = [];
  const index = new Map<string, number>();
  const conditions = readChatdoctorDiseases(data).map(({ disease, symptoms: listed }) => ({
    name: disease,
    symptoms: listed.map((s) => {
      const key = s.toLowerCase();
      if (!index.has(key)) index.set(key, symptoms.push(s) - 1);
      return index.get(key)!;
    }),
  }));
  return { format: 'galen-conditions', version: 1, symptoms, conditions };
}

/** Chinese suffixes that end a disease's name (病 disease, 炎 inflammation, 症 disorder, 癌 cancer, …). */
const ZH_DISEASE = /[\u4e00-\u9fff]{1,6}?(?:综合征|病|炎|症|癌|瘤|结石|溃疡|感冒|骨折)/g;
/** Characters a name does not start with (verbs and particles before it: 患 suffer, 得 get, 的 of, …). */
const ZH_NOT_FIRST =
  /^[患得有是的了性和或及与在我你他她它这那么很也都就还被把对从因为引起导致治疗什么怎样哪些一个可能会吗呢啊吧如果但是而且]/;

/** Characters no disease name holds (grammar and advice words around one). */
const ZH_NOT_INSIDE =
  /[的了么对据出方法医要能等些种此本所以由于者及时找明确早期常见典型主要少数多数不同全身局部临床发抗去除加重减低缓解后容易旦觉自身说诊断比较心情理什使其无]/;
const ZH_GENERIC: ReadonlySet<string> = new Set(['疾病', '炎症', '病毒', '并发症', '后遗症', '感冒病']);

/**
 * Chinese disease names of the Chinese corpus (MedicalGPT's samples): the shortest runs ending in a
 * disease suffix, without a leading verb or particle, seen at least three times.
 */
export function chineseDiseaseTerms(data: string): string[] {
  const dir = join(data, 'medicalgpt-zh');
  const text = ['medical_corpus.txt', 'medical_sft_1K_format.jsonl'].map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const counts = new Map<string, number>();
  for (const m of text.matchAll(ZH_DISEASE)) {
    let term = m[0];
    while (term.length > 2 && ZH_NOT_FIRST.test(term)) term = term.slice(1);
    if (term.length >= 2 && !ZH_NOT_FIRST.test(term)) counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  return [...counts]
    .filter(([t, n]) => n >= 3 && !ZH_NOT_INSIDE.test(t) && !ZH_GENERIC.has(t))
    .map(([t]) => t)
    .sort();
}
