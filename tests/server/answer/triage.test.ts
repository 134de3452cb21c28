import { describe, expect, it } from 'vitest';
import { triage } from '../../../server/answer/triage/index.js';

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
