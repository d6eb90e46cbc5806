/** Edit distance (insertions, deletions, substitutions), for suggesting what a typo meant. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, if close enough to be a typo: case is ignored, and at
 * most a third of the word (at least one character) may differ. Ties go to the first.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a long word is not compared at
    // all (a 1 MB time zone took 30 s against the ~430 zone names).
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = levenshtein(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * `; did you mean "x"?` when one candidate is close, else the list of what is allowed
 * (`noneText` when there is nothing at all), so the reader always learns what to write.
 */
export function suggestion(word: string, candidates: readonly string[], what: string, noneText: string): string {
  const match = closest(word, candidates);
  if (match !== undefined) return `; did you mean "${match}"?`;
  if (candidates.length === 0) return ` (${noneText})`;
  return ` (${what}: ${candidates.join(', ')})`;
}
