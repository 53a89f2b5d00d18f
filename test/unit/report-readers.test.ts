/**
 * The readers of saved report data (lib/report-readers.ts), line by line: which account a single-account
 * summary is given, what a file of lines says of when and by whom, the notes on what is not part of the
 * report, and how several reads are merged.
 */
import { describe, expect, it } from 'vitest';
import { buildEvidence } from '../../lib/report.ts';
import { mergeReads, type ReadResult, readCliJsonLines } from '../../lib/report-readers.ts';
import {
  A,
  accountRegion,
  B,
  reportCounts as counts,
  PLAIN_POLICY as POLICY,
  reportRecord,
} from '../helpers/report-data.ts';

const context = { policy: POLICY, file: 'f.jsonl' };
const read = (lines: readonly unknown[]) =>
  readCliJsonLines(
    lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n'),
    context,
  );

const audit = (values: Record<string, unknown> = {}) => ({
  type: 'audit',
  outcome: 'remediated',
  repositoryName: 'app',
  registryId: A,
  region: 'eu-west-1',
  trigger: 'sweep',
  dryRun: false,
  reason: 'rule target',
  ...values,
});
const regionSummary = (region: string, values: Record<string, unknown> = {}) => ({
  type: 'summary',
  region,
  counts: counts({ compliant: 2 }),
  scanned: 2,
  ...values,
});
const logLine = (values: Record<string, unknown> = {}) => ({
  message: 'ecr-guard audit',
  outcome: 'remediated',
  repositoryName: 'app',
  accountId: A,
  region: 'eu-west-1',
  trigger: 'event',
  dryRun: false,
  reason: 'rule target',
  ...values,
});

