import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  planRepository,
  smallestCoveringFilters,
  stagedExemptionReason,
  suggestExclusion,
} from '../../lib/plan.ts';
import { isAtLeastAsStrict, type MutabilitySetting, type StrictnessPolicy } from '../../lib/policy.ts';
import { groupPushes, type History } from '../../lib/push-history.ts';
import { isCoveredBy } from '../../lib/wildcard.ts';
import { allTags, bruteMatch, mutableUnder } from '../helpers/brute-force.ts';
import { history, push } from '../helpers/pushes.ts';

const IMMUTABLE: StrictnessPolicy = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] } };
const MUTABLE: MutabilitySetting = { mutability: 'MUTABLE', exclusionFilters: [] };
const candidate = (repositoryName: string, setting: MutabilitySetting = MUTABLE) => ({
  repositoryName,
  setting,
});

describe('the verdict per repository', () => {
  it('is safe-to-flip with the target as suggestion when no tag moved', () => {
    const plan = planRepository(candidate('team/api'), history([push('v1', 'sha256:a', 1)]), IMMUTABLE);
    expect(plan).toEqual({
      verdict: 'safe-to-flip',
      movedTags: [],
      breakingTags: [],
      pushes: 1,
      suggestion: { kind: 'target', setting: IMMUTABLE.target },
      reason: 'no tag the write makes immutable moved in 1 push(es) of the window',
    });
  });

  it('counts only successful tagged pushes: not a failed push nor a push by digest only', () => {
    const pushes = [
      push('v1', 'sha256:a', 1),
      push('v1', undefined, 2, { errorCode: 'ImageTagAlreadyExistsException' }),
      push(undefined, 'sha256:c', 3),
      push('v2', 'sha256:d', 4),
    ];
    const plan = planRepository(candidate('team/api'), history(pushes), IMMUTABLE);
    expect(plan).toEqual({
      verdict: 'safe-to-flip',
      movedTags: [],
      breakingTags: [],
      pushes: 2,
      suggestion: { kind: 'target', setting: IMMUTABLE.target },
      reason: 'no tag the write makes immutable moved in 2 push(es) of the window',
    });
  });

  it('is safe-to-flip for a repository with no push in an account-region that has history', () => {
    const plan = planRepository(candidate('team/quiet'), history([push('v1', 'sha256:a', 1)]), IMMUTABLE);
    expect(plan).toMatchObject({ verdict: 'safe-to-flip', pushes: 0 });
  });

  it('is would-break, naming the moved tags, when a tag moved', () => {
    const plan = planRepository(
      candidate('team/api'),
      history([push('latest', 'sha256:a', 1), push('latest', 'sha256:b', 2)]),
      IMMUTABLE,
    );
    expect(plan).toEqual({
      verdict: 'would-break',
      movedTags: [
        {
          tag: 'latest',
          digests: 2,
          moves: 1,
          lastPusher: 'arn:aws:iam::123456789012:role/ci-2',
          lastPushedAt: push('latest', 'sha256:b', 2).eventTime,
        },
      ],
      breakingTags: ['latest'],
      pushes: 2,
      suggestion: {
        kind: 'needs-owner',
        reason: 'moved tags [latest] are not within the allowed exclusions; needs its owner',
      },
      reason: 'tag(s) latest moved in the window; a push would fail with ImageTagAlreadyExistsException',
    });
  });

  it.each([
    [
      'no-history',
      { kind: 'no-history' } as const,
      'CloudTrail holds no PutImage event in this account and region for the window; not guessing',
    ],
    [
      'unknown',
      { kind: 'unknown', reason: 'AccessDeniedException' } as const,
      'CloudTrail history unavailable (AccessDeniedException); not guessing',
    ],
  ])('says %s instead of guessing when CloudTrail cannot tell', (verdict, known, reason) => {
    const plan = planRepository(candidate('team/api'), known, IMMUTABLE);
    expect(plan).toEqual({
      verdict,
      movedTags: [],
      breakingTags: [],
      pushes: 0,
      suggestion: undefined,
      reason,
    });
  });
});

