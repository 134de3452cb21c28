const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;
const CJK_GLOBAL = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/gu;
const KANA = /[\u3040-\u30ff]/u;
const HANGUL = /[\uac00-\ud7af]/u;

/** True when `text` holds any Chinese, Japanese or Korean character. */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/**
 * A coarse language tag from the script mix: CJK-heavy text becomes `zh`, `ja` or `ko`,
 * anything else `en`. Enough to route search (trigram vs Porter), not a language identifier.
 */
export function detectLanguage(text: string): string {
  const sample = text.slice(0, 4000);
  const cjk = sample.match(CJK_GLOBAL)?.length ?? 0;
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0 || cjk / letters < 0.3) return 'en';
  if (KANA.test(sample)) return 'ja';
  if (HANGUL.test(sample)) return 'ko';
  return 'zh';
}
