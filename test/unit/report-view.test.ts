/**
 * What every format of the evidence report shows of its data set (lib/report-view.ts): the columns of its
 * tables, the order of the exemptions and from when "within 30 days" counts, the matrix's accounts, Regions
 * and totals, and the records grouped by account.
 */
import { describe, expect, it } from 'vitest';
import {
  buildEvidence,
  type EvidenceData,
  type ReportPolicy,
  type ReportRecord,
  type ReportSource,
} from '../../lib/report.ts';
import {
  asOfOf,
  exemptionOrderText,
  RECORD_COLUMNS,
  type RecordColumn,
  SOURCE_COLUMNS,
  viewOf,
} from '../../lib/report-view.ts';
import { A, accountRegion, B, reportCounts as counts, reportRecord } from '../helpers/report-data.ts';

const C = '333333333333';
const POLICY: ReportPolicy = {
  target: 'IMMUTABLE',
  allowedExclusions: [],
  exemptRepositories: ['legacy/**'],
  exemptTagKey: 'ecr-guard:exempt',
  exemptExpiryTagKey: 'ecr-guard:until',
};
const summary = accountRegion;
const record = (accountId: string, region: string, subject: string, values: Partial<ReportRecord> = {}) =>
  reportRecord({ accountId, region, subject, ...values });

const source = (gatheredAt: string | null): ReportSource => ({
  kind: 'live-dry-run',
  detail: 'account 111111111111',
  gatheredAt,
  gatheredBy: null,
});

function data(values: Partial<Omit<EvidenceData, 'schema'>> = {}): EvidenceData {
  return buildEvidence({
    policy: POLICY,
    sources: [source('2026-06-01T00:00:00.000Z')],
    accountRegions: [],
    records: [],
    ...values,
  });
}

const until = (expiry: string) => `rule exempt-tag: ecr-guard:exempt='migration' until ${expiry}`;
const shown = (columns: readonly RecordColumn[], entry: ReportRecord) =>
  Object.fromEntries(columns.map(([title, value]) => [title, value(entry)]));

describe('the columns of the report’s tables', () => {
  it('show a refused overwrite with its tag and actor, and a dash for what the record does not hold', () => {
    const blocked = record(A, 'eu-west-1', 'web', {
      outcome: 'blocked-overwrite',
      imageTag: 'v1',
      actor: 'arn:aws:iam::111111111111:user/bob',
      reason: "push to tag 'v1' refused",
    });
    expect(shown(RECORD_COLUMNS.blockedOverwrites, blocked)).toEqual({
      Region: 'eu-west-1',
      Repository: 'web',
      Tag: 'v1',
      Actor: 'arn:aws:iam::111111111111:user/bob',
      Reason: "push to tag 'v1' refused",
    });
    expect(
      shown(RECORD_COLUMNS.blockedOverwrites, { ...blocked, imageTag: null, actor: null }),
    ).toMatchObject({
      Tag: '—',
      Actor: '—',
    });
  });

  it('show a remediation’s change, and whether it was a dry run', () => {
    const remediated = record(A, 'eu-west-1', 'app', {
      outcome: 'remediated',
      before: 'MUTABLE',
      after: 'IMMUTABLE',
      trigger: 'event',
      reason: 'rule target',
    });
    expect(shown(RECORD_COLUMNS.remediations, remediated)).toEqual({
      Region: 'eu-west-1',
      Repository: 'app',
      Change: 'MUTABLE → IMMUTABLE',
      Outcome: 'remediated',
      Trigger: 'event',
      Reason: 'rule target',
    });
    expect(
      shown(RECORD_COLUMNS.remediations, {
        ...remediated,
        outcome: 'would-remediate',
        dryRun: true,
        before: null,
        after: null,
      }),
    ).toMatchObject({ Change: '— → —', Outcome: 'would-remediate (dry run)' });
  });

  it('show a failure’s error code, or a dash without one', () => {
    const failed = record(A, 'eu-west-1', 'app', {
      outcome: 'failed',
      errorCode: 'Throttling',
      reason: 'gave up',
    });
    expect(shown(RECORD_COLUMNS.failures, failed)).toEqual({
      Region: 'eu-west-1',
      Repository: 'app',
      'Error code': 'Throttling',
      Reason: 'gave up',
    });
    expect(shown(RECORD_COLUMNS.failures, { ...failed, errorCode: null })).toMatchObject({
      'Error code': '—',
    });
  });

  it('show a source in words, with when and by whom, or that it does not say', () => {
    const columns = (entry: ReportSource) =>
      Object.fromEntries(SOURCE_COLUMNS.map(([title, value]) => [title, value(entry)]));
    expect(
      columns({
        kind: 'result-writer',
        detail: 'r/manifest.json',
        gatheredAt: '2026-06-01T00:00:00.000Z',
        gatheredBy: 'arn:aws:states:eu-west-1:111111111111:stateMachine:org',
      }),
    ).toEqual({
      Source: 'organisation sweep results (Step Functions ResultWriter files)',
      What: 'r/manifest.json',
      'Gathered at': '2026-06-01T00:00:00.000Z',
      'Gathered by': 'arn:aws:states:eu-west-1:111111111111:stateMachine:org',
    });
    expect(
      columns({ kind: 'cli-json-lines', detail: 'run.jsonl', gatheredAt: null, gatheredBy: null }),
    ).toEqual({
      Source: 'saved CLI --json output',
      What: 'run.jsonl',
      'Gathered at': 'unknown: the source does not record when its data was gathered',
      'Gathered by': 'unknown: the source does not record who gathered it',
    });
    expect(columns({ ...source(null), kind: 'audit-log' }).Source).toBe(
      'the functions’ audit log lines (CloudWatch Logs)',
    );
    expect(columns(source(null)).Source).toBe('live dry run (nothing written)');
  });
});