describe('judging moved tags against what the write leaves mutable', () => {
  const latestTarget: StrictnessPolicy = {
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
  };
  const moves = (tag: string, from: number) => [push(tag, 'sha256:a', from), push(tag, 'sha256:b', from + 1)];

  it('is safe to flip when only tags the target leaves mutable moved', () => {
    const plan = planRepository(candidate('team/api'), history(moves('latest', 1)), latestTarget);
    expect(plan).toMatchObject({
      verdict: 'safe-to-flip',
      movedTags: [expect.objectContaining({ tag: 'latest' })],
      breakingTags: [],
      suggestion: { kind: 'target', setting: latestTarget.target },
      reason:
        'no tag the write makes immutable moved in 2 push(es) of the window; [latest] moved but stay mutable under IMMUTABLE_WITH_EXCLUSION [latest]',
    });
  });

  it('would break on the moved tags the write makes immutable, and names only those', () => {
    const plan = planRepository(
      candidate('team/api'),
      history([...moves('latest', 1), ...moves('dev', 3)]),
      latestTarget,
    );
    expect(plan).toMatchObject({
      verdict: 'would-break',
      movedTags: [expect.objectContaining({ tag: 'dev' }), expect.objectContaining({ tag: 'latest' })],
      breakingTags: ['dev'],
      reason:
        'tag(s) dev moved in the window; a push would fail with ImageTagAlreadyExistsException; [latest] moved but stay mutable under IMMUTABLE_WITH_EXCLUSION [latest]',
    });
  });

  it('judges per tag against the narrowed write: a tag mutable under the target but not before breaks', () => {
    // MUTABLE_WITH_EXCLUSION [latest] under the target [latest]: the write is IMMUTABLE, so a moving
    // `dev` breaks; `latest` could not have moved (it was immutable) and stays immutable.
    const before = { mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] };
    const plan = planRepository(candidate('team/api', before), history(moves('dev', 1)), latestTarget);
    expect(plan).toMatchObject({ verdict: 'would-break', breakingTags: ['dev'] });
  });
});

describe('not calling a repository safe when the plan cannot know', () => {
  const moves = (tag: string) => [push(tag, 'sha256:a', 1), push(tag, 'sha256:b', 2)];
  const unreadable = (byRepository: Record<string, number>, unattributed = 0): History => ({
    kind: 'events',
    pushesByRepository: groupPushes([push('v1', 'sha256:a', 1)]),
    unreadable: { byRepository: new Map(Object.entries(byRepository)), unattributed },
  });

  it.each([
    [
      'a push without a digest',
      history([push('v1', undefined, 1)]),
      undefined,
      'CloudTrail records push(es) of [v1] without a digest: cannot tell whether they moved; not guessing',
    ],
    [
      'an unreadable record naming it',
      unreadable({ 'team/api': 1 }),
      undefined,
      '1 CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag; not guessing',
    ],
    [
      'an unreadable record naming no repository',
      unreadable({}, 2),
      undefined,
      '2 CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag; not guessing',
    ],
    [
      'an untagged image no push explains',
      history([push('v1', 'sha256:a', 1)]),
      [{ digest: 'sha256:gone', pushedAt: '2026-05-01T00:00:00.000Z' }],
      '1 untagged image(s), the oldest pushed 2026-05-01T00:00:00.000Z: a tag may have moved before the window; not guessing',
    ],
    [
      'untagged images no push explains, naming the oldest time ECR gave',
      history([push('v1', 'sha256:a', 1)]),
      [
        { digest: 'sha256:new', pushedAt: '2026-05-01T00:00:00.000Z' },
        { digest: 'sha256:when', pushedAt: undefined },
        { digest: 'sha256:old', pushedAt: '2026-04-01T00:00:00.000Z' },
      ],
      '3 untagged image(s), the oldest pushed 2026-04-01T00:00:00.000Z: a tag may have moved before the window; not guessing',
    ],
    [
      'an untagged image no push explains and ECR gave no time for',
      history([push('v1', 'sha256:a', 1)]),
      [{ digest: 'sha256:gone', pushedAt: undefined }],
      '1 untagged image(s): a tag may have moved before the window; not guessing',
    ],
    [
      'a push without a digest and an unreadable record, naming both',
      {
        kind: 'events',
        pushesByRepository: groupPushes([push('v1', undefined, 1), push('v2', undefined, 2)]),
        unreadable: { byRepository: new Map([['team/api', 1]]), unattributed: 1 },
      } satisfies History,
      undefined,
      'CloudTrail records push(es) of [v1, v2] without a digest: cannot tell whether they moved; 2 CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag; not guessing',
    ],
  ])('says unknown, never safe, for %s', (_name, known, untagged, reason) => {
    const plan = planRepository(candidate('team/api'), known, IMMUTABLE, untagged);
    expect(plan).toMatchObject({ verdict: 'unknown', breakingTags: [], suggestion: undefined, reason });
  });

  it.each([
    ['an unreadable record naming another repository', unreadable({ 'team/web': 3 }), undefined],
    [
      'an untagged image pushed by digest in the window',
      history([push(undefined, 'sha256:c', 1)]),
      [{ digest: 'sha256:c', pushedAt: undefined }],
    ],
    [
      'a push without a digest of a tag the write leaves mutable',
      history([push('latest', undefined, 1)]),
      undefined,
    ],
    [
      'a failed push, which records no digest',
      history([push('v1', undefined, 1, { errorCode: 'ImageTagAlreadyExistsException' })]),
      undefined,
    ],
  ])('stays safe for %s', (_name, known, untagged) => {
    const target: StrictnessPolicy = {
      target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
    };
    expect(planRepository(candidate('team/api'), known, target, untagged).verdict).toBe('safe-to-flip');
  });

  it('still says would-break when a tag moved, but leaves the repository to its owner when it cannot see all', () => {
    const known: History = {
      kind: 'events',
      pushesByRepository: groupPushes(moves('latest')),
      unreadable: { byRepository: new Map(), unattributed: 1 },
    };
    const plan = planRepository(candidate('team/api'), known, {
      ...IMMUTABLE,
      allowedExclusions: ['latest'],
    });
    expect(plan.verdict).toBe('would-break');
    expect(plan.suggestion).toEqual({
      kind: 'needs-owner',
      reason:
        '1 CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag; needs its owner',
    });
  });
});

