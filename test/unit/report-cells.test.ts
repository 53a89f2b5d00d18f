/**
 * The verdict of one account-region in the evidence report's matrix (lib/report-cells.ts): its kind and the
 * words each format prints in the cell, exactly.
 */
import { describe, expect, it } from 'vitest';
import type { ReportAccountRegion } from '../../lib/report.ts';
import { cellOf } from '../../lib/report-cells.ts';
import { A, accountRegion, reportCounts as counts } from '../helpers/report-data.ts';

/** A completed account-region that scanned nothing, unless `values` say otherwise. */
const summary = (values: Partial<ReportAccountRegion>) =>
  accountRegion(A, 'eu-west-1', { counts: counts(), scanned: 0, ...values });

describe('a matrix cell', () => {
  it.each([
    ['no summary', undefined, 'absent', 'the data has no summary for this account-region'],
    [
      'a completed sweep, its non-zero counts in the order of the outcomes',
      summary({ counts: counts({ exempt: 3, compliant: 7, remediated: 2 }) }),
      'remediated',
      '7 compliant, 2 remediated, 3 exempt',
    ],
    ['a completed sweep of no repository', summary({}), 'compliant', 'no repositories'],
    [
      'a completed sweep with a gone repository only',
      summary({ counts: counts({ gone: 1 }) }),
      'compliant',
      '1 gone',
    ],
    [
      'a skipped account-region with its code and reason',
      summary({ status: 'skipped', code: 'suspended', reason: 'the account is SUSPENDED' }),
      'skipped',
      'suspended: the account is SUSPENDED',
    ],
    [
      'a skipped account-region with a reason only',
      summary({ status: 'skipped', reason: 'listed in excludeAccounts' }),
      'skipped',
      'listed in excludeAccounts',
    ],
    ['a skipped account-region that says nothing', summary({ status: 'skipped' }), 'skipped', 'skipped'],
    [
      'a failed account-region with a code and no counts',
      summary({ status: 'failed', code: 'AccessDenied' }),
      'failed',
      'AccessDenied; no repositories',
    ],
    [
      'a failed account-region that names no cause, with its partial counts',
      summary({ status: 'failed', counts: counts({ compliant: 1, failed: 2 }) }),
      'failed',
      '1 compliant, 2 failed',
    ],
    [
      'an unguarded account-region with its reason and counts',
      summary({ status: 'unguarded', reason: 'no forwarding rule', counts: counts({ compliant: 4 }) }),
      'unguarded',
      'no forwarding rule; 4 compliant',
    ],
    [
      'an unguarded account-region that names no cause',
      summary({ status: 'unguarded', counts: counts({ exempt: 1 }) }),
      'unguarded',
      '1 exempt',
    ],
    [
      'an incomplete sweep, by its counts (its code is not shown)',
      summary({
        status: 'incomplete',
        code: 'Timeout',
        counts: counts({ compliant: 3, 'would-remediate': 1 }),
      }),
      'incomplete',
      '3 compliant, 1 would-remediate',
    ],
  ] as const)('shows %s as a cell of kind %s', (_name, entry, kind, detail) => {
    expect(cellOf(entry)).toEqual({ kind, detail });
  });
});