describe('the instant exemptions are measured from', () => {
  it('is the latest gathering time by the clock, not by the text, ignoring what is not a time', () => {
    // 2026-06-02T01:00:00+05:00 is 2026-06-01T20:00Z: earlier than the Z time, although later as text.
    const sources = [
      source('2026-06-01T21:00:00Z'),
      source('2026-06-02T01:00:00+05:00'),
      source('yesterday'),
    ];
    expect(asOfOf(data({ sources }), undefined)).toEqual({ at: '2026-06-01T21:00:00Z', basis: 'gathered' });
    expect(asOfOf(data({ sources: [...sources].reverse() }), undefined)).toEqual({
      at: '2026-06-01T21:00:00Z',
      basis: 'gathered',
    });
  });

  it('is when the report was made when no source says a time, and none when that is not a time either', () => {
    const undated = data({ sources: [source(null), source('not a time')] });
    expect(asOfOf(undated, '2026-07-01T00:00:00Z')).toEqual({ at: '2026-07-01T00:00:00Z', basis: 'made' });
    expect(asOfOf(undated, 'not a time')).toEqual({ at: null, basis: 'unknown' });
    expect(asOfOf(undated, undefined)).toEqual({ at: null, basis: 'unknown' });
  });

  it.each([
    [
      { at: '2026-06-01T00:00:00Z', basis: 'gathered' },
      'Those expiring within 30 days of 2026-06-01T00:00:00Z (when the data was gathered) first, soonest first; then by expiry; then those without one.',
    ],
    [
      { at: '2026-07-01T00:00:00Z', basis: 'made' },
      'Those expiring within 30 days of 2026-07-01T00:00:00Z (when this report was made: the source does not say when its data was gathered) first, soonest first; then by expiry; then those without one.',
    ],
    [
      { at: null, basis: 'unknown' },
      'Those expiring within 30 days of a time the source does not record (none is marked) first, soonest first; then by expiry; then those without one.',
    ],
  ] as const)('is said as %j: %s', (asOf, text) => {
    expect(exemptionOrderText(asOf)).toBe(text);
  });
});

describe('the exemptions', () => {
  it('ties by account, then Region, then repository, whatever the order of the data', () => {
    const rows = [
      record(B, 'eu-west-1', 'a', { reason: until('2026-06-10') }),
      record(A, 'us-east-1', 'a', { reason: until('2026-06-10') }),
      record(A, 'eu-west-1', 'b', { reason: until('2026-06-10') }),
      record(A, 'eu-west-1', 'a', { reason: until('2026-06-10') }),
      record(C, 'eu-west-1', 'never'),
      record(A, 'eu-west-1', 'never'),
    ];
    // buildEvidence sorts the records; the view's order must not depend on it.
    const view = viewOf({ ...data(), records: [...rows].reverse() });
    expect(view.exemptions.map((row) => [row.accountId, row.region, row.subject])).toEqual([
      [A, 'eu-west-1', 'a'],
      [A, 'eu-west-1', 'b'],
      [A, 'us-east-1', 'a'],
      [B, 'eu-west-1', 'a'],
      [A, 'eu-west-1', 'never'],
      [C, 'eu-west-1', 'never'],
    ]);
  });

  it('lists those that end beyond 30 days by expiry, after the soon ones and before those without one', () => {
    const rows = [
      record(A, 'eu-west-1', 'a-never'),
      record(A, 'eu-west-1', 'x-march', { reason: until('2027-03-01') }),
      record(A, 'eu-west-1', 'w-december', { reason: until('2027-12-01') }),
      record(A, 'eu-west-1', 'y-soon', { reason: until('2026-06-20') }),
      record(A, 'eu-west-1', 'z-past', { reason: until('2026-05-01') }),
    ];
    // The names sort the other way round: only the expiry orders them.
    const view = viewOf({ ...data(), records: rows });
    expect(view.exemptions.map((row) => [row.subject, row.soon])).toEqual([
      ['z-past', true],
      ['y-soon', true],
      ['x-march', false],
      ['w-december', false],
      ['a-never', false],
    ]);
  });

  it('reads an exemption tag’s reason without the policy’s tag key when the policy has none', () => {
    const view = viewOf(
      data({
        policy: { ...POLICY, exemptTagKey: null, exemptExpiryTagKey: null },
        records: [record(A, 'eu-west-1', 'x', { reason: "rule exempt-tag: team='a=b' until 2026-06-10" })],
      }),
    );
    expect(view.exemptions).toEqual([
      {
        rule: 'exempt-tag team',
        reason: 'a=b',
        expiry: '2026-06-10',
        accountId: A,
        region: 'eu-west-1',
        subject: 'x',
        soon: true,
      },
    ]);
  });
});

