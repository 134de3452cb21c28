/**
 * Keeps at most `quotas[source]` items of each source (sources without a quota are unlimited),
 * preserving order, then cuts to `k`. Stops one source (a chatty wiki, a huge corpus) from
 * crowding out the others.
 *
 * @example
 * applySourceQuotas(hits, { sourceOf: (h) => h.source, quotas: { wikipedia: 3 }, k: 10 })
 */
export function applySourceQuotas<T>(
  items: readonly T[],
  options: { sourceOf: (item: T) => string; quotas: Readonly<Record<string, number>>; k: number },
): T[] {
  const used = new Map<string, number>();
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= options.k) break;
    const source = options.sourceOf(item);
    const quota = options.quotas[source];
    const n = used.get(source) ?? 0;
    if (quota !== undefined && n >= quota) continue;
    used.set(source, n + 1);
    out.push(item);
  }
  return out;
}
