/**
 * The outcome table (lib/outcomes.ts): every list, count, metric name and detail-type the guard uses is read
 * from it, and they are what they were when each was written out by hand (metric names and detail-types are
 * contracts: alarms, dashboards and event rules match them).
 */
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_OUTCOMES,
  AUDIT_DETAIL_TYPES,
  auditDetailType,
  DECISION_OUTCOMES,
  decisionCounts,
  emptyCounts,
  failuresIn,
  isDecision,
  isFailure,
  isPublishable,
  OUTCOME_METRICS,
  OUTCOME_TABLE,
  OUTCOMES,
  type Outcome,
} from '../../lib/outcomes.ts';

/** Each outcome as it was spelled out before the table: metric, detail-type, decision, per account, failure. */
const CONTRACT: [Outcome, string, string | undefined, boolean, boolean, boolean][] = [
  ['compliant', 'Compliant', undefined, true, true, false],
  ['remediated', 'Remediated', 'ECR Repository Tag Mutability Enforced', true, true, false],
  ['would-remediate', 'WouldRemediate', 'ECR Repository Tag Mutability Enforced', true, false, false],
  ['exempt', 'Exempt', 'ECR Repository Tag Mutability Exempted', true, true, false],
  ['gone', 'Gone', undefined, true, true, false],
  ['failed', 'Failed', 'ECR Repository Tag Mutability Failed', true, true, true],
  ['ignored', 'Ignored', undefined, false, false, false],
  [
    'exemption-staged',
    'ExemptionsStaged',
    'ECR Repository Tag Mutability Exemption Staged',
    false,
    false,
    false,
  ],
  ['blocked-overwrite', 'OverwritesBlocked', 'ECR Image Tag Overwrite Blocked', false, false, false],
];

describe('the outcome table', () => {
  it('lists every outcome once, in the order counts and summaries have always used', () => {
    expect(OUTCOMES).toEqual(CONTRACT.map(([outcome]) => outcome));
  });

  it.each(CONTRACT)(
    '%s: metric %s, detail-type %s, decision %s, per account %s, failure %s',
    (outcome, metric, detailType, decision, perAccount, failure) => {
      expect(OUTCOME_METRICS[outcome]).toBe(metric);
      expect(auditDetailType(outcome)).toBe(detailType);
      expect(isPublishable(outcome)).toBe(detailType !== undefined);
      expect(isDecision(outcome)).toBe(decision);
      expect(OUTCOME_TABLE[outcome].perAccount).toBe(perAccount);
      expect(isFailure(outcome)).toBe(failure);
    },
  );

  it('derives the repository decisions, the per-account outcomes and the detail-types from its columns', () => {
    expect(DECISION_OUTCOMES).toEqual([
      'compliant',
      'remediated',
      'would-remediate',
      'exempt',
      'gone',
      'failed',
    ]);
    expect(ACCOUNT_OUTCOMES).toEqual(['compliant', 'remediated', 'exempt', 'gone', 'failed']);
    expect(new Set(OUTCOMES.map(auditDetailType).filter((type) => type !== undefined))).toEqual(
      new Set(Object.values(AUDIT_DETAIL_TYPES)),
    );
  });

  it('counts every outcome from zero, and keeps only the repository decisions of a sweep', () => {
    const counts = { ...emptyCounts(), remediated: 2, failed: 1, ignored: 4, 'blocked-overwrite': 3 };
    expect(Object.keys(emptyCounts())).toEqual([...OUTCOMES]);
    expect(Object.values(emptyCounts()).every((count) => count === 0)).toBe(true);
    expect(decisionCounts(counts)).toEqual({
      compliant: 0,
      remediated: 2,
      'would-remediate': 0,
      exempt: 0,
      gone: 0,
      failed: 1,
    });
    expect(failuresIn(counts)).toBe(1);
  });
});
