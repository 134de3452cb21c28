import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stemmer } from 'stemmer';
import { PACKAGE_ROOT, STOPWORDS } from '../../knowledge/index.js';
import { sentencesOf } from './core-question.js';
import { words } from './words.js';

/** The bundled symptom–condition table, rebuilt by `npm run train:analysis`. */
export const CONDITIONS_FILE = join(PACKAGE_ROOT, 'retrieval', 'analysis', 'models', 'conditions.json.gz');

/** The symptom–condition table as saved. */
export interface ConditionsFile {
  format: 'galen-conditions';
  version: 1;
  /** Symptom names as written (e.g. "Sharp chest pain"). */
  symptoms: string[];
  /** Each condition with its symptoms (indices into `symptoms`), most characteristic first. */
  conditions: Array<{ name: string; symptoms: number[] }>;
}

/** A condition a symptom description may point to. */
export interface CandidateCondition {
  name: string;
  /** Relative strength of the evidence (the best candidate has 1). */
  score: number;
  /** The symptoms of the message it has, by the table's names. */
  symptoms: string[];
}

/** What a message's symptoms suggest. */
export interface SymptomReading {
  /** The symptoms found in the message, by the table's names, in the order found. */
  symptoms: string[];
  /** The likeliest conditions, best first. */
  conditions: CandidateCondition[];
}

/** A symptom name's words that say what it is (stopwords and fillers dropped), stemmed. */
function stems(text: string): string[] {
  return [
    ...new Set(
      words(text)
        .filter((w) => !STOPWORDS.has(w) && !FILLER.has(w))
        .map((w) => stemmer(w)),
    ),
  ];
}

const FILLER: ReadonlySet<string> = new Set(['problems', 'problem', 'symptoms', 'abnormal', 'other']);
/** Word-stem synonyms patients use for the table's words. */
const STEM_SYNONYMS: Readonly<Record<string, string>> = {
  stomach: 'abdomin',
  belli: 'abdomin',
  tummi: 'abdomin',
  hurt: 'pain',
  abdomen: 'abdomin',
  sore: 'pain',
  pain: 'pain',
  breath: 'breath',
  throw: 'vomit',
  puke: 'vomit',
  tire: 'fatigu',
  exhaust: 'fatigu',
  dizzi: 'dizzi',
  itch: 'itchi',
  swell: 'swollen',
  temperatur: 'fever',
};

function canonical(stem: string): string {
  return STEM_SYNONYMS[stem] ?? stem;
}

/**
 * Maps a message that describes symptoms ("I have a sharp pain in my chest and a cough…") to the
 * conditions the corpus lists with those symptoms (ChatDoctor's disease database): each symptom
 * whose words all occur in one sentence of the message counts, weighted by how few conditions
 * share it and how early the condition lists it.
 *
 * @example
 * ConditionFinder.load().read('Doctor, I have been experiencing a hoarse voice for weeks').conditions[0].name
 */
export class ConditionFinder {
  private readonly symptomStems: string[][];
  private readonly idf: number[];
  /** For each symptom, the conditions listing it and at which position. */
  private readonly listedBy: Array<Array<{ condition: number; position: number }>>;
  /** Symptoms by each of their stems, to test only those a sentence can match. */
  private readonly byStem = new Map<string, number[]>();

  constructor(private readonly file: ConditionsFile) {
    if (file.format !== 'galen-conditions' || file.version !== 1) throw new Error('Not a Galen conditions table');
    // "Symptoms of eye" names no symptom; it would match every mention of an eye.
    this.symptomStems = file.symptoms.map((s) => (/^(?:symptoms|problems) (?:of|with)\b/i.test(s) ? [] : stems(s).map(canonical)));
    this.listedBy = file.symptoms.map(() => []);
    file.conditions.forEach((c, condition) => {
      c.symptoms.forEach((s, position) => this.listedBy[s]?.push({ condition, position }));
    });
    const n = file.conditions.length;
    this.idf = this.listedBy.map((l) => Math.log((n + 1) / (l.length + 1)));
    this.symptomStems.forEach((ss, i) => {
      for (const s of ss) this.byStem.set(s, [...(this.byStem.get(s) ?? []), i]);
    });
  }

  /**
   * Whether a name (e.g. a focus the message matched) is a symptom rather than a diagnosis: it
   * contains a symptom of the table ("Nausea and vomiting - adults"), or its words are all among
   * those of the symptoms given ("Strains" beside "Eye strain").
   */
  isSymptom(name: string, among: readonly string[] = []): boolean {
    const own = new Set(stems(name).map(canonical));
    if (own.size === 0) return false;
    if (this.symptomStems.some((ss) => ss.length > 0 && ss.every((x) => own.has(x)))) return true;
    const theirs = new Set(among.flatMap((s) => stems(s).map(canonical)));
    return [...own].every((x) => theirs.has(x));
  }

  /** Reads a saved table (gzipped JSON); default the bundled one. */
  static load(path = CONDITIONS_FILE): ConditionFinder {
    return new ConditionFinder(JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as ConditionsFile);
  }

  /** The symptoms a message names and the conditions they suggest (at most `limit`). */
  read(message: string, limit = 5): SymptomReading {
    const found: number[] = [];
    for (const sentence of sentencesOf(message.slice(0, 20_000))) {
      const present = new Set(stems(sentence).map(canonical));
      const tried = new Set<number>();
      for (const stem of present)
        for (const s of this.byStem.get(stem) ?? []) {
          if (tried.has(s)) continue;
          tried.add(s);
          const need = this.symptomStems[s]!;
          if (need.length && need.every((x) => present.has(x)) && !found.includes(s)) found.push(s);
        }
    }
    // A symptom named by a longer one also found ("pain" within "sharp chest pain") adds nothing.
    const symptoms = found.filter(
      (s) =>
        !found.some(
          (t) =>
            t !== s &&
            this.symptomStems[t]!.length > this.symptomStems[s]!.length &&
            this.symptomStems[s]!.every((x) => this.symptomStems[t]!.includes(x)),
        ),
    );
    const score = new Map<number, { score: number; symptoms: number[] }>();
    for (const s of symptoms)
      for (const { condition, position } of this.listedBy[s]!) {
        const c = score.get(condition) ?? { score: 0, symptoms: [] };
        c.score += this.idf[s]! / (1 + 0.15 * position);
        c.symptoms.push(s);
        score.set(condition, c);
      }
    const ranked = [...score].sort((a, b) => b[1].score - a[1].score).slice(0, limit);
    const best = ranked[0]?.[1].score ?? 1;
    return {
      symptoms: symptoms.map((s) => this.file.symptoms[s]!),
      conditions: ranked.map(([c, v]) => ({
        name: this.file.conditions[c]!.name,
        score: Math.round((v.score / best) * 1000) / 1000,
        symptoms: v.symptoms.map((s) => this.file.symptoms[s]!),
      })),
    };
  }
}
