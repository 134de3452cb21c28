/**
 * What a question asks for; it decides which passages rank first and which sentences an extractive
 * answer prefers. The names follow MedQuAD's question types (its passages carry them as section
 * questions); the LiveQA consumer taxonomy maps onto them (see {@link MEDQUAD_QTYPES}).
 */
export type QuestionType =
  | 'symptoms'
  | 'causes'
  | 'treatment'
  | 'diagnosis'
  | 'prevention'
  | 'outlook'
  | 'inheritance'
  | 'risk'
  | 'complications'
  | 'frequency'
  | 'definition'
  | 'genetic-changes'
  | 'dosage'
  | 'interaction'
  | 'side-effects'
  | 'usage'
  | 'precautions'
  | 'research'
  | 'support'
  | 'general';

/** Every question type, `general` last. */
export const QUESTION_TYPES: readonly QuestionType[] = [
  'symptoms',
  'causes',
  'treatment',
  'diagnosis',
  'prevention',
  'outlook',
  'inheritance',
  'risk',
  'complications',
  'frequency',
  'definition',
  'genetic-changes',
  'dosage',
  'interaction',
  'side-effects',
  'usage',
  'precautions',
  'research',
  'support',
  'general',
];

/** MedQuAD's qtypes (its `qtype` attribute) for each question type. */
export const MEDQUAD_QTYPES: Readonly<Record<QuestionType, readonly string[]>> = {
  symptoms: ['symptoms'],
  causes: ['causes'],
  treatment: ['treatment'],
  diagnosis: ['exams and tests'],
  prevention: ['prevention'],
  outlook: ['outlook', 'stages'],
  inheritance: ['inheritance'],
  risk: ['susceptibility'],
  complications: ['complications'],
  frequency: ['frequency'],
  definition: ['information', 'other information', 'considerations'],
  'genetic-changes': ['genetic changes'],
  dosage: ['dose', 'forget a dose', 'emergency or overdose'],
  interaction: ['interactions with medications', 'interactions with herbs and supplements', 'interactions with foods'],
  'side-effects': ['side effects', 'severe reaction'],
  usage: ['usage', 'indication', 'how does it work', 'how effective is it', 'brand names', 'brand names of combination products'],
  precautions: [
    'precautions',
    'contraindication',
    'important warning',
    'dietary',
    'storage and disposal',
    'when to contact a medical professional',
  ],
  research: ['research'],
  support: ['support groups', 'how can i learn more'],
  general: [],
};

interface TypeRule {
  type: Exclude<QuestionType, 'general'>;
  /** Recognises the type in a question (lower-cased English, or Chinese as written). */
  question: RegExp;
  /** Marks a sentence (or a passage's section heading) that answers this type. */
  cue: RegExp;
}