describe('the suggested exclusion', () => {
  const policy = (
    allowed: string[],
    target: StrictnessPolicy['target'] = IMMUTABLE.target,
  ): StrictnessPolicy => ({
    target,
    allowedExclusions: allowed,
  });

  it.each([
    ['the exact tag when an allowed wildcard covers it', ['latest'], ['*'], ['latest']],
    [
      'the exact moved tags rather than a covering wildcard',
      ['dev-1', 'dev-2'],
      ['dev-*'],
      ['dev-1', 'dev-2'],
    ],
    [
      'exact names from different allowed filters',
      ['latest', 'main'],
      ['latest', 'main', 'release-*'],
      ['latest', 'main'],
    ],
    [
      'exact names for a mix',
      ['dev-1', 'dev-2', 'latest'],
      ['dev-*', 'latest'],
      ['dev-1', 'dev-2', 'latest'],
    ],
    [
      'the exact names when there are exactly 5',
      ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'latest'],
      ['dev-*', 'latest'],
      ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'latest'],
    ],
    [
      'the fewest covering filters only when the exact names exceed 5',
      ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'latest'],
      ['dev-*', 'latest'],
      ['dev-*', 'latest'],
    ],
    [
      'a wildcard for a tag longer than a filter may be (128 characters)',
      ['latest', 'x'.repeat(129)],
      ['latest', 'x*'],
      ['latest', 'x*'],
    ],
  ])('suggests %s', (_name, moved, allowed, filters) => {
    expect(suggestExclusion(moved, MUTABLE, policy(allowed))).toEqual({
      kind: 'exclusion',
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters },
    });
  });

  it('keeps the target filters of an IMMUTABLE_WITH_EXCLUSION target', () => {
    const target = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] } as const;
    expect(suggestExclusion(['latest', 'pr-7'], MUTABLE, policy(['pr-*'], target))).toEqual({
      kind: 'exclusion',
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'pr-7'] },
    });
  });

  it('suggests the target itself when it already leaves the moved tags mutable', () => {
    const target = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] } as const;
    expect(suggestExclusion(['latest'], MUTABLE, policy([], target))).toEqual({
      kind: 'target',
      setting: target,
    });
  });

  it.each([
    [
      // Literal lengths 1, 1, 3, 4, 4: `main` is cut; counting the `*` would cut `a*b*c` (5 characters).
      'the fewest literal characters first, a `*` not counted',
      ['pr-7'],
      ['x*', 'abcd', 'main', 'a*b*c', 'y*'],
      ['a*b*c', 'abcd', 'pr-7', 'x*', 'y*'],
    ],
    [
      // Literal lengths 1, 1, 2, 2, 2: of the three as broad, `m3*` is cut, last by name.
      'the name breaking a tie',
      ['pr-7'],
      ['m1*', 'm3*', 'b*', 'a*', 'm2*'],
      ['a*', 'b*', 'm1*', 'm2*', 'pr-7'],
    ],
    [
      // `x` is among the moved tags' names already: it takes none of the 3 places left.
      'none the moved tags cover',
      ['x', 'pr-7'],
      ['x', 'ab*', 'cd*', 'ef*', 'gh*'],
      ['ab*', 'cd*', 'ef*', 'pr-7', 'x'],
    ],
  ])(
    'keeps the broadest target filters that fit beside the moved tags, %s',
    (_name, moved, targetFilters, filters) => {
      const target = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: targetFilters } as const;
      expect(suggestExclusion(moved, MUTABLE, policy(['pr-*'], target))).toEqual({
        kind: 'exclusion',
        setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters },
      });
    },
  );

  it.each([
    [
      'a moved tag is outside the allowed exclusions',
      ['latest', 'prod'],
      MUTABLE,
      ['latest'],
      'moved tags [prod] are not within the allowed exclusions; needs its owner',
    ],
    [
      'a moved tag is immutable now (it cannot have moved since)',
      ['latest'],
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*'] },
      ['latest'],
      'moved tags [latest] are immutable under IMMUTABLE_WITH_EXCLUSION [dev-*] now; needs its owner',
    ],
    [
      'more than 5 filters would be needed',
      ['a1', 'b1', 'c1', 'd1', 'e1', 'f1'],
      MUTABLE,
      ['a*', 'b*', 'c*', 'd*', 'e*', 'f*'],
      'moved tags [a1, b1, c1, d1, e1, f1] need more than 5 exclusion filters; needs its owner',
    ],
    [
      // The allowed filter is longer than ECR accepts (128 characters): never suggested.
      'only a filter ECR would refuse covers a moved tag',
      ['x'.repeat(140)],
      MUTABLE,
      [`${'x'.repeat(130)}*`],
      `moved tags [${'x'.repeat(140)}] need more than 5 exclusion filters; needs its owner`,
    ],
  ])('needs the owner when %s, saying so', (_name, moved, before, allowed, reason) => {
    expect(suggestExclusion(moved, before, policy(allowed))).toEqual({ kind: 'needs-owner', reason });
  });

  it('finds no cover when none exists', () => {
    expect(smallestCoveringFilters(['x'], ['y*'])).toBeUndefined();
    expect(smallestCoveringFilters([], ['y*'])).toEqual([]);
    expect(smallestCoveringFilters(['a1', 'b1'], ['a*', 'b*'], 1)).toBeUndefined();
  });

  it.each([
    ['finds a cover that needs every useful candidate', ['a1', 'b1'], ['a*', 'b*', 'c*'], ['a*', 'b*']],
    [
      'prefers exact names over wildcards among covers of one size',
      ['a1', 'b1'],
      ['a*', 'b*', 'a1', 'b1'],
      ['a1', 'b1'],
    ],
    [
      // `*1` and `b*` cover two tags each, yet `a1` comes first: with `*1` it would miss `b2`.
      'prefers an exact name over a wildcard that covers more tags',
      ['a1', 'b1', 'b2'],
      ['*1', 'b*', 'a1', 'b2'],
      ['a1', 'b*'],
    ],
    [
      // Image tags hold no `*`; the function does not rely on it: `a*` names a tag but covers two.
      'ranks a candidate that names a tag but covers others as a wildcard',
      ['a*', 'ab', 'q'],
      ['*a*', 'a*', 'q'],
      ['*a*', 'q'],
    ],
    [
      // As above: `a*` with the exact `qb` comes before `*b` with `a*`.
      'prefers an exact name to a wildcard pair even when a wildcard names a tag',
      ['a*', 'ab', 'qb'],
      ['*b', 'a*', 'qb'],
      ['a*', 'qb'],
    ],
    [
      // `*1` and `a*` cover two tags each, `*2` and `b*` one: `*1` with `*2` would come first by name.
      'prefers the wildcards that cover more tags among covers of one size',
      ['a1', 'a2', 'b1'],
      ['*1', '*2', 'a*', 'b*'],
      ['*1', 'a*'],
    ],
    ['takes a single filter covering every tag over exact names', ['a1', 'a2'], ['a1', 'a2', 'a*'], ['a*']],
  ])('%s', (_name, tags, candidates, cover) => {
    expect(smallestCoveringFilters(tags, candidates)).toEqual(cover);
  });

  const tagArb = fc.stringMatching(/^[a-c]{1,3}(-[0-9])?$/);
  const filterArb = fc.stringMatching(/^[a-c]{0,2}\*?(-[0-9*])?$/).filter((filter) => filter.length > 0);

  it('always covers every moved tag and stays at least as strict as the policy (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(tagArb, { minLength: 1, maxLength: 7 }),
        fc.array(filterArb, { maxLength: 5 }),
        (moved, allowed) => {
          const strictness = policy(allowed);
          const suggestion = suggestExclusion(moved, MUTABLE, strictness);
          // needs-owner is checked by the next property: it happens only when no compliant cover exists.
          fc.pre(suggestion.kind === 'exclusion');
          const filters = suggestion.setting.exclusionFilters;
          expect(isCoveredBy(moved, filters)).toBe(true);
          expect(isAtLeastAsStrict(suggestion.setting, strictness)).toBe(true);
          expect(filters.length).toBeLessThanOrEqual(5);
        },
      ),
    );
  });

  it('suggests an exclusion whenever the allowed filters cover the moved tags with at most 5 filters (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(tagArb, { minLength: 1, maxLength: 4 }),
        fc.array(filterArb, { maxLength: 4 }),
        (moved, allowed) => {
          fc.pre(isCoveredBy(moved, allowed));
          expect(suggestExclusion(moved, MUTABLE, policy(allowed)).kind).toBe('exclusion');
        },
      ),
    );
  });
});

