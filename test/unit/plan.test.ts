import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findMovedTags,
  groupPushes,
  type History,
  type PushRecord,
  parsePushRecord,
  planRepository,
  smallestCoveringFilters,
  stagedExemptionReason,
  suggestExclusion,
} from '../../lib/plan.ts';
import { isAtLeastAsStrict, type StrictnessPolicy } from '../../lib/policy.ts';
import { isCoveredBy } from '../../lib/wildcard.ts';
import { field, itWithReferenceEvents, loadReferenceEvent } from '../helpers/fixtures.ts';

const IMMUTABLE: StrictnessPolicy = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] } };

function push(
  tag: string | undefined,
  digest: string | undefined,
  minute: number,
  extra: Partial<PushRecord> = {},
) {
  return {
    repositoryName: 'team/api',
    imageTag: tag,
    imageDigest: digest,
    actor: `arn:aws:iam::123456789012:role/ci-${minute}`,
    sourceIp: '203.0.113.12',
    registryId: '123456789012',
    region: 'eu-west-1',
    eventTime: new Date(Date.UTC(2026, 10, 1, 0, minute)).toISOString(),
    eventId: `e-${minute}`,
    errorCode: undefined,
    ...extra,
  } satisfies PushRecord;
}

function history(pushes: readonly PushRecord[]): History {
  return { kind: 'events', pushesByRepository: groupPushes(pushes) };
}

describe('reading CloudTrail PutImage records', () => {
  itWithReferenceEvents(
    'reads tag, digest, actor, source IP and time from the documented PutImage record',
    () => {
      // Prepare
      const record = loadReferenceEvent('putimage-cloudtrail-docs.json');
      // Act
      const parsed = parsePushRecord(JSON.stringify(record));
      // Assess
      expect(parsed).toEqual({
        repositoryName: 'testrepo',
        imageTag: 'latest',
        imageDigest: field(record, 'responseElements', 'image', 'imageId', 'imageDigest'),
        actor: 'arn:aws:sts::123456789012:user/Mary_Major',
        sourceIp: '203.0.113.12',
        registryId: '123456789012',
        region: 'us-east-2',
        eventTime: '2019-04-15T16:45:00Z',
        eventId: '2bfd4ee2-2178-4a82-a27d-b12939923f0f',
        errorCode: undefined,
      });
    },
  );

  itWithReferenceEvents('reads a refused push with its errorCode and no digest', () => {
    const record = loadReferenceEvent('putimage-cloudtrail-docs.json');
    record.errorCode = 'ImageTagAlreadyExistsException';
    record.responseElements = null;
    expect(parsePushRecord(record)).toMatchObject({
      imageTag: 'latest',
      imageDigest: undefined,
      errorCode: 'ImageTagAlreadyExistsException',
    });
  });

  it.each([
    ['text that is not JSON', '{not json'],
    [
      'another event',
      JSON.stringify({ eventName: 'DeleteRepository', eventTime: 'x', requestParameters: {} }),
    ],
    [
      'a PutImage without a repository',
      JSON.stringify({ eventName: 'PutImage', eventTime: 'x', requestParameters: {} }),
    ],
    ['null', null],
  ])('skips %s instead of guessing', (_name, value) => {
    expect(parsePushRecord(value)).toBeUndefined();
  });
});

describe('finding moved tags', () => {
  it('says a tag pushed with two digests moved, how often, by whom last and when', () => {
    const moved = findMovedTags([
      push('latest', 'sha256:a', 1),
      push('latest', 'sha256:b', 2),
      push('latest', 'sha256:a', 3),
    ]);
    expect(moved).toEqual([
      {
        tag: 'latest',
        digests: 2,
        moves: 2,
        lastPusher: 'arn:aws:iam::123456789012:role/ci-3',
        lastPushedAt: push('x', 'y', 3).eventTime,
      },
    ]);
  });

  it('does not count re-pushes of the same digest, failed pushes or pushes by digest only', () => {
    const moved = findMovedTags([
      push('v1', 'sha256:a', 1),
      push('v1', 'sha256:a', 2),
      push('v1', undefined, 3, { errorCode: 'ImageTagAlreadyExistsException' }),
      push(undefined, 'sha256:c', 4),
    ]);
    expect(moved).toEqual([]);
  });

  it('orders by event time whatever order LookupEvents returned them in (newest first)', () => {
    const moved = findMovedTags([push('dev', 'sha256:b', 9), push('dev', 'sha256:a', 1)]);
    expect(moved[0]?.lastPusher).toBe('arn:aws:iam::123456789012:role/ci-9');
  });
});