// Order matters: the first rule whose `question` matches wins ("how is gout treated" is treatment,
// not definition). Definition comes last, as the most generic shape ("what is …").
const RULES: readonly TypeRule[] = [
  {
    type: 'interaction',
    question:
      /\b(?:interact\w*|interfere\w*|together with|at the same time as|mix\w* (?:with|and)|combin\w* with|(?:take|taking|use|using|drink|drinking) \w+(?: \w+)? (?:with|while on|while taking))\b|相互作用|一起吃|一起服用|同时服用|同时吃/,
    cue: /\b(?:interact\w*|together|combin\w*|increase\w* the (?:risk|effect)|decrease\w* the effect|tell your doctor)\b|相互作用|同时/,
  },
  {
    type: 'side-effects',
    question: /\b(?:side[- ]effects?|adverse (?:effects?|reactions?)|reactions? to)\b|副作用|不良反应/,
    cue: /\b(?:side effects?|adverse|nausea|dizziness|rash|headache|reactions?)\b|副作用|不良反应/,
  },
  {
    type: 'dosage',
    question:
      /\b(?:dos(?:e|es|age|ing)|how (?:much|many|often) (?:\w+ )?(?:should|can|do|to) (?:i |you )?take|mg|milligrams?|overdose|missed)\b|剂量|用量|吃多少|一次几/,
    cue: /\b(?:dos(?:e|es|age)|mg|milligrams?|times? (?:a|per) day|daily|every \d+ hours)\b|剂量|每次|每日/,
  },
  {
    type: 'symptoms',
    question: /\b(?:symptoms?|signs?|feel like|look like|manifestations?|presentation|how do i know if)\b|症状|表现|征兆|迹象/,
    cue: /\b(?:symptoms?|signs?|include|experience|feel|pain|fever|swelling|redness|fatigue|may have|can cause|characteri[sz]ed by)\b|症状|表现|出现|感到/,
  },
  {
    type: 'treatment',
    question:
      /\b(?:treat\w*|cure\w*|therap\w*|medications?|medicines?|drugs?|manage\w*|remed\w*|what (?:can|should) i (?:do|take)|how to (?:get rid of|relieve|stop)|surgery)\b|治疗|怎么办|怎么治|吃什么药|用药|疗法|治愈|缓解/,
    cue: /\b(?:treat\w*|therap\w*|medication\w*|medicines?|drugs?|surgery|surgical|managed?|management|prescri\w*|rest|avoid\w*|lifestyle|relie\w*|recommend\w*|dose|doses)\b|治疗|药物|手术|服用|疗法|建议/,
  },
  {
    type: 'causes',
    question: /\b(?:caus\w*|why do|why does|why am|reasons? for|what leads to|trigger\w*|etiology|aetiology)\b|原因|为什么|引起|导致|病因/,
    cue: /\b(?:caus\w*|due to|results? from|resulting from|trigger\w*|leads? to|because|mutations?|infection|buildup|build-up|excess)\b|引起|导致|原因|由于/,
  },
  {
    type: 'diagnosis',
    question: /\b(?:diagnos\w*|test(?:s|ed|ing)?|exams?|examin\w*|screen\w*|detect\w*|find out if)\b|诊断|检查|化验|筛查/,
    cue: /\b(?:diagnos\w*|tests?|exams?|examination|blood test|imaging|x-rays?|scan|biopsy|screen\w*|measur\w*)\b|诊断|检查|化验|筛查/,
  },
  {
    type: 'prevention',
    question: /\b(?:prevent\w*|avoid\w*|reduce (?:my|the) risk|protect\w*|vaccin\w*)\b|预防|避免|防止/,
    cue: /\b(?:prevent\w*|avoid\w*|reduce\w*|lower\w* (?:the|your) risk|vaccin\w*|protect\w*|healthy)\b|预防|避免|防止|减少/,
  },
  {
    type: 'outlook',
    question:
      /\b(?:outlook|prognosis|life expectancy|survival|recover\w*|go away|how long|curable|fatal|die from)\b|预后|能治好|会好吗|多久|寿命/,
    cue: /\b(?:outlook|prognosis|life expectancy|survival|recover\w*|most people|usually|chronic|fatal|improve\w*)\b|预后|恢复|痊愈/,
  },
  {
    type: 'inheritance',
    question: /\b(?:inherit\w*|hereditary|genetic\w*|genes?|runs? in (?:the |my )?famil\w*|passed down)\b|遗传|基因/,
    cue: /\b(?:inherit\w*|autosomal|recessive|dominant|genes?|mutations?|famil\w*|parents?)\b|遗传|基因/,
  },
  {
    type: 'risk',
    question: /\b(?:risk|at risk|who gets|who is likely|susceptib\w*|more likely)\b|风险|易感|哪些人/,
    cue: /\b(?:risk|more likely|likely|increase\w*|older|age|obes\w*|smok\w*|family history)\b|风险|易患/,
  },
  {
    type: 'complications',
    question: /\b(?:complications?|dangerous|serious|long[- ]term effects?|lead to)\b|并发症|危害/,
    cue: /\b(?:complications?|damage|lead to|can cause|serious)\b|并发症|损害/,
  },
  {
    type: 'frequency',
    question: /\b(?:how common|how many people|prevalence|incidence|how often|frequency)\b|多常见|发病率|患病率/,
    cue: /\b(?:affects?|common|rare|prevalence|incidence|\d+ (?:in|out of) \d+|percent|%|people)\b|发病率|患病率|常见/,
  },
  {
    type: 'usage',
    question: /\b(?:used for|used to treat|why is it prescribed|what does \w+ do|how does \w+ work|what is \w+ for)\b|用途|作用是|治什么/,
    cue: /\b(?:used to|is used|prescribed|works by|helps)\b|用于|主治/,
  },
  {
    type: 'precautions',
    question:
      /\b(?:is it safe|safe to|precautions?|while pregnant|during pregnancy|breastfeed\w*|stor(?:e|age))\b|注意事项|禁忌|孕妇|安全吗/,
    cue: /\b(?:precautions?|before taking|tell your doctor|pregnan\w*|breastfeed\w*|safe|store)\b|注意|禁忌/,
  },
  {
    type: 'research',
    question: /\b(?:research\w*|clinical trials?|studies|new treatments?|latest)\b|研究|临床试验/,
    cue: /\b(?:research\w*|trials?|studies|study|investigat\w*)\b|研究|试验/,
  },
  {
    type: 'support',
    question: /\b(?:support groups?|organi[sz]ations?|literature|resources|specialists?|where can i (?:find|get))\b|哪家医院|哪里看/,
    cue: /\b(?:support|organi[sz]ations?|contact|resources|groups?)\b|医院|机构/,
  },
  {
    type: 'definition',
    question:
      /\b(?:what (?:is|are)|what's|define|definition|meaning of|tell me about|information about|do you have information)\b|是什么|什么是|介绍/,
    cue: /\b(?:is an?|are|refers to|is a type of|is the|condition|disease|disorder)\b|是一种|是指/,
  },
];

/**
 * The type of a question, in English or Chinese: `symptoms`, `causes`, `treatment`, …, `definition`
 * for "what is …", and `general` when nothing is recognised.
 *
 * @example
 * classifyQuestion('How is gout treated?') // → 'treatment'
 * classifyQuestion('痛风的症状有哪些？')     // → 'symptoms'
 */
export function classifyQuestion(question: string): QuestionType {
  const text = question.normalize('NFKC').toLowerCase();
  return RULES.find((rule) => rule.question.test(text))?.type ?? 'general';
}

/**
 * The types whose wording rules match a text, in rule order: the keyword evidence the learned
 * recogniser weighs among its features (and all it has for Chinese, which its training data lacks).
 */
export function ruleTypes(question: string): QuestionType[] {
  const text = question.normalize('NFKC').toLowerCase();
  return RULES.filter((rule) => rule.question.test(text)).map((rule) => rule.type);
}

/**
 * Every type a question's wording asks, most specific first (a message may ask several): the
 * first is {@link classifyQuestion}'s; `definition` only when nothing more specific is asked.
 *
 * @example
 * classifyQuestionTypes('What causes gout and how is it treated?') // → ['treatment', 'causes']
 */
export function classifyQuestionTypes(question: string): QuestionType[] {
  const text = question.normalize('NFKC').toLowerCase();
  const types = RULES.filter((rule) => rule.question.test(text)).map((rule) => rule.type);
  const specific = types.filter((t) => t !== 'definition');
  return specific.length ? specific : types.length ? types : ['general'];
}

/**
 * Whether a sentence or section heading speaks to `type` (the words an answer of that type uses).
 * Always false for `general`.
 *
 * @example
 * answersType('Symptoms include joint pain and swelling.', 'symptoms') // → true
 */
export function answersType(text: string, type: QuestionType): boolean {
  const rule = RULES.find((r) => r.type === type);
  return rule ? rule.cue.test(text.normalize('NFKC').toLowerCase()) : false;
}

/**
 * Whether a passage's section (e.g. MedQuAD's "What are the symptoms of Gout ?") asks the same kind
 * of question.
 *
 * @example
 * sectionMatchesType('How to diagnose Gout ?', 'diagnosis') // → true
 */
export function sectionMatchesType(section: string, type: QuestionType): boolean {
  return type !== 'general' && section.trim() !== '' && classifyQuestion(section) === type;
}
