import levenshtein from 'fast-levenshtein';

/** The closest of `names` to a misspelt `name`, when it is close enough to be what was meant. */
export function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const n of names) {
    const d = levenshtein.get(name.toLowerCase(), n.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** ` (did you mean X?)` when one of `names` is close to `name`, else ''. */
export const didYouMean = (name: string, names: readonly string[]): string => {
  const near = closest(name, names);
  return near ? ` (did you mean ${near}?)` : '';
};
