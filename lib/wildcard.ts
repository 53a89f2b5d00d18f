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
  const first = segments[0] ?? '';
  if (segments.length === 1) return pattern === subject;
  const last = segments[segments.length - 1] ?? '';
  if (first.length + last.length > subject.length) return false;
  if (!subject.startsWith(first) || !subject.endsWith(last)) return false;
  const end = subject.length - last.length;
  let position = first.length;
  for (const segment of segments.slice(1, -1)) {
    if (segment === '') continue;
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
  return outer === inner || wholeMatch(outer, inner);
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
