/**
 * Optimal-string-alignment distance from `a` to `b` (Levenshtein plus adjacent transpositions, so
 * "alzhiemers" is one edit from "alzheimers"), giving up with `limit + 1` once the distance must
 * exceed `limit`. `insertCost` prices a letter of `b` that `a` lacks: people drop letters of long
 * words more often than they garble them ("hemroids" is nearer "hemorrhoids" than "heroin").
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY, insertCost = 1): number {
  if (b.length - a.length > limit / insertCost || a.length - b.length > limit) return limit + 1;
  let prevPrev = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j * insertCost);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + insertCost, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prevPrev[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [prevPrev, prev, cur] = [prev, cur, prevPrev];
  }
  return prev[b.length]!;
}
