/**
 * Reference implementations for brute-force cross-checks of lib/wildcard.ts and lib/policy.ts, written
 * independently of them: a filter as an anchored regular expression, every tag up to a length, and ECR's
 * rule for which tags a setting leaves mutable (user guide, "Preventing image tags from being overwritten").
 */

/** True when the exclusion filter `pattern` matches all of `tag` (`*`: any run of characters). */
export function bruteMatch(pattern: string, tag: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(tag);
}

/** Every tag over `alphabet` of length 0..maxLength. */
export function allTags(alphabet: readonly string[], maxLength: number): string[] {
  const tags = [''];
  let layer = [''];
  for (let length = 1; length <= maxLength; length++) {
    layer = layer.flatMap((prefix) => alphabet.map((char) => prefix + char));
    tags.push(...layer);
  }
  return tags;
}

/** ECR's rule: may a push move `tag` under `setting`? Unknown values leave nothing mutable. */
export function mutableUnder(
  setting: { readonly mutability: string; readonly exclusionFilters: readonly string[] },
  tag: string,
): boolean {
  const matched = setting.exclusionFilters.some((filter) => bruteMatch(filter, tag));
  switch (setting.mutability) {
    case 'MUTABLE':
      return true;
    case 'MUTABLE_WITH_EXCLUSION':
      return !matched;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return matched;
    default:
      return false;
  }
}
