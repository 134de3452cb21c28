/**
 * The words of a text as analysis compares them: NFKC, lower case, apostrophes dropped
 * ("Alzheimer's" → "alzheimers"), letters and digits only. Chinese runs stay whole.
 *
 * @example
 * words("Alzheimer's disease?") // → ['alzheimers', 'disease']
 */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .replace(/['’]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The form a word is looked up under: a trailing plural `s` dropped from longer words, so
 * "hemorrhoids" finds "hemorrhoid" and "diabetes" stays one key either way.
 */
export function wordKey(word: string): string {
  return word.length > 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** Whether a text holds Chinese characters. */
export function hasHan(text: string): boolean {
  return /[\u4e00-\u9fff]/.test(text);
}
