import { describe, expect, it } from 'vitest';
import { continuesEarlierTurns, triage, triageConversation } from '../../../server/answer/triage/index.js';

const EMERGENCIES: Array<[string, string]> = [
  ['I have crushing chest pain that goes down my left arm and I am sweating', 'cardiac'],
  ['My dad has chest pressure and shortness of breath', 'cardiac'],
  ["My mother's face is drooping on one side and her speech is slurred", 'stroke'],
  ['Suddenly weak on one side of my body and can’t speak properly', 'stroke'],
  ['I think my dad is having a stroke', 'stroke'],
  ['I was stung by a bee and my throat is swelling', 'anaphylaxis'],
  ['After eating peanuts my son has trouble breathing and his lips are swollen', 'anaphylaxis'],
  ['I cut my hand and the bleeding won’t stop', 'bleeding'],
  ['I have been vomiting blood since this morning', 'bleeding'],
  ['I want to kill myself', 'suicide'],
  ["I don't want to live anymore, I'm thinking about suicide", 'suicide'],
  ['My toddler swallowed some bleach', 'poisoning'],
  ['I took too many pills on purpose', 'poisoning'],
  ['My 6 week old baby has a fever of 38.5C', 'infant-fever'],
  ['Newborn with a temperature of 39', 'infant-fever'],
  ['My husband had a seizure and now he is unresponsive', 'seizure'],
  ['He hit his head and keeps vomiting and seems confused', 'head-injury'],
  ['Fever with a stiff neck and a purple rash', 'meningitis'],
  ['I can’t breathe and my lips are turning blue', 'breathing'],
  ['胸痛，出冷汗，左臂发麻', 'cardiac'],
  ['我爸爸突然口角歪斜，说话不清', 'stroke'],
  ['被蜂蜇了以后喉咙肿，呼吸困难', 'anaphylaxis'],
  ['我不想活了，想自杀', 'suicide'],
  ['孩子误服了农药', 'poisoning'],
  ['两个月大的婴儿发烧38度', 'infant-fever'],
  ['伤口出血不止怎么办', 'bleeding'],
];

const NOT_EMERGENCIES = [
  'What are the symptoms of gout?',
  'How is type 2 diabetes treated?',
  'I have no chest pain, just a mild cough for two days',
  'Can a 5 year old take ibuprofen for a fever?',
  'What is the outlook for Aarskog-Scott syndrome?',
  '高血压患者平时应该注意什么？',
  'What causes a stroke? I want to understand the risk factors.',
  '',
];

describe('red-flag triage', () => {
  it.each(EMERGENCIES)('flags %j as %s', (question, category) => {
    const result = triage(question);
    expect(result.level).toBe('emergency');
    expect(result.reasons.map((r) => r.category)).toContain(category);
    expect(result.guidance).toMatch(/^⚠️/);
    for (const reason of result.reasons) expect(reason.matched.length).toBeGreaterThan(0);
  });

  it.each(NOT_EMERGENCIES)('does not flag %j', (question) => {
    expect(triage(question)).toMatchObject({ level: 'none', reasons: [], guidance: '' });
  });

  it('treats chest pain alone as urgent, and answers in the question’s language', () => {
    const en = triage('I sometimes get chest pain when climbing stairs');
    expect(en).toMatchObject({ level: 'urgent', language: 'en' });
    expect(en.guidance).toMatch(/today/);
    const zh = triage('最近偶尔胸闷');
    expect(zh).toMatchObject({ level: 'urgent', language: 'zh' });
    expect(zh.guidance).toMatch(/就医/);
  });

  it('adds crisis-line guidance for suicidal intent', () => {
    expect(triage('I want to end my life').guidance).toMatch(/988/);
    expect(triage('我想死').guidance).toMatch(/心理援助热线/);
  });

  it('reports each category once', () => {
    const r = triage('Crushing chest pain with sweating, chest tightness too');
    expect(r.reasons.map((x) => x.rule)).toEqual(['cardiac-chest-pain']);
  });
});

describe('conversation triage (the current message is judged)', () => {
  const CHEST = 'I have crushing chest pain and I am sweating';
  const ZH_CHEST = '我胸口痛，还出冷汗，怎么办？';

  it('does not keep a red flag for a later, unrelated question', () => {
    const r = triageConversation([CHEST, 'What is a good diet for gout?']);
    expect(r).toMatchObject({ level: 'none', reasons: [], guidance: '', language: 'en' });
  });

  it('speaks the current message’s language, not the first turn’s', () => {
    const r = triageConversation(['痛风的症状有哪些？', CHEST]);
    expect(r).toMatchObject({ level: 'emergency', language: 'en' });
    expect(r.guidance.startsWith('⚠️ This may be an emergency.')).toBe(true);
    const back = triageConversation([CHEST, ZH_CHEST]);
    expect(back).toMatchObject({ level: 'emergency', language: 'zh' });
    expect(back.guidance.startsWith('⚠️ 这可能是紧急情况。')).toBe(true);
    expect(triageConversation([ZH_CHEST, 'What is a good diet for gout?'])).toMatchObject({ level: 'none', language: 'en' });
  });

  const CONTINUING: Array<[string, string, string]> = [
    ['I have chest pain', 'and now my arm is numb', 'emergency'],
    ['I have chest pain', 'Now I am sweating too', 'emergency'],
    ['I have chest pain', "it's getting worse", 'urgent'],
    ['I have chest pain', 'It is spreading to my jaw', 'emergency'],
    [CHEST, 'still there, what should I do?', 'emergency'],
    ['最近胸闷', '现在还出冷汗', 'emergency'],
    ['最近胸闷', '越来越严重了', 'urgent'],
  ];
  it.each(CONTINUING)('reads %j with the continuing follow-up %j (%s)', (first, followUp, level) => {
    expect(continuesEarlierTurns(followUp)).toBe(true);
    expect(triageConversation([first, followUp]).level).toBe(level);
    // Alone, the follow-up is not a red flag: the earlier turn is what makes it one.
    expect(triage(followUp).level).toBe('none');
  });

  const FRESH = [
    'What is a good diet for gout?',
    'How much water should I drink each day?',
    'Thanks!',
    'What causes high blood pressure?',
    'How is it treated?',
    'Is gout hereditary?',
    '痛风患者应该吃什么？',
  ];
  it.each(FRESH)('judges the fresh question %j alone after a red-flag turn', (question) => {
    expect(continuesEarlierTurns(question)).toBe(false);
    expect(triageConversation([CHEST, question]).level).toBe('none');
    expect(triageConversation([ZH_CHEST, question]).level).toBe('none');
  });

  it('still flags a red flag in the current message and reads the patient context', () => {
    expect(triageConversation(['What is gout?', CHEST]).level).toBe('emergency');
    expect(triageConversation([CHEST, 'What should I do about a fever?'], 'Patient: 2-month-old baby girl.').level).toBe('emergency');
  });
});
