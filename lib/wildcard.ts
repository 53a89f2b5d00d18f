/**
 * ECR's tag-mutability exclusion filters as languages of tags, and containment between them. Pure.
 *
 * A filter is literal characters plus the `*` wildcard, which matches any run of characters,
 * including none; it matches a whole tag (API_ImageTagMutabilityExclusionFilter,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageTagMutabilityExclusionFilter.html).
 * Tags cannot contain `*` (API_PutImage `imageTag`), so a tag is a filter without wildcards and every
 * function here takes either. How the policy uses these: docs/architecture.md, "Strictness".
 */

/**
 * True when `pattern` matches all of `subject`, where `subject`'s characters (a `*` included) are
 * literals and only `pattern`'s `*` is a wildcard.
 *
 * Greedy over the literal segments between `pattern`'s wildcards: the first segment must start the
 * subject, the last must end it, and each middle segment is taken at its leftmost occurrence after
 * the previous one (the leftmost choice leaves the most room for the rest, so it is never wrong).
 * A segment holds no `*`, so it can never be found across one of `subject`'s `*`.
 */
function wholeMatch(pattern: string, subject: string): boolean {
  const segments = pattern.split('*');
  // Stryker disable next-line StringLiteral: unreachable, split always returns at least one segment.
  const first = segments[0] ?? '';
  if (segments.length === 1) return pattern === subject;
  // Stryker disable next-line StringLiteral: unreachable, a pattern with a `*` splits into at least two segments.
  const last = segments[segments.length - 1] ?? '';
  if (first.length + last.length > subject.length) return false;
  if (!subject.startsWith(first) || !subject.endsWith(last)) return false;
  const end = subject.length - last.length;
  let position = first.length;
  // An empty segment (from `**`) is found at `position` itself, which never passes `end`: it moves nothing.
  for (const segment of segments.slice(1, -1)) {
    const at = subject.indexOf(segment, position);
    if (at < 0 || at + segment.length > end) return false;
    position = at + segment.length;
  }
  return true;
}

/** True when the exclusion filter `pattern` matches `tag` (e.g. `dev-*` matches `dev-42`). */
export function matchesWildcard(pattern: string, tag: string): boolean {
  return wholeMatch(pattern, tag);
}

/**
 * True when every tag `inner` matches is also matched by `outer`: `dev-1*` ⊆ `dev-*`,
 * `latest` ⊆ `*`, `a*b` ⊆ `a*`, but not `dev-*` ⊆ `dev-1*`. `inner` may be a tag or a filter.
 *
 * Computed exactly, not by sampling: `outer` must match `inner` read as a string in which each of
 * `inner`'s `*` can only be absorbed by one of `outer`'s `*`.
 * - Sound: such a match turns into a match of every tag of `inner` (each `*` of `inner` is replaced
 *   by its text inside the `*` of `outer` that absorbed it).
 * - Complete whenever some tag character does not occur in `outer` (ECR tags use 65 characters and
 *   a filter is at most 128): replacing each `*` of `inner` by that character gives a tag of `inner`
 *   that `outer` can only match by absorbing those characters with its own `*`. A filter that spells
 *   out all 65 characters could cover a pattern this answer rejects; the policy then stays strict.
 */
export function wildcardContains(outer: string, inner: string): boolean {
  // A pattern contains itself: wholeMatch(p, p) holds, as p starts with its first segment, ends with its
  // last and holds its middle segments in order.
  return wholeMatch(outer, inner);
}

/**
 * The filters among `filters` that cover `pattern` (a tag or a filter), in their given order: for a
 * tag, the filters that leave it mutable. Empty when none does.
 */
export function coveringFilters(pattern: string, filters: readonly string[]): string[] {
  return filters.filter((filter) => wildcardContains(filter, pattern));
}

/** The entries of `patterns` (tags or filters) that no filter of `filters` covers, in order. */
export function uncoveredPatterns(patterns: readonly string[], filters: readonly string[]): string[] {
  return patterns.filter((pattern) => !filters.some((filter) => wildcardContains(filter, pattern)));
}

/**
 * True when each of `patterns` (tags or filters) is covered by at least one of `filters`: everything
 * `patterns` matches, `filters` match too. An empty `patterns` is covered by anything.
 */
export function isCoveredBy(patterns: readonly string[], filters: readonly string[]): boolean {
  return uncoveredPatterns(patterns, filters).length === 0;
}

/** `a**b` → `a*b`: a run of wildcards matches what one does, and the intersection below needs none. */
export function collapseWildcards(pattern: string): string {
  return pattern.replace(/\*{2,}/g, '*');
}

/**
 * The filters of `patterns` that no other one covers (sorted, de-duplicated): the same tags, with fewer
 * filters. Coverage is {@link wildcardContains}, so a redundant filter it cannot prove redundant stays.
 */
export function withoutCoveredPatterns(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns.map(collapseWildcards))].sort();
  return unique.filter(
    (pattern) => !unique.some((other) => other !== pattern && wildcardContains(other, pattern)),
  );
}

/** The result of intersecting wildcard languages: `exact` is false when some of it had to be left out. */
export interface WildcardIntersection {
  /** Filters whose tags are all matched by both sides (each a refinement of both: covered by each). */
  readonly filters: readonly string[];
  /** True when the filters match exactly the tags both sides match; false when tags were left out. */
  readonly exact: boolean;
}