describe('the view of a data set', () => {
  const accountRegions = [
    summary(A, 'us-east-1', { accountName: null }),
    summary(A, 'eu-west-1', { accountName: 'prod' }),
    summary(B, 'eu-west-1', { accountName: null }),
    summary(B, 'us-east-1', { accountName: 'shared' }),
    summary(B, 'ap-south-1', { status: 'skipped', code: 'excluded', counts: counts() }),
  ];
  const records = [
    record(C, 'sa-east-1', 'x', { outcome: 'failed', errorCode: 'AccessDenied' }),
    record(A, 'eu-west-1', 'legacy/a'),
    record(A, 'eu-west-1', 'app', { outcome: 'remediated' }),
    record(B, 'eu-west-1', 'api', { outcome: 'would-remediate', dryRun: true }),
    record(A, 'us-east-1', 'web', { outcome: 'blocked-overwrite' }),
    record(A, 'eu-west-1', 'api', { outcome: 'remediated' }),
  ];

  it('names each account once, by the name any of its summaries gives, and adds the accounts only records name', () => {
    const view = viewOf(data({ accountRegions, records }));
    expect(view.accounts).toEqual([
      { accountId: A, accountName: 'prod' },
      { accountId: B, accountName: 'shared' },
      { accountId: C, accountName: null },
    ]);
    expect(view.regions).toEqual(['ap-south-1', 'eu-west-1', 'sa-east-1', 'us-east-1']);
    expect(view.cells.map((row) => row.map((cell) => cell.kind))).toEqual([
      ['absent', 'compliant', 'absent', 'compliant'],
      ['skipped', 'compliant', 'absent', 'compliant'],
      ['absent', 'absent', 'absent', 'absent'],
    ]);
  });

  it('lists an account that only records name in its place by number, and one no summary names', () => {
    const view = viewOf(
      data({
        accountRegions: [summary(B, 'eu-west-1', { accountName: null }), summary(C, 'eu-west-1')],
        records: [record(A, 'eu-west-1', 'x', { outcome: 'failed' })],
      }),
    );
    expect(view.accounts).toEqual([
      { accountId: A, accountName: null },
      { accountId: B, accountName: null },
      { accountId: C, accountName: null },
    ]);
  });

  it('counts the account-regions of each kind, the absent ones included, and sums the repositories', () => {
    const view = viewOf(data({ accountRegions, records }));
    expect(view.cellTotals).toEqual({
      compliant: 4,
      exempt: 0,
      remediated: 0,
      'would-remediate': 0,
      failed: 0,
      incomplete: 0,
      unguarded: 0,
      skipped: 1,
      absent: 7,
    });
    expect(view.totals).toEqual(counts({ compliant: 4 }));
  });

  it('groups the records of each table by account, in the data’s order', () => {
    const view = viewOf(data({ accountRegions, records }));
    const groups = (list: typeof view.failures) =>
      list.map((group) => [group.accountId, group.records.map((entry) => entry.subject)]);
    expect(groups(view.remediations)).toEqual([
      [A, ['api', 'app']],
      [B, ['api']],
    ]);
    expect(groups(view.blockedOverwrites)).toEqual([[A, ['web']]]);
    expect(groups(view.failures)).toEqual([[C, ['x']]]);
    expect(view.exemptions.map((row) => row.subject)).toEqual(['legacy/a']);
  });

  it('says when the report was made only when the caller says', () => {
    expect(viewOf(data()).madeAt).toBeNull();
    expect(viewOf(data(), { madeAt: '2026-07-01T00:00:00Z' }).madeAt).toBe('2026-07-01T00:00:00Z');
  });
});