describe('readCliJsonLines', () => {
  it('gives a single-account summary the registry of the first record of its Region, not a later one', () => {
    const { data } = read([
      audit({ region: 'us-east-1', registryId: B }),
      audit({ region: 'eu-west-1', registryId: undefined }),
      audit({ region: 'eu-west-1' }),
      audit({ region: 'eu-west-1', registryId: B }),
      regionSummary('eu-west-1'),
    ]);
    expect(data.accountRegions.map((entry) => [entry.accountId, entry.region])).toEqual([[A, 'eu-west-1']]);
  });

  it('shows a single-account summary as the CLI ran it: stopped, failed, or completed', () => {
    const { data } = read([
      '   ',
      regionSummary('r1', { interrupted: true, counts: counts({ failed: 1 }) }),
      regionSummary('r2', { counts: counts({ failed: 3 }), scanned: 3 }),
      regionSummary('r3', { interrupted: false }),
    ]);
    expect(
      data.accountRegions.map((entry) => [
        entry.region,
        entry.status,
        entry.code,
        entry.reason,
        entry.scanned,
      ]),
    ).toEqual([
      ['r1', 'incomplete', 'RepositoriesFailed', '1 repositories could not be decided', 2],
      ['r2', 'failed', 'RepositoriesFailed', '3 repositories could not be decided', 3],
      ['r3', 'completed', null, null, 2],
    ]);
  });

  it('notes an error line it cannot read by its first 200 characters, and each kind of other line once', () => {
    const odd = { type: 'error', text: 'x'.repeat(300) };
    const { notes } = read([
      odd,
      { message: 'm'.repeat(100) },
      { message: 'm'.repeat(100), level: 'INFO' },
      { level: 'DEBUG' },
      42,
      null,
    ]);
    expect(notes).toEqual([
      `f.jsonl:1: the run reported an error: ${JSON.stringify(odd).slice(0, 200)}`,
      `f.jsonl:2: 2 lines of log message "${'m'.repeat(80)}" are not part of the report (the first here)`,
      'f.jsonl:4: 3 lines of type null are not part of the report (the first here)',
    ]);
  });

  it('notes a line of another type by its type, whatever message it carries', () => {
    const { notes } = read([{ type: 'progress', message: 'ecr-guard audit' }]);
    expect(notes).toEqual(['f.jsonl:1: a line of type "progress" is not part of the report']);
  });

  it('notes no missing summaries when there are no records either', () => {
    expect(read([{ type: 'total', result: 'succeeded' }]).notes).toEqual([]);
  });

  it('says a file of CLI and audit log lines together is the CLI’s, which records no time, with the log lines’ window', () => {
    const { data, notes } = read([
      logLine({ timestamp: '2026-06-01T10:00:00Z', function_arn: 'arn:f1' }),
      audit(),
      regionSummary('eu-west-1'),
    ]);
    expect(data.sources).toEqual([
      {
        kind: 'cli-json-lines',
        detail: 'f.jsonl (audit log lines written 2026-06-01T10:00:00.000Z – 2026-06-01T10:00:00.000Z)',
        gatheredAt: null,
        gatheredBy: null,
      },
    ]);
    expect(notes).toEqual([
      "f.jsonl: holds CLI lines and the functions' audit log lines; shown as the CLI's, which record no time",
    ]);
  });

  it.each([
    ['an audit line', audit()],
    ['a summary line', regionSummary('eu-west-1')],
    ['a total line', { type: 'total', result: 'succeeded' }],
  ])('takes a file of audit log lines with %s for the CLI’s', (_name, line) => {
    const { data } = read([logLine({ function_arn: 'arn:f1' }), line]);
    expect(data.sources).toEqual([
      { kind: 'cli-json-lines', detail: 'f.jsonl', gatheredAt: null, gatheredBy: null },
    ]);
  });

  it('names the functions that wrote audit log lines without a time, three of them and how many more', () => {
    const arns = ['arn:f5', 'arn:f3', 'arn:f1', 'arn:f4', 'arn:f2'];
    const gatherers = (count: number) =>
      read(arns.slice(0, count).map((arn) => logLine({ function_arn: arn, timestamp: 'not a time' }))).data
        .sources[0];
    expect(gatherers(5)).toEqual({
      kind: 'audit-log',
      detail: 'f.jsonl',
      gatheredAt: null,
      gatheredBy: 'arn:f1, arn:f2, arn:f3 and 2 more',
    });
    expect(gatherers(3)?.gatheredBy).toBe('arn:f1, arn:f3, arn:f5');
  });

  it('takes the window of audit log lines that name no function, gathered by nobody it can name', () => {
    const { data } = read([
      logLine({ timestamp: '2026-06-02T00:00:00Z' }),
      logLine(),
      logLine({ timestamp: '2026-06-01T00:00:00Z' }),
    ]);
    expect(data.sources).toEqual([
      {
        kind: 'audit-log',
        detail: 'f.jsonl (audit log lines written 2026-06-01T00:00:00.000Z – 2026-06-02T00:00:00.000Z)',
        gatheredAt: '2026-06-01T00:00:00.000Z',
        gatheredBy: null,
      },
    ]);
  });
});

describe('mergeReads', () => {
  const place = (accountId: string, region: string) => accountRegion(accountId, region);
  const record = (accountId: string, region: string, subject: string) =>
    reportRecord({ accountId, region, subject, outcome: 'failed', reason: 'r' });
  const source = (detail: string) => ({
    kind: 'cli-json-lines' as const,
    detail,
    gatheredAt: null,
    gatheredBy: null,
  });

  it('names a read by all its sources, keeps records of no summary from every read, and notes no place twice within one read', () => {
    const first: ReadResult = {
      data: buildEvidence({
        policy: POLICY,
        sources: [source('a.jsonl'), source('b.jsonl')],
        accountRegions: [place(A, 'r1'), place(A, 'r1')],
        records: [record(A, 'r1', 'one'), record(B, 'r9', 'loose')],
      }),
      notes: [],
    };
    const second: ReadResult = {
      data: buildEvidence({
        policy: POLICY,
        sources: [source('c.jsonl')],
        accountRegions: [place(A, 'r1')],
        records: [record(A, 'r1', 'two'), record(B, 'r8', 'other')],
      }),
      notes: ['second note'],
    };
    const { data, notes } = mergeReads({ policy: POLICY }, [first, second]);
    expect(notes).toEqual([
      'second note',
      `${A} r1 is in a.jsonl, b.jsonl and in c.jsonl: shown as the latter says`,
    ]);
    expect(data.records.map((entry) => entry.subject)).toEqual(['two', 'other', 'loose']);
    expect(data.accountRegions).toEqual([place(A, 'r1')]);
  });
});