describe('the verdict per repository', () => {
  it('is safe-to-flip with the target as suggestion when no tag moved', () => {
    const plan = planRepository('team/api', history([push('v1', 'sha256:a', 1)]), IMMUTABLE);
    expect(plan).toMatchObject({
      verdict: 'safe-to-flip',
      pushes: 1,
      suggestion: { kind: 'target', setting: IMMUTABLE.target },
    });
  });

  it('is safe-to-flip for a repository with no push in an account-region that has history', () => {
    const plan = planRepository('team/quiet', history([push('v1', 'sha256:a', 1)]), IMMUTABLE);
    expect(plan).toMatchObject({ verdict: 'safe-to-flip', pushes: 0 });
  });

  it('is would-break, naming the moved tags, when a tag moved', () => {
    const plan = planRepository(
      'team/api',
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
    const plan = planRepository('team/api', known, IMMUTABLE);
    expect(plan.verdict).toBe(verdict);
    expect(plan.suggestion).toBeUndefined();
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
    ['one wildcard rather than several exact names', ['dev-1', 'dev-2'], ['dev-*'], ['dev-*']],
    [
      'exact names from different allowed filters',
      ['latest', 'main'],
      ['latest', 'main', 'release-*'],
      ['latest', 'main'],
    ],
    ['the fewest filters for a mix', ['dev-1', 'dev-2', 'latest'], ['dev-*', 'latest'], ['dev-*', 'latest']],
  ])('suggests %s', (_name, moved, allowed, filters) => {
    expect(suggestExclusion(moved, policy(allowed))).toEqual({
      kind: 'exclusion',
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters },
    });
  });

  it('keeps the target filters of an IMMUTABLE_WITH_EXCLUSION target', () => {
    const target = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] } as const;
    expect(suggestExclusion(['latest', 'pr-7'], policy(['pr-*'], target))).toEqual({
      kind: 'exclusion',
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'pr-7'] },
    });
  });

  it('needs the owner when a moved tag is outside the allowed exclusions', () => {
    const suggestion = suggestExclusion(['latest', 'prod'], policy(['latest']));
    expect(suggestion).toMatchObject({ kind: 'needs-owner' });
    expect(suggestion.kind === 'needs-owner' && suggestion.reason).toContain('[prod]');
  });

  it('needs the owner when more than 5 filters would be needed', () => {
    const moved = ['a1', 'b1', 'c1', 'd1', 'e1', 'f1'];
    expect(suggestExclusion(moved, policy(['a*', 'b*', 'c*', 'd*', 'e*', 'f*'])).kind).toBe('needs-owner');
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
          const suggestion = suggestExclusion(moved, strictness);
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
          expect(suggestExclusion(moved, policy(allowed)).kind).toBe('exclusion');
        },
      ),
    );
  });
});

describe('the staged exemption reason', () => {
  it('names the moved tags and the date in characters a tag value may hold', () => {
    const reason = stagedExemptionReason(['latest', 'dev-1'], '2026-12-31');
    expect(reason).toBe('ecr-guard plan: moving tags latest dev-1 - flip after 2026-12-31');
    expect(reason).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
  });

  it('stays within 256 characters', () => {
    const many = Array.from({ length: 40 }, (_, index) => `feature-branch-${index}`);
    expect(stagedExemptionReason(many, '2026-12-31').length).toBeLessThanOrEqual(256);
  });
});
