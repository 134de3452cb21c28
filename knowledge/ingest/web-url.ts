/**
 * `url` when it is an absolute `http:` or `https:` URL, else null: a citation link must be one a
 * browser can follow without running anything (`javascript:`, `data:`, `file:` … are not).
 *
 * @example
 * webUrl('https://medlineplus.gov/gout.html'); // 'https://medlineplus.gov/gout.html'
 * webUrl('javascript:alert(1)');               // null
 */
export function webUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url.trim() : null;
  } catch {
    return null;
  }
}
