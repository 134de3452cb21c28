/** Most list items folded into the sentence that introduces them ("Symptoms include: - a - b"). */
const MAX_LIST_ITEMS = 8;
// "Summary : …", "How the Test is Performed : …" — MedQuAD's inline section labels.
const LABEL = /^[A-Z][A-Za-z ,'()-]{0,60}\s:\s+/;
const BULLET = /^\s*(?:[-*•·]|\d{1,2}[.)])\s+/;
// A sentence ends at . ! ? (and closing quotes/brackets) before a capital, digit or quote; or at Chinese full stops.
const SENTENCE_END = /(?<=[.!?]["')\]]?)\s+(?=["'([]?[A-Z0-9])|(?<=[。！？；])/u;

/**
 * Splits passage text into sentences for extractive answers, in English and Chinese. A line that
 * introduces a bulleted list ("Symptoms may include:") keeps its items, joined into one sentence,
 * so the answer never quotes a dangling colon. Inline MedQuAD labels ("Summary : ") are dropped.
 *
 * @example
 * splitSentences('Gout is arthritis. It causes pain.\nSymptoms include:\n- swelling\n- redness')
 * // → ['Gout is arthritis.', 'It causes pain.', 'Symptoms include: swelling; redness.']
 */
export function splitSentences(text: string): string[] {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(LABEL, '');
    if (BULLET.test(line)) {
      // A list without an introducing line: each item stands alone when it is a sentence itself.
      const item = line.replace(BULLET, '').trim();
      if (/[.!?。！？]$/.test(item) && item.split(/\s+/).length >= 4) out.push(...splitLine(item));
      continue;
    }
    const sentences = splitLine(line);
    const last = sentences.pop();
    if (last === undefined) continue;
    out.push(...sentences);
    if (/[:：]$/.test(last) && i + 1 < lines.length && BULLET.test(lines[i + 1]!)) {
      const items: string[] = [];
      while (i + 1 < lines.length && BULLET.test(lines[i + 1]!)) {
        i++;
        if (items.length < MAX_LIST_ITEMS)
          items.push(
            lines[i]!.replace(BULLET, '')
              .replace(/[.;,]+$/, '')
              .trim(),
          );
      }
      const chinese = /[\u4e00-\u9fff]/.test(last);
      out.push(`${last} ${items.filter(Boolean).join(chinese ? '；' : '; ')}${chinese ? '。' : '.'}`);
    } else {
      out.push(last);
    }
  }
  return out.map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s.length > 1);
}

function splitLine(line: string): string[] {
  return line
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter(Boolean);
}
