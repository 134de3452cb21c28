/**
 * Parses a Python list literal of strings, as ChatDoctor's CSV cells hold them
 * (`['Fever', "Crohn's disease"]`), without evaluating anything. Returns undefined when the text
 * is not such a literal.
 *
 * @example
 * parsePythonStringList("['a', \"b's\"]") // → ['a', "b's"]
 */
export function parsePythonStringList(text: string): string[] | undefined {
  const s = text.trim();
  if (!s.startsWith('[') || !s.endsWith(']')) return undefined;
  const items: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < s.length - 1 && /\s/.test(s[i]!)) i++;
  };
  skipSpace();
  while (i < s.length - 1) {
    const quote = s[i];
    if (quote !== "'" && quote !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      if (i >= s.length - 1) return undefined;
      const c = s[i]!;
      if (c === '\\') {
        const n = s[i + 1] ?? '';
        value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
        continue;
      }
      if (c === quote) {
        i++;
        break;
      }
      value += c;
      i++;
    }
    items.push(value);
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
    } else if (i !== s.length - 1) {
      return undefined;
    }
  }
  return items;
}
