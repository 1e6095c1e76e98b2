// "Did you mean ...?": the nearest known word to a misspelt one, by edit distance.

/**
 * The optimal string alignment distance (Damerau-Levenshtein without repeated edits of one
 * substring): insertions, deletions, substitutions and swaps of two neighbours each cost 1,
 * so `kernal` is 1 from `kernel` and `kenrel` is 1 too.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `word`, if it is near enough to be a typo of it: at most 1 edit for
 * words of up to 4 letters, 2 for longer ones, and fewer edits than the shorter word has
 * letters (so `ab` does not suggest `cd`). Ties go to the first candidate. Case is ignored.
 */
export function closestWord(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) return undefined;
    const distance = editDistance(w, c.toLowerCase());
    const limit = Math.min(Math.max(w.length, c.length) <= 4 ? 1 : 2, Math.min(w.length, c.length) - 1);
    if (distance <= limit && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** `: did you mean 'x'?` for a message about `word`, or '' when no candidate is near. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closestWord(word, candidates);
  return c === undefined ? '' : `: did you mean '${c}'?`;
}
