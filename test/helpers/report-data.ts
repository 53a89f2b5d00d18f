/**
 * The evidence report's test data (test/unit/report*.test.ts): its accounts, a policy with nothing in it, counts,
 * a record and an account-region with defaults, and a small data set for the format tests
 * (test/unit/report-markdown.test.ts, test/unit/report-html.test.ts): two accounts in two Regions, one of them
 * failed, and a record of every table (exemptions, refused overwrites, remediations, failures).
 */
import {
  buildEvidence,
  type EvidenceData,
  type ReportAccountRegion,
  type ReportCounts,
  type ReportPolicy,
  type ReportRecord,
  zeroCounts,
} from '../../lib/report.ts';

export const A = '111111111111';
export const B = '222222222222';
export const POLICY: ReportPolicy = {
  target: 'IMMUTABLE',
  allowedExclusions: ['latest', 'v*'],
  exemptRepositories: [],
  exemptTagKey: 'ex',
  exemptExpiryTagKey: 'until',
};

/** The policy of the target alone: no allowed exclusions, no exemption rules. */
export const PLAIN_POLICY: ReportPolicy = {
  target: 'IMMUTABLE',
  allowedExclusions: [],
  exemptRepositories: [],
  exemptTagKey: null,
  exemptExpiryTagKey: null,
};

/** Counts of the outcomes, zero unless `values` say otherwise. */
export const reportCounts = (values: Partial<ReportCounts> = {}): ReportCounts => ({
  ...zeroCounts(),
  ...values,
});

/** A record of the report, exempt by name unless `values` say otherwise. */
export const reportRecord = (values: Partial<ReportRecord>): ReportRecord => ({
  outcome: 'exempt',
  accountId: A,
  region: 'eu-west-1',
  subject: 's',
  reason: "rule exempt-name: repository name matches 'legacy/**'",
  before: null,
  after: null,
  trigger: 'sweep',
  dryRun: false,
  actor: null,
  imageTag: null,
  errorCode: null,
  ...values,
});

/** A completed account-region of one compliant repository, unless `values` say otherwise. */
export const accountRegion = (
  accountId: string,
  region: string,
  values: Partial<ReportAccountRegion> = {},
): ReportAccountRegion => ({
  accountId,
  accountName: null,
  region,
  status: 'completed',
  counts: reportCounts({ compliant: 1 }),
  scanned: 1,
  code: null,
  reason: null,
  ...values,
});

export function reportData(values: Partial<Omit<EvidenceData, 'schema'>> = {}): EvidenceData {
  return buildEvidence({
    policy: POLICY,
    sources: [{ kind: 'live-dry-run', detail: 'acct', gatheredAt: '2026-06-01T00:00:00Z', gatheredBy: 'me' }],
    accountRegions: [
      {
        accountId: A,
        accountName: 'prod',
        region: 'eu-west-1',
        status: 'completed',
        counts: { ...zeroCounts(), compliant: 2, exempt: 2 },
        scanned: 4,
        code: null,
        reason: null,
      },
      {
        accountId: B,
        accountName: null,
        region: 'us-east-1',
        status: 'failed',
        counts: zeroCounts(),
        scanned: 0,
        code: 'AccessDenied',
        reason: 'no',
      },
    ],
    records: [
      reportRecord({ subject: 'legacy/a' }),
      reportRecord({ subject: 'b', reason: "rule exempt-tag: ex='why' until 2026-06-10" }),
      reportRecord({ subject: 'c', outcome: 'failed', errorCode: 'E', reason: 'bad' }),
      reportRecord({ subject: 'd', accountId: B, outcome: 'failed', reason: 'worse' }),
      reportRecord({
        subject: 'e',
        outcome: 'blocked-overwrite',
        imageTag: 'v1',
        actor: 'bob',
        reason: 'refused',
      }),
      reportRecord({
        subject: 'f',
        outcome: 'would-remediate',
        dryRun: true,
        before: 'MUTABLE',
        after: 'IMMUTABLE',
      }),
    ],
    ...values,
  });
}
