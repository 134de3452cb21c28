/**
 * Retrains the question-analysis models from the shared dev data and writes them under
 * `retrieval/analysis/models/`: `npm run train:analysis [-- --data ../shared/data]`.
 * Prints the held-out figures (JSON) it also stores in the model file.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../../../knowledge/index.js';
import { QUESTION_TYPE_MODEL_FILE, QuestionTypeModel } from '../question-type-model.js';
import { classifyQuestionTypes } from '../question-type.js';
import { isHeldOut } from './split.js';
import { evaluateTypes } from './type-evaluation.js';
import { readLiveqa, readMedquad, type TypeExample } from './type-examples.js';
import { trainTypeModel } from './train-type-model.js';
import { buildConditions, buildFocusLexicon, chineseDiseaseTerms } from './build-lexicon.js';
import { CONDITIONS_FILE } from '../condition-finder.js';
import { FOCUS_LEXICON_FILE } from '../focus-lexicon.js';

/** Held-out share (percent) of LiveQA messages and of MedQuAD documents. */
const LIVEQA_HELD_OUT = 25;
const MEDQUAD_HELD_OUT = 10;

const { values } = parseArgs({ options: { data: { type: 'string', default: join(PACKAGE_ROOT, '..', 'shared', 'data') } } });
const data = resolve(values.data!);

const liveqa = readLiveqa(join(data, 'consumer-qa'));
const medquad = readMedquad(join(data, 'medquad'));
const heldOut = (e: TypeExample) => isHeldOut(e.id, e.set === 'liveqa' ? LIVEQA_HELD_OUT : MEDQUAD_HELD_OUT);
const train = [...liveqa, ...medquad].filter((e) => !heldOut(e));
const test = { liveqa: liveqa.filter(heldOut), medquad: medquad.filter(heldOut) };

const started = performance.now();
const file = trainTypeModel(train, { consumerWeight: 10, epochs: 8 });
const seconds = Math.round((performance.now() - started) / 100) / 10;
const model = new QuestionTypeModel(file);
const learned = (text: string, focus: readonly string[]) => model.classify(text, focus);
const rules = (text: string) => classifyQuestionTypes(text);
const report = {
  trainedOn: { liveqa: liveqa.length - test.liveqa.length, medquad: medquad.length - test.medquad.length },
  heldOut: {
    liveqa: test.liveqa.length,
    medquad: test.medquad.length,
    split: `FNV-1a of the id: LiveQA ${LIVEQA_HELD_OUT}%, MedQuAD documents ${MEDQUAD_HELD_OUT}%`,
  },
  seconds,
  liveqa: { learned: evaluateTypes(test.liveqa, learned), rules: evaluateTypes(test.liveqa, rules) },
  medquad: { learned: evaluateTypes(test.medquad, learned), rules: evaluateTypes(test.medquad, rules) },
};
file.trained = report;
writeFileSync(QUESTION_TYPE_MODEL_FILE, gzipSync(JSON.stringify(file), { level: 9 }));
console.log(JSON.stringify(report, null, 1));

const lexicon = buildFocusLexicon(data, chineseDiseaseTerms(data));
writeFileSync(FOCUS_LEXICON_FILE, gzipSync(JSON.stringify(lexicon), { level: 9 }));
console.log(`focus lexicon: ${lexicon.entries.length} entries, ${lexicon.words.length} known words`);

const conditions = buildConditions(data);
writeFileSync(CONDITIONS_FILE, gzipSync(JSON.stringify(conditions), { level: 9 }));
console.log(`conditions: ${conditions.conditions.length} conditions, ${conditions.symptoms.length} symptoms`);
