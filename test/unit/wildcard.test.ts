import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  coveringFilters,
  isCoveredBy,
  matchesWildcard,
  uncoveredPatterns,
  wildcardContains,
} from '../../lib/wildcard.ts';

/** The reference matcher: a filter as an anchored regular expression, independent of lib/wildcard.ts. */
function bruteMatch(pattern: string, tag: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(tag);
}

/** Every tag over `alphabet` of length 0..maxLength. */
function allTags(alphabet: readonly string[], maxLength: number): string[] {
  const tags = [''];
  let layer = [''];
  for (let length = 1; length <= maxLength; length++) {
    layer = layer.flatMap((prefix) => alphabet.map((char) => prefix + char));
    tags.push(...layer);
  }
  return tags;
}

// Patterns over a tiny alphabet make overlaps (and so containments) frequent.
const patternArb = fc.stringMatching(/^[ab*-]{0,6}$/);
const tagArb = fc.stringMatching(/^[ab-]{0,8}$/);
const TAGS = allTags(['a', 'b', '-'], 7);
// `_` never occurs in a generated pattern: the character the completeness argument needs.
const FRESH = '_';

describe('matchesWildcard', () => {
  it.each([
    ['latest', 'latest', true],
    ['latest', 'latest2', false],
    ['dev-*', 'dev-', true],
    ['dev-*', 'dev-42', true],
    ['dev-*', 'xdev-42', false],
    ['*', '', true],
    ['*-rc*', '1.2-rc3', true],
    ['a*b*a', 'aba', true],
    ['a*b*a', 'ab', false],
    ['*.*', 'v1', false],
  ])('%s matches %j: %s', (pattern, tag, expected) => {
    expect(matchesWildcard(pattern, tag)).toBe(expected);
  });

  it('agrees with a regular-expression matcher', () => {
    fc.assert(
      fc.property(patternArb, tagArb, (pattern, tag) => {
        expect(matchesWildcard(pattern, tag)).toBe(bruteMatch(pattern, tag));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('wildcardContains', () => {
  it.each([
    ['dev-*', 'dev-1*', true],
    ['*', 'latest', true],
    ['a*', 'a*b', true],
    ['dev-*', 'dev-*', true],
    ['*-*', 'dev-*', true],
    ['*', '*', true],
    ['**', '*', true],
    ['*a*', 'a*', true],
    ['dev-*', 'dev-', true],
    ['dev-1*', 'dev-*', false],
    ['latest', '*', false],
    ['a*b', 'a*', false],
    ['latest', 'latest-1', false],
    ['*-*', 'dev*', false],
    ['a*a', 'a', false],
    ['a*', '*a', false],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(wildcardContains(outer, inner)).toBe(expected);
  });

  it('is sound: when it answers yes, every tag of the inner filter matches the outer one', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (outer, inner) => {
        fc.pre(wildcardContains(outer, inner));
        const escaping = TAGS.filter((tag) => bruteMatch(inner, tag) && !bruteMatch(outer, tag));
        expect(escaping, `${inner} ⊆ ${outer}`).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is complete: when it answers no, a tag of the inner filter escapes the outer one', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (outer, inner) => {
        fc.pre(!wildcardContains(outer, inner));
        // The witness the TSDoc promises: each `*` of inner replaced by a character outer lacks.
        const witness = inner.replaceAll('*', FRESH);
        expect(bruteMatch(inner, witness), `${witness} matches ${inner}`).toBe(true);
        expect(bruteMatch(outer, witness), `${witness} escapes ${outer}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a brute-force search over every tag up to a length bound', () => {
    // The constructive witness has at most inner's length, so tags over {a, b, -, _} of that
    // length decide containment exactly for these patterns.
    const tags = allTags(['a', 'b', '-', FRESH], 5);
    const shortPattern = fc.stringMatching(/^[ab*-]{0,5}$/);
    fc.assert(
      fc.property(shortPattern, shortPattern, (outer, inner) => {
        const contained = tags.every((tag) => !bruteMatch(inner, tag) || bruteMatch(outer, tag));
        expect(wildcardContains(outer, inner)).toBe(contained);
      }),
      { numRuns: 300 },
    );
  });

  it('is reflexive and transitive, and a tag is contained exactly where it matches', () => {
    fc.assert(
      fc.property(patternArb, patternArb, patternArb, tagArb, (a, b, c, tag) => {
        expect(wildcardContains(a, a)).toBe(true);
        if (wildcardContains(a, b) && wildcardContains(b, c)) expect(wildcardContains(a, c)).toBe(true);
        expect(wildcardContains(a, tag)).toBe(matchesWildcard(a, tag));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('coverage of tags and filters by a list of filters', () => {
  const allowed = ['latest', 'dev-*', 'pr-*'];

  it('names the filters that cover a tag or a filter, in their order', () => {
    expect(coveringFilters('dev-42', ['*', ...allowed])).toEqual(['*', 'dev-*']);
    expect(coveringFilters('dev-1*', allowed)).toEqual(['dev-*']);
    expect(coveringFilters('release-1', allowed)).toEqual([]);
  });

  it('says which patterns no filter covers', () => {
    expect(uncoveredPatterns(['latest', 'pr-7', 'dev*', 'release-1'], allowed)).toEqual([
      'dev*',
      'release-1',
    ]);
    expect(isCoveredBy(['latest', 'pr-7', 'dev-a*'], allowed)).toBe(true);
    expect(isCoveredBy(['latest', '*'], allowed)).toBe(false);
    expect(isCoveredBy([], [])).toBe(true);
  });
});
