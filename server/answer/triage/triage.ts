import { RED_FLAG_RULES, type RedFlagCategory, type RedFlagRule, type TriageLevel } from './red-flag-rules.js';

/** One rule that fired, with the words that made it fire. */
export interface TriageReason {
  rule: string;
  category: RedFlagCategory;
  level: TriageLevel;
  description: string;
  matched: string[];
}

/** The triage of a question: `none` when no red flag was found. */
export interface TriageResult {
  level: TriageLevel | 'none';
  reasons: TriageReason[];
  /** Urgent-care guidance to put before anything else in the answer; empty when `level` is `none`. */
  guidance: string;
  /** Language the guidance is written in. */
  language: 'en' | 'zh';
}

// A matched phrase preceded by one of these (within a few words) is negated: "no chest pain".
const NEGATION =
  /(?:\b(?:no|not|never|without|denies|denied|don'?t have|doesn'?t have|didn'?t have|free of)\b(?:\s+\w+){0,3}\s*$)|(?:(?:没有|无|不|否认)[^，。,.!?！？]{0,4}$)/;

/**
 * Checks a question (and, optionally, the patient's recent messages) for red-flag emergencies with
 * the transparent rules of {@link RED_FLAG_RULES}, in English and Chinese. Negated mentions ("no
 * chest pain", "没有胸痛") do not count. The result's guidance opens the answer whatever the model
 * writes. This is a safety net, not a diagnosis: it errs towards sending people to care.
 *
 * `language` (default: Chinese when the text has Chinese characters) picks the guidance's language.
 *
 * @example
 * triage('I have crushing chest pain and I am sweating').level // → 'emergency'
 */
export function triage(
  text: string,
  rules: readonly RedFlagRule[] = RED_FLAG_RULES,
  language: 'en' | 'zh' = /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en',
): TriageResult {
  const normal = text.normalize('NFKC').toLowerCase().replace(/[’‘]/g, "'");
  const reasons: TriageReason[] = [];
  for (const rule of rules) {
    const matched: string[] = [];
    const fires = rule.allOf.every((group) => {
      for (const pattern of group) {
        const hit = firstAffirmed(normal, pattern);
        if (hit !== undefined) {
          matched.push(hit);
          return true;
        }
      }
      return false;
    });
    // A lesser rule of a category already flagged adds nothing (chest pain alone after a heart attack rule).
    if (fires && !reasons.some((r) => r.category === rule.category)) {
      reasons.push({ rule: rule.id, category: rule.category, level: rule.level, description: rule.description, matched });
    }
  }
  const level = reasons.some((r) => r.level === 'emergency') ? 'emergency' : reasons.length ? 'urgent' : 'none';
  return { level, reasons, guidance: level === 'none' ? '' : guidanceFor(level, reasons, language), language };
}

function firstAffirmed(text: string, pattern: RegExp): string | undefined {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const m of text.matchAll(global)) {
    if (!NEGATION.test(text.slice(Math.max(0, m.index - 40), m.index))) return m[0];
  }
  return undefined;
}

function guidanceFor(level: TriageLevel, reasons: TriageReason[], language: 'en' | 'zh'): string {
  const suicide = reasons.some((r) => r.category === 'suicide');
  const poisoning = reasons.some((r) => r.category === 'poisoning');
  if (language === 'zh') {
    const lines = [
      level === 'emergency'
        ? '⚠️ 这可能是紧急情况。如果症状正在发生，请立即拨打急救电话（中国大陆 120，香港 999，台湾 119），或尽快前往最近的急诊室。不要等待网上的回答。'
        : '⚠️ 这些症状需要尽快就医：请今天联系医生或前往急诊。',
    ];
    if (suicide)
      lines.push(
        '如果你有伤害自己的想法，请现在就联系身边信任的人，或拨打心理援助热线（如北京心理危机干预中心 010-82951332、全国心理援助热线 400-161-9995）。你并不孤单。',
      );
    if (poisoning) lines.push('如怀疑中毒或服药过量，请保留药物或化学品包装，并立即就医。');
    return lines.join('\n');
  }
  const lines = [
    level === 'emergency'
      ? '⚠️ This may be an emergency. If it is happening now, call your local emergency number (911 in the US, 112 in Europe, 999 in the UK) or go to the nearest emergency department. Do not wait for an online answer.'
      : '⚠️ These symptoms need prompt medical attention: contact a doctor or urgent care today, and call emergency services if they get worse.',
  ];
  if (suicide)
    lines.push(
      'If you are thinking about harming yourself, please reach out now: call or text 988 (Suicide & Crisis Lifeline, US), call 116 123 (Samaritans, UK/Ireland), or your local crisis line, and tell someone you trust. You are not alone.',
    );
  if (poisoning)
    lines.push(
      'For a poisoning or overdose, call Poison Control (1-800-222-1222 in the US) or emergency services, and keep the container or label.',
    );
  return lines.join('\n');
}
