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
    expect(plan).toMatchObject({
      verdict: 'safe-to-flip',
      pushes: 1,
      suggestion: { kind: 'target', setting: IMMUTABLE.target },
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
    expect(plan.verdict).toBe('would-break');
    expect(plan.movedTags.map((moved) => moved.tag)).toEqual(['latest']);
    expect(plan.suggestion?.kind).toBe('needs-owner');
  });

  it.each([
    ['no-history', { kind: 'no-history' } as const],
    ['unknown', { kind: 'unknown', reason: 'AccessDeniedException' } as const],
  ])('says %s instead of guessing when CloudTrail cannot tell', (verdict, known) => {
    const plan = planRepository(candidate('team/api'), known, IMMUTABLE);
    expect(plan.verdict).toBe(verdict);
    expect(plan.suggestion).toBeUndefined();
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
    });
  });

  it('would break on the moved tags the write makes immutable, and names only those', () => {
    const plan = planRepository(
      candidate('team/api'),
      history([...moves('latest', 1), ...moves('dev', 3)]),
      latestTarget,
    );
    expect(plan).toMatchObject({ verdict: 'would-break', breakingTags: ['dev'] });
    expect(plan.reason).toContain('tag(s) dev moved');
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
    ['a push without a digest', history([push('v1', undefined, 1)]), undefined, 'without a digest'],
    [
      'an unreadable record naming it',
      unreadable({ 'team/api': 1 }),
      undefined,
      '1 CloudTrail PutImage record(s) could not be read',
    ],
    [
      'an unreadable record naming no repository',
      unreadable({}, 2),
      undefined,
      '2 CloudTrail PutImage record(s)',
    ],
    [
      'an untagged image no push explains',
      history([push('v1', 'sha256:a', 1)]),
      [{ digest: 'sha256:gone', pushedAt: '2026-05-01T00:00:00.000Z' }],
      'a tag may have moved before the window',
    ],
  ])('says unknown, never safe, for %s', (_name, known, untagged, reason) => {
    const plan = planRepository(candidate('team/api'), known, IMMUTABLE, untagged);
    expect(plan.verdict).toBe('unknown');
    expect(plan.suggestion).toBeUndefined();
    expect(plan.reason).toContain(reason);
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
    expect(plan.suggestion).toMatchObject({
      kind: 'needs-owner',
      reason: expect.stringContaining('could not be read'),
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
      'the fewest covering filters only when the exact names exceed 5',
      ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'latest'],
      ['dev-*', 'latest'],
      ['dev-*', 'latest'],
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

  it('needs the owner when a moved tag is outside the allowed exclusions', () => {
    const suggestion = suggestExclusion(['latest', 'prod'], MUTABLE, policy(['latest']));
    expect(suggestion).toMatchObject({ kind: 'needs-owner' });
    expect(suggestion.kind === 'needs-owner' && suggestion.reason).toContain('[prod]');
  });

  it('needs the owner when more than 5 filters would be needed', () => {
    const moved = ['a1', 'b1', 'c1', 'd1', 'e1', 'f1'];
    expect(suggestExclusion(moved, MUTABLE, policy(['a*', 'b*', 'c*', 'd*', 'e*', 'f*'])).kind).toBe(
      'needs-owner',
    );
  });

  it('finds no cover when none exists', () => {
    expect(smallestCoveringFilters(['x'], ['y*'])).toBeUndefined();
    expect(smallestCoveringFilters([], ['y*'])).toEqual([]);
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
});
