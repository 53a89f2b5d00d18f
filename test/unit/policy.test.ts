/**
 * The policy's strictness (lib/policy.ts): which settings are at least as strict, which tags a setting
 * leaves mutable, and the narrowed setting a remediation writes, checked tag by tag.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateRepository, evaluateTemplate } from '../../lib/decision.ts';
import {
  broadestFirst,
  describeSetting,
  isAtLeastAsStrict,
  isTagMutable,
  mutableFilters,
  narrowSetting,
  type Policy,
  permittedFilters,
  TAG_MUTABILITIES,
} from '../../lib/policy.ts';
import { allTags, bruteMatch, mutableUnder } from '../helpers/brute-force.ts';
import { facts, IMMUTABLE_POLICY, NOW } from '../helpers/policies.ts';

describe('permittedFilters', () => {
  it.each([
    [{ mutability: 'IMMUTABLE', exclusionFilters: [] }, undefined, []],
    [
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
      undefined,
      ['dev-*', 'latest'],
    ],
    [
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      ['pr-*', 'latest'],
      ['latest', 'pr-*'],
    ],
    [{ mutability: 'IMMUTABLE', exclusionFilters: [] }, ['pr-*'], ['pr-*']],
  ] as const)(
    'of target %o and allowed exclusions %o are %o, sorted and unique',
    (target, allowed, expected) => {
      expect(permittedFilters({ target, allowedExclusions: allowed })).toEqual(expected);
    },
  );
});

describe('isAtLeastAsStrict', () => {
  const devAndLatest = {
    mutability: 'IMMUTABLE_WITH_EXCLUSION',
    exclusionFilters: ['latest', 'dev-*'],
  } as const;

  it.each([
    ['IMMUTABLE', [], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-1*', 'latest'], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['pr-*'], true],
    ['IMMUTABLE_WITH_EXCLUSION', ['*'], false],
    ['MUTABLE', [], false],
    ['MUTABLE_WITH_EXCLUSION', [], false],
    ['', [], false],
  ] as const)(
    'isAtLeastAsStrict(%s %j) with target [dev-*, latest] and pr-* allowed: %s',
    (mutability, filters, expected) => {
      const policy = { target: devAndLatest, allowedExclusions: ['pr-*'] };
      expect(isAtLeastAsStrict({ mutability, exclusionFilters: filters }, policy)).toBe(expected);
    },
  );
});

describe('never looser, tag by tag: a write keeps every tag that was immutable immutable', () => {
  const target = (...filters: string[]): Policy => ({
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters },
    exemptRepositories: [],
  });
  const iwe = (...filters: string[]) => ({
    mutability: 'IMMUTABLE_WITH_EXCLUSION',
    exclusionFilters: filters,
  });
  const immutable = { mutability: 'IMMUTABLE', exclusionFilters: [] };

  it.each([
    ['MUTABLE_WITH_EXCLUSION', ['latest'], target('latest'), immutable],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], target('dev-*'), immutable],
    ['MUTABLE', [], target('latest'), iwe('latest')],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], target('dev-1*'), iwe('dev-1*')],
    ['MUTABLE_WITH_EXCLUSION', ['latest'], target('latest', 'dev-*'), iwe('dev-*')],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*', 'main'], target('dev-1*', 'latest'), iwe('dev-1*')],
    ['IMMUTABLE_WITH_EXCLUSION', ['a*'], target('*a'), iwe('a', 'a*a')],
    // A complement it cannot spell (every dev-* tag but dev-1*): stricter, the overlapping filter dropped.
    ['MUTABLE_WITH_EXCLUSION', ['dev-1*'], target('dev-*', 'latest'), iwe('latest')],
    ['IMMUTABLE_SOMEDAY', [], target('latest'), immutable],
  ] as const)('%s %j under %o writes %o', (mutability, filters, policy, desired) => {
    const decision = evaluateRepository(facts({ mutability, exclusionFilters: [...filters] }), policy, NOW);
    expect(decision).toMatchObject({ kind: 'remediate', desired });
    const template = {
      prefix: 'ROOT',
      registryId: '123456789012',
      setting: { mutability, exclusionFilters: [...filters] },
    };
    expect(evaluateTemplate(template, policy)).toMatchObject({ kind: 'remediate', desired });
  });

  it('says in the reason what it writes when that is not the target', () => {
    const decision = evaluateRepository(
      facts({ mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] }),
      target('latest'),
      NOW,
    );
    expect(decision.reason).toContain(
      '; writes IMMUTABLE: only tags mutable before and allowed stay mutable',
    );
  });

  it('keeps what an IMMUTABLE_WITH_EXCLUSION repository shares with the allowed exclusions, and only that', () => {
    const policy: Policy = { ...IMMUTABLE_POLICY, allowedExclusions: ['latest', 'pr-*'] };
    const decision = evaluateRepository(
      facts({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'pr-1*', 'release-*'] }),
      policy,
      NOW,
    );
    expect(decision).toMatchObject({ kind: 'remediate', desired: iwe('latest', 'pr-1*') });
    // A MUTABLE repository gets the target only: allowed exclusions are granted with evidence (the plan).
    expect(
      evaluateRepository(facts({ mutability: 'MUTABLE', exclusionFilters: [] }), policy, NOW),
    ).toMatchObject({
      kind: 'remediate',
      desired: immutable,
    });
  });

  it('errs strict beyond 5 filters: it keeps the broadest 5 and says so', () => {
    const written = narrowSetting(iwe('a*', 'b*', 'c*', 'd*', 'e*', 'f*'), ['*1', '*2']);
    expect(written.exact).toBe(false);
    expect(written.setting.exclusionFilters).toHaveLength(5);
    const decision = evaluateRepository(
      facts({
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusionFilters: ['a*', 'b*', 'c*', 'd*', 'e*', 'f*'],
      }),
      target('*1', '*2'),
      NOW,
    );
    expect(decision.reason).toContain('stricter where ECR filters cannot say it exactly');
  });

  it.each([
    ['MUTABLE', [], 'x', true],
    ['IMMUTABLE', [], 'x', false],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-1', true],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'main', false],
    ['MUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-1', false],
    ['MUTABLE_WITH_EXCLUSION', ['dev-*'], 'main', true],
    ['SOMETHING_NEW', [], 'x', false],
  ] as const)('isTagMutable(%s %j, %s) is %s', (mutability, filters, tag, expected) => {
    expect(isTagMutable({ mutability, exclusionFilters: [...filters] }, tag)).toBe(expected);
  });

  describe('for random settings, targets, allowed exclusions and tags (brute force)', () => {
    // Tags over {a, b, -, _} of up to 5 characters: `_` occurs in no filter, so a filter's `*` stands
    // for a character no literal shares, and differences between these filters show among these tags.
    const tags = allTags(['a', 'b', '-', '_'], 5);
    const filterArb = fc.stringMatching(/^[ab*-]{1,4}$/);
    const settingArb = fc.record({
      mutability: fc.constantFrom(...TAG_MUTABILITIES, 'IMMUTABLE_SOMEDAY'),
      exclusionFilters: fc.array(filterArb, { maxLength: 4 }),
    });
    // No filter of only `*`: the settings refuse one (it would make every tag mutable).
    const policyFilterArb = filterArb.filter((filter) => !/^\*+$/.test(filter));
    const policyArb: fc.Arbitrary<Policy> = fc.record({
      target: fc.oneof(
        fc.constant({ mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] }),
        fc.uniqueArray(policyFilterArb, { minLength: 1, maxLength: 3 }).map((filters) => ({
          mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
          exclusionFilters: filters,
        })),
      ),
      allowedExclusions: fc.option(fc.array(policyFilterArb, { maxLength: 3 }), { nil: undefined }),
      exemptRepositories: fc.constant([]),
    });

    it('no tag immutable before a remediation or template write is mutable after it, and the result is compliant', () => {
      fc.assert(
        fc.property(settingArb, policyArb, (setting, policy) => {
          const decision = evaluateRepository(facts(setting), policy, NOW);
          const template = evaluateTemplate({ prefix: 'ROOT', registryId: '123456789012', setting }, policy);
          expect(template.kind === 'remediate' ? template.desired : undefined).toEqual(
            decision.kind === 'remediate' ? decision.desired : undefined,
          );
          fc.pre(decision.kind === 'remediate');
          const after = decision.desired;
          const loosened = tags.filter((tag) => !mutableUnder(setting, tag) && mutableUnder(after, tag));
          expect(loosened, `${describeSetting(setting)} -> ${describeSetting(after)}`).toEqual([]);
          const permitted = [...policy.target.exclusionFilters, ...(policy.allowedExclusions ?? [])];
          const unpermitted = tags.filter(
            (tag) => mutableUnder(after, tag) && !permitted.some((filter) => bruteMatch(filter, tag)),
          );
          expect(unpermitted).toEqual([]);
          // Idempotent: decided again, the written setting is compliant (and templates agree).
          expect(evaluateRepository(facts(after), policy, NOW).kind).toBe('compliant');
          expect(isAtLeastAsStrict(after, policy)).toBe(true);
        }),
        { numRuns: 1500 },
      );
    });

    it('leaves mutable exactly the tags mutable before and allowed, whenever it says it is exact', () => {
      fc.assert(
        fc.property(
          settingArb,
          fc.array(policyFilterArb, { minLength: 1, maxLength: 3 }),
          (setting, allowed) => {
            const written = narrowSetting(setting, allowed);
            fc.pre(written.exact);
            const expected = tags.filter(
              (tag) => mutableUnder(setting, tag) && allowed.some((filter) => bruteMatch(filter, tag)),
            );
            expect(tags.filter((tag) => mutableUnder(written.setting, tag))).toEqual(expected);
          },
        ),
        { numRuns: 1500 },
      );
    });

    it('agrees with ECR on which tags a setting leaves mutable (isTagMutable)', () => {
      fc.assert(
        fc.property(settingArb, fc.constantFrom(...tags), (setting, tag) => {
          expect(isTagMutable(setting, tag)).toBe(mutableUnder(setting, tag));
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe('broadestFirst', () => {
  it.each([
    [['abcd', 'x*y*z*'], ['x*y*z*', 'abcd'], 'fewer literal characters first, however many wildcards'],
    [['dev-*', '*'], ['*', 'dev-*'], 'a lone wildcard first'],
    [['b*', 'a*', 'c*'], ['a*', 'b*', 'c*'], 'the name breaking a tie'],
    [['pr-1', 'pr-*'], ['pr-*', 'pr-1'], 'a wildcard before the name it covers'],
  ])('orders %j as %j: %s', (filters, ordered) => {
    expect([...filters].sort(broadestFirst)).toEqual(ordered);
  });
});

describe('narrowSetting within ECR’s limits', () => {
  const mutable = { mutability: 'MUTABLE', exclusionFilters: [] };

  it('keeps the broadest 5 filters, by literal characters then name, and says it is not exact', () => {
    const allowed = ['ggggggg*', 'ccc*', 'a*b*c*d*', 'bb*', 'eeeee', 'x*', 'ffffff*'];
    expect(narrowSetting(mutable, allowed)).toEqual({
      setting: {
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusionFilters: ['a*b*c*d*', 'bb*', 'ccc*', 'eeeee', 'x*'],
      },
      exact: false,
    });
  });

  it('keeps the first 5 names in order when the literal characters tie', () => {
    const allowed = ['f*', 'e*', 'd*', 'c*', 'b*', 'a*'];
    expect(narrowSetting(mutable, allowed).setting.exclusionFilters).toEqual(['a*', 'b*', 'c*', 'd*', 'e*']);
  });

  it('drops a filter longer than ECR’s 128 characters, leaving IMMUTABLE, and says it is not exact', () => {
    expect(narrowSetting(mutable, [`${'a'.repeat(128)}*`])).toEqual({
      setting: { mutability: 'IMMUTABLE', exclusionFilters: [] },
      exact: false,
    });
  });

  it('is exact when every filter fits', () => {
    expect(narrowSetting(mutable, ['latest', 'dev-*'])).toEqual({
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*', 'latest'] },
      exact: true,
    });
  });
});

describe('mutableFilters', () => {
  it.each([
    [
      'a value ECR may add later: nothing, not exact',
      { mutability: 'SOMETHING_NEW', exclusionFilters: [] },
      ['latest'],
      { filters: [], exact: false },
    ],
    [
      'IMMUTABLE: nothing, exactly',
      { mutability: 'IMMUTABLE', exclusionFilters: [] },
      ['latest'],
      { filters: [], exact: true },
    ],
    [
      'MUTABLE: every allowed filter, exactly',
      { mutability: 'MUTABLE', exclusionFilters: [] },
      ['dev-1', 'dev-*'],
      { filters: ['dev-*'], exact: true },
    ],
    [
      'MUTABLE_WITH_EXCLUSION: the allowed filters clear of its immutable tags; exact when what was dropped lies inside them',
      { mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['prod-*'] },
      ['latest', 'prod-1'],
      { filters: ['latest'], exact: true },
    ],
    [
      'MUTABLE_WITH_EXCLUSION: not exact when a dropped filter only overlaps its immutable tags',
      { mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['prod-*'] },
      ['latest', 'p*'],
      { filters: ['latest'], exact: false },
    ],
  ])('%s', (_what, before, allowed, expected) => {
    expect(mutableFilters(before, allowed)).toEqual(expected);
  });
});
