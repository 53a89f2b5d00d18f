import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  areDisjoint,
  coveringFilters,
  intersectFilterSets,
  intersectWildcards,
  isCoveredBy,
  matchesWildcard,
  uncoveredPatterns,
  wildcardContains,
  withoutCoveredPatterns,
} from '../../lib/wildcard.ts';
import { allTags, bruteMatch } from '../helpers/brute-force.ts';

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

  it.each([
    ['a*Stryker was here!*b', 'a-b', false],
    ['a*Stryker was here!*b', 'a-Stryker was here!-b', true],
    ['a*-*b', 'ab', false],
    ['a**b', 'ab', true],
  ])(
    'takes each middle segment of %j as literal text, whatever it holds: against %j, %s',
    (pattern, tag, expected) => {
      expect(matchesWildcard(pattern, tag)).toBe(expected);
    },
  );

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

describe('intersectWildcards', () => {
  it.each([
    ['dev-*', '*-1', ['dev-*-1', 'dev-1']],
    ['a*', '*a', ['a', 'a*a']],
    ['latest', 'dev-*', []],
    ['dev*', 'dev-*', ['dev-*']],
    ['dev-*', 'dev-1*', ['dev-1*']],
    ['*', 'latest', ['latest']],
    ['**', '*', ['*']],
    ['*ab*', '*ba*', ['*ab*ba*', '*aba*', '*ba*ab*', '*bab*']],
    ['a*b', 'a*b', ['a*b']],
    ['', '*', ['']],
  ])('%s ∩ %s = %j', (a, b, filters) => {
    expect(intersectWildcards(a, b)).toEqual({ filters, exact: true });
  });

  it('drops a filter another one of its answer covers, at every step', () => {
    // `aaa*a*` (one way of matching) is covered by `aaa*` (another): only `aaa*` is kept.
    expect(intersectWildcards('aaa*', 'a*a*')).toEqual({ filters: ['aaa*'], exact: true });
    expect(intersectWildcards('aaa*', 'a*a*', 1)).toEqual({ filters: ['aaa*'], exact: true });
  });

  it('stays exact when the answer has exactly as many filters as allowed, and not with one fewer allowed', () => {
    expect(intersectWildcards('dev-*', '*-1', 2)).toEqual({ filters: ['dev-*-1', 'dev-1'], exact: true });
    expect(intersectWildcards('dev-*', '*-1', 1)).toEqual({ filters: ['dev-*-1'], exact: false });
    expect(intersectWildcards('a', '*', 1)).toEqual({ filters: ['a'], exact: true });
  });

  it('solves each sub-problem once, so filters of many wildcards stay within the work limit', () => {
    // Solving the shared sub-problems again would spend the work limit and give up (exact false).
    const few = '*a*a*a*a*';
    const many = `*${'a*'.repeat(10)}`;
    expect(intersectWildcards(few, many)).toEqual({ filters: [many], exact: true });
    expect(intersectWildcards(many, few)).toEqual({ filters: [many], exact: true });
  });

  it('lets an error other than the work limit through (a stack overflow on filters far past 128 characters)', () => {
    const huge = 'a'.repeat(200_000);
    expect(() => intersectWildcards(huge, huge)).toThrow(RangeError);
  });

  it('matches exactly the tags both filters match, with filters each covered by both (brute force)', () => {
    const shortPattern = fc.stringMatching(/^[ab*-]{0,5}$/);
    const tags = allTags(['a', 'b', '-', FRESH], 6);
    fc.assert(
      fc.property(shortPattern, shortPattern, (a, b) => {
        const { filters, exact } = intersectWildcards(a, b);
        expect(exact).toBe(true);
        for (const filter of filters) {
          expect(wildcardContains(a, filter), `${filter} ⊆ ${a}`).toBe(true);
          expect(wildcardContains(b, filter), `${filter} ⊆ ${b}`).toBe(true);
        }
        const both = tags.filter((tag) => bruteMatch(a, tag) && bruteMatch(b, tag));
        const union = tags.filter((tag) => filters.some((filter) => bruteMatch(filter, tag)));
        expect(union, `${a} ∩ ${b} = ${filters.join(' | ')}`).toEqual(both);
      }),
      { numRuns: 500 },
    );
  });

  it('errs strict when the exact answer is too large: what it returns matches only tags of both', () => {
    const a = `*${'a*'.repeat(40)}`;
    const b = `*${'b*'.repeat(40)}`;
    const large = intersectWildcards(a, b);
    expect(large.exact).toBe(false);
    const capped = intersectWildcards('*a*a*a*', '*b*b*b*', 3);
    expect(capped.exact).toBe(false);
    expect(capped.filters).toHaveLength(3);
    for (const filter of [...large.filters, ...capped.filters]) {
      expect(wildcardContains(a, filter) || wildcardContains('*a*a*a*', filter)).toBe(true);
    }
  });

  it('says two filters are disjoint exactly when no tag matches both (brute force)', () => {
    // Two filters of at most 3 characters that share a tag share one of at most 6 characters.
    const shortPattern = fc.stringMatching(/^[ab*-]{0,3}$/);
    const tags = allTags(['a', 'b', '-', FRESH], 6);
    fc.assert(
      fc.property(shortPattern, shortPattern, (a, b) => {
        const shared = tags.some((tag) => bruteMatch(a, tag) && bruteMatch(b, tag));
        expect(areDisjoint(a, b)).toBe(!shared);
      }),
      { numRuns: 500 },
    );
  });

  it('names a shared tag whenever it says two filters overlap', () => {
    const pattern = fc.stringMatching(/^[ab*-]{0,6}$/);
    fc.assert(
      fc.property(pattern, pattern, (a, b) => {
        fc.pre(!areDisjoint(a, b));
        const witness = intersectWildcards(a, b).filters[0]?.replaceAll('*', '') ?? '';
        expect(bruteMatch(a, witness) && bruteMatch(b, witness), `${witness} in ${a} and ${b}`).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('unions the pairwise intersections of two filter lists without redundant filters', () => {
    expect(intersectFilterSets(['dev-*', 'latest'], ['dev-1*', 'dev-12', 'latest', 'main'])).toEqual({
      filters: ['dev-1*', 'latest'],
      exact: true,
    });
    expect(withoutCoveredPatterns(['a*', 'ab', 'a**', 'b'])).toEqual(['a*', 'b']);
  });

  it('returns the filters kept sorted, whatever their given order', () => {
    expect(withoutCoveredPatterns(['pr-*', 'b', 'dev-*', 'a*', 'ab'])).toEqual(['a*', 'b', 'dev-*', 'pr-*']);
    expect(intersectFilterSets(['pr-*', 'dev-*'], ['*'])).toEqual({
      filters: ['dev-*', 'pr-*'],
      exact: true,
    });
  });

  it('is exact only when every pairwise intersection is, whichever pair is not', () => {
    expect(intersectFilterSets(['dev-*', 'latest'], ['*-1', 'latest'], 1)).toEqual({
      filters: ['dev-*-1', 'latest'],
      exact: false,
    });
    expect(intersectFilterSets(['latest', 'dev-*'], ['latest', '*-1'], 1)).toEqual({
      filters: ['dev-*-1', 'latest'],
      exact: false,
    });
  });
});