/** How many filters one intersection may grow to before parts of it are left out (and `exact` is false). */
export const MAX_INTERSECTION_FILTERS = 32;

/**
 * How many containment checks one intersection may spend simplifying before it gives up (returning no
 * filter, `exact` false): pathological filters (`*a*a*…` against `*b*b*…`, 128 characters each) would
 * otherwise take seconds, and nothing is the strict answer.
 */
export const MAX_INTERSECTION_WORK = 200_000;

class IntersectionTooLarge extends Error {}

/**
 * The tags matched by both `a` and `b`, as a union of filters: `dev-*` ∩ `*-1` = `dev-*-1` ∪ `dev-1`
 * (the `-` shared), `a*` ∩ `*a` = `a` ∪ `a*a`, `latest` ∩ `dev-*` = nothing.
 *
 * Exact: the intersection of two such languages is always a finite union of filters. Walking both
 * filters from the left, a literal on both sides must agree; a literal against a `*` is either absorbed
 * by that `*` or ends it (the `*` matches nothing more); two `*` meet as one `*` in the result, after
 * which one of them ends first. Each resulting filter is read off a way the two can match the same tag,
 * so it is a refinement of both (each of its `*` sits inside a `*` of `a` and one of `b`), and
 * {@link wildcardContains} proves it covered by either. Interleavings can make the exact answer large
 * (`*a*a*a*` ∩ `*b*b*b*`): past {@link MAX_INTERSECTION_FILTERS} filters per step the rest is left out,
 * and past {@link MAX_INTERSECTION_WORK} nothing is returned; `exact` is then false, and what is
 * returned matches fewer tags, never more.
 */
export function intersectWildcards(
  a: string,
  b: string,
  maxFilters = MAX_INTERSECTION_FILTERS,
): WildcardIntersection {
  const left = collapseWildcards(a);
  const right = collapseWildcards(b);
  const memo = new Map<number, string[]>();
  let exact = true;
  let work = 0;
  const onlyWildcards = (text: string) => /^\**$/.test(text);
  const join = (...parts: string[][]): string[] => {
    const unique = [...new Set(parts.flat())].sort();
    work += unique.length * unique.length;
    // Stryker disable next-line EqualityOperator: the limit bounds effort, not the answer: `>=` gives up one unit of work sooner, which only an input whose work is exactly the limit could show, and a random and a targeted search found none.
    if (work > MAX_INTERSECTION_WORK) throw new IntersectionTooLarge();
    const simplified = unique.filter(
      (pattern) => !unique.some((other) => other !== pattern && wildcardContains(other, pattern)),
    );
    if (simplified.length <= maxFilters) return simplified;
    exact = false;
    return simplified.slice(0, maxFilters);
  };
  const prefixed = (head: string, tails: readonly string[]) =>
    tails.map((tail) => collapseWildcards(head + tail));
  // The filters matching what both `left` from `i` and `right` from `j` match.
  const walk = (i: number, j: number): string[] => {
    // Stryker disable next-line ArithmeticOperator: `- j` is equivalent, i * (right.length + 1) - j is as injective for 0 <= j <= right.length (two keys equal only for the same i and j), so the memo answers the same.
    const key = i * (right.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: string[];
    if (i === left.length || j === right.length) {
      const rest = i === left.length ? right.slice(j) : left.slice(i);
      result = onlyWildcards(rest) ? [''] : [];
    } else {
      const x = left.charAt(i);
      const y = right.charAt(j);
      if (x !== '*' && y !== '*') {
        result = x === y ? prefixed(x, walk(i + 1, j + 1)) : [];
      } else if (x !== '*') {
        // `right`'s `*` ends here, or absorbs `x`.
        result = join(walk(i, j + 1), prefixed(x, walk(i + 1, j)));
      } else if (y !== '*') {
        result = join(walk(i + 1, j), prefixed(y, walk(i, j + 1)));
      } else {
        // Both `*` match the same first stretch; then one of them ends (the other may go on).
        result = join(prefixed('*', walk(i, j + 1)), prefixed('*', walk(i + 1, j)));
      }
    }
    memo.set(key, result);
    return result;
  };
  try {
    return { filters: walk(0, 0), exact };
  } catch (error) {
    if (error instanceof IntersectionTooLarge) return { filters: [], exact: false };
    throw error;
  }
}

/**
 * The tags matched by some filter of `as` and some filter of `bs`, as filters (each covered by a filter
 * of `as` and by one of `bs`); `exact` as in {@link intersectWildcards}.
 */
export function intersectFilterSets(
  as: readonly string[],
  bs: readonly string[],
  maxFilters = MAX_INTERSECTION_FILTERS,
): WildcardIntersection {
  let exact = true;
  const parts: string[] = [];
  for (const a of as) {
    for (const b of bs) {
      const piece = intersectWildcards(a, b, maxFilters);
      exact &&= piece.exact;
      parts.push(...piece.filters);
    }
  }
  return { filters: withoutCoveredPatterns(parts), exact };
}

/**
 * True when no tag matches both `a` and `b`; false when one does, or when that cannot be settled within
 * {@link MAX_INTERSECTION_WORK} (a caller keeping tags immutable then assumes they overlap).
 */
export function areDisjoint(a: string, b: string): boolean {
  const intersection = intersectWildcards(a, b, 1);
  return intersection.exact && intersection.filters.length === 0;
}
