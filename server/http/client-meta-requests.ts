/** What a client's own housekeeping prompt asks for. */
export type MetaRequestKind = 'title' | 'tags' | 'follow-ups' | 'queries' | 'autocomplete' | 'emoji';

// Open WebUI's task prompts ("### Task:\nGenerate a concise, 3-5 word title…"), old and new
// wordings. They are about the chat, not a medical question: no retrieval, no triage.
const KINDS: ReadonlyArray<[MetaRequestKind, RegExp]> = [
  ['title', /\b(?:generate|create) a concise,? 3-5 word (?:title|phrase)\b/i],
  ['tags', /\bgenerate 1-3 broad tags\b/i],
  ['follow-ups', /\bsuggest 3-5 relevant follow-up questions\b/i],
  ['queries', /\b(?:generate|determine the necessity of generating) search queries\b|\bgenerate (?:1-3 )?(?:broad )?search queries\b/i],
  ['autocomplete', /\byou are an autocompletion system\b/i],
  ['emoji', /\brespond with (?:a single|one) emoji\b/i],
];

/** The kind of client meta-request `content` is (checked on the last user message), or null for a real question. */
export function metaRequestKind(content: string): MetaRequestKind | null {
  if (!/^\s*(?:###\s*)?Task:/i.test(content) && !/<chat_history>/i.test(content)) return null;
  for (const [kind, pattern] of KINDS) if (pattern.test(content)) return kind;
  return null;
}

/**
 * A brief answer to a client meta-request, in the JSON its prompt asks for: a title made of the
 * chat's first question, no tags, follow-ups or queries (Galen suggests nothing it has not read).
 *
 * @example
 * answerMetaRequest('title', '### Task:\nGenerate a concise, 3-5 word title…<chat_history>\nUSER: What causes gout?\n</chat_history>')
 * // → '{"title":"What causes gout"}'
 */
export function answerMetaRequest(kind: MetaRequestKind, content: string): string {
  switch (kind) {
    case 'title':
      return JSON.stringify({ title: titleOf(content) });
    case 'tags':
      return JSON.stringify({ tags: ['Health'] });
    case 'follow-ups':
      return JSON.stringify({ follow_ups: [] });
    case 'queries':
      return JSON.stringify({ queries: [] });
    case 'emoji':
      return '🩺';
    case 'autocomplete':
      return JSON.stringify({ text: '' });
  }
}

function titleOf(content: string): string {
  const history = /<chat_history>([\s\S]*?)<\/chat_history>/i.exec(content)?.[1] ?? content;
  const firstUser = /^\s*USER:\s*(.+)$/im.exec(history)?.[1] ?? '';
  const words = firstUser
    .replace(/[?!.。？！]+\s*$/u, '')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0) return 'Medical question';
  // Chinese has no spaces: the first characters.
  if (words.length === 1 && /[\u4e00-\u9fff]/.test(words[0]!)) return words[0]!.slice(0, 12);
  return words.slice(0, 6).join(' ');
}