describe('the suggestion is never looser than the repository (brute force)', () => {
  const tags = allTags(['a', 'b', '-', '_'], 4);
  const filterArb = fc.stringMatching(/^[ab*-]{1,3}$/).filter((filter) => !/^\*+$/.test(filter));
  const settingArb = fc.record({
    mutability: fc.constantFrom('MUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'),
    exclusionFilters: fc.array(filterArb, { maxLength: 3 }),
  });
  const policyArb: fc.Arbitrary<StrictnessPolicy> = fc.record({
    target: fc.oneof(
      fc.constant({ mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] }),
      fc.uniqueArray(filterArb, { minLength: 1, maxLength: 2 }).map((filters) => ({
        mutability: 'IMMUTABLE_WITH_EXCLUSION' as const,
        exclusionFilters: filters,
      })),
    ),
    allowedExclusions: fc.array(filterArb, { maxLength: 3 }),
  });
  const movedArb = fc.uniqueArray(fc.stringMatching(/^[ab-]{1,4}$/), { minLength: 1, maxLength: 6 });

  it('keeps the moved tags mutable, every other tag as strict as before, and is compliant', () => {
    fc.assert(
      fc.property(settingArb, policyArb, movedArb, (before, policy, moved) => {
        const suggestion = suggestExclusion(moved, before, policy);
        const setting = suggestion.kind === 'needs-owner' ? undefined : suggestion.setting;
        fc.pre(setting !== undefined);
        const loosened = [...tags, ...moved].filter(
          (tag) => !mutableUnder(before, tag) && mutableUnder(setting, tag),
        );
        expect(loosened, `${JSON.stringify(before)} -> ${JSON.stringify(setting)}`).toEqual([]);
        expect(isAtLeastAsStrict(setting, policy)).toBe(true);
        expect(setting.exclusionFilters.length).toBeLessThanOrEqual(5);
        if (suggestion.kind === 'exclusion')
          expect(moved.every((tag) => mutableUnder(setting, tag))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('suggests one whenever the moved tags were mutable and their exact names fit the allowed exclusions', () => {
    fc.assert(
      fc.property(settingArb, policyArb, movedArb, (before, policy, moved) => {
        const permitted = [...policy.target.exclusionFilters, ...(policy.allowedExclusions ?? [])];
        fc.pre(moved.length <= 5);
        fc.pre(
          moved.every(
            (tag) => mutableUnder(before, tag) && permitted.some((filter) => bruteMatch(filter, tag)),
          ),
        );
        expect(suggestExclusion(moved, before, policy).kind).not.toBe('needs-owner');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the staged exemption reason', () => {
  const allowed = /^[A-Za-z0-9 _.:/=+\-@]*$/;

  it('names the moved tags and the date in characters a tag value may hold', () => {
    const reason = stagedExemptionReason(['latest', 'dev-1'], '2026-12-31');
    expect(reason).toBe('ecr-guard plan: moving tags latest dev-1 - flip after 2026-12-31');
    expect(reason).toMatch(allowed);
  });

  it('replaces what a tag value may not hold, control characters and non-ASCII included', () => {
    const reason = stagedExemptionReason(['feat\u001b[2J', 'caf\u00e9', 'a;b|c'], '2026-12-31');
    expect(reason).toBe(
      'ecr-guard plan: moving tags feat_[2J caf_ a_b_c - flip after 2026-12-31'.replace('[', '_'),
    );
    expect(reason).toMatch(allowed);
  });

  it('stays within 256 characters and keeps the date, saying how many tags it left out', () => {
    const many = Array.from({ length: 40 }, (_, index) => `feature-branch-${index}`);
    const reason = stagedExemptionReason(many, '2026-12-31');
    expect(reason.length).toBeLessThanOrEqual(256);
    expect(reason).toMatch(/ and \d+ more - flip after 2026-12-31$/);
    expect(reason).toMatch(allowed);
    const long = stagedExemptionReason(['x'.repeat(300)], '2026-12-31');
    expect(long).toBe('ecr-guard plan: moving tags and 1 more - flip after 2026-12-31');
  });

  it('names as many tags as fit and counts the others', () => {
    const tags = ['a', 'b', 'c'].map((letter) => letter.repeat(100));
    expect(stagedExemptionReason(tags, '2026-12-31')).toBe(
      `ecr-guard plan: moving tags ${'a'.repeat(100)} and 2 more - flip after 2026-12-31`,
    );
  });

  // The head `ecr-guard plan: moving tags ` and the tail ` - flip after 2026-12-31` are 52 characters.
  it.each([
    [204, `ecr-guard plan: moving tags ${'t'.repeat(204)} - flip after 2026-12-31`],
    [205, 'ecr-guard plan: moving tags and 1 more - flip after 2026-12-31'],
  ])(
    'keeps a reason of exactly 256 characters whole and shortens one longer (a %i-character tag)',
    (length, reason) => {
      expect(stagedExemptionReason(['t'.repeat(length)], '2026-12-31')).toBe(reason);
    },
  );

  it('cuts at 256 characters when even the date does not fit', () => {
    // 43 characters before the date leave 213 of it.
    expect(stagedExemptionReason(['latest'], '2'.repeat(300))).toBe(
      `ecr-guard plan: moving tags 1 - flip after ${'2'.repeat(213)}`,
    );
  });
});

describe('reasons that name several tags or doubts', () => {
  const moves = (tag: string, from: number) => [push(tag, 'sha256:a', from), push(tag, 'sha256:b', from + 1)];
  const edgeAndLatest: StrictnessPolicy = {
    target: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['edge', 'latest'] },
  };

  it('lists every breaking and every harmless moved tag, comma-separated', () => {
    const known = history([
      ...moves('dev', 1),
      ...moves('edge', 3),
      ...moves('latest', 5),
      ...moves('prod', 7),
    ]);
    const plan = planRepository(candidate('team/api'), known, edgeAndLatest);
    expect(plan.breakingTags).toEqual(['dev', 'prod']);
    expect(plan.reason).toBe(
      'tag(s) dev, prod moved in the window; a push would fail with ImageTagAlreadyExistsException; [edge, latest] moved but stay mutable under IMMUTABLE_WITH_EXCLUSION [edge, latest]',
    );
  });

  it('leaves a breaking repository to its owner with every doubt, semicolon-separated', () => {
    const known: History = {
      kind: 'events',
      pushesByRepository: groupPushes([...moves('dev', 1), push('v1', undefined, 3)]),
      unreadable: { byRepository: new Map([['team/api', 1]]), unattributed: 0 },
    };
    expect(planRepository(candidate('team/api'), known, IMMUTABLE).suggestion).toEqual({
      kind: 'needs-owner',
      reason:
        'CloudTrail records push(es) of [v1] without a digest: cannot tell whether they moved; 1 CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag; needs its owner',
    });
  });

  it.each([
    [
      'moved tags outside the allowed exclusions',
      ['latest', 'prod', 'stage'],
      MUTABLE,
      'moved tags [prod, stage] are not within the allowed exclusions; needs its owner',
    ],
    [
      'moved tags immutable now',
      ['dev', 'latest'],
      { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['x-*'] },
      'moved tags [dev, latest] are immutable under IMMUTABLE_WITH_EXCLUSION [x-*] now; needs its owner',
    ],
  ])('names the %s, comma-separated', (_name, moved, before, reason) => {
    expect(suggestExclusion(moved, before, { ...IMMUTABLE, allowedExclusions: ['latest'] })).toEqual({
      kind: 'needs-owner',
      reason,
    });
  });
});
