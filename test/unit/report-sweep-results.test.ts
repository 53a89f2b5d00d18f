/**
 * An organisation sweep's ResultWriter files as evidence report data (lib/report-sweep-results.ts): each child
 * execution's account-region with its exact status, code and reason, when the sweep started, the accounts its
 * scope skipped, and how a saved manifest is told apart.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.ts';
import type { ChildExecution, ResultFile, ResultStatus } from '../../lib/org-results.ts';
import {
  isResultWriterManifest,
  readResultWriterFiles,
  type SkippedScopeAccount,
  stateMachineOfMapRun,
} from '../../lib/report-sweep-results.ts';
import { A, reportCounts as counts, PLAIN_POLICY as POLICY } from '../helpers/report-data.ts';

const MAP_RUN = 'arn:aws:states:eu-west-1:111111111111:mapRun:org-sweep/Sweep:1';
const outcome = (region: string, values: Record<string, unknown> = {}) =>
  JSON.stringify({ accountId: A, region, counts: counts({ compliant: 1 }), scanned: 1, pages: 1, ...values });
const input = (region: string) => JSON.stringify({ accountId: A, region });

function read(
  executions: readonly (readonly [ResultStatus, ChildExecution])[],
  skipped?: readonly SkippedScopeAccount[],
) {
  const files: ResultFile[] = executions.map(([status, execution], index) => ({
    status,
    key: `r/${status}_${index}.json`,
    executions: [execution],
  }));
  return readResultWriterFiles({
    policy: POLICY,
    manifestKey: 'r/manifest.json',
    manifest: { bucket: 'b', mapRunArn: MAP_RUN, files: { SUCCEEDED: [], FAILED: [], PENDING: [] } },
    files,
    ...(skipped === undefined ? {} : { skipped }),
  });
}

const facts = (result: ReturnType<typeof read>) =>
  result.data.accountRegions.map((entry) => [entry.region, entry.status, entry.code, entry.reason]);

describe('readResultWriterFiles', () => {
  it.each([
    [
      'a succeeded child that swept cleanly',
      ['SUCCEEDED', { Status: 'SUCCEEDED', Output: outcome('r1') }],
      ['r1', 'completed', null, null],
    ],
    [
      'a succeeded child whose forwarding rule is not in place, for no stated reason',
      ['SUCCEEDED', { Status: 'SUCCEEDED', Output: outcome('r1', { forwarding: { status: 'unguarded' } }) }],
      ['r1', 'unguarded', null, 'unguarded: the forwarding rule is not in place'],
    ],
    [
      'a failed child without an error name or a cause',
      ['FAILED', { Status: 'FAILED', Input: input('r1') }],
      ['r1', 'failed', 'FAILED', 'counts unknown'],
    ],
    [
      'a failed child whose cause holds its counts but no message',
      ['FAILED', { Status: 'FAILED', Error: 'AwsCallError', Cause: outcome('r1') }],
      ['r1', 'failed', 'AwsCallError', `partial counts: ${outcome('r1')}`],
    ],
    [
      'a child that never finished',
      ['PENDING', { Status: 'PENDING', Input: input('r1'), Cause: 'ignored' }],
      ['r1', 'failed', 'Pending', 'the child execution never finished'],
    ],
  ] as const)('shows %s', (_name, execution, expected) => {
    expect(facts(read([execution]))).toEqual([expected]);
  });

  it('keeps the counts and scanned of a failed child’s cause, and cuts a long cause at 300 characters', () => {
    const long = 'x'.repeat(400);
    const { data } = read([
      ['FAILED', { Status: 'FAILED', Error: 'E', Cause: outcome('r1', { scanned: 7, message: long }) }],
      ['FAILED', { Status: 'FAILED', Error: 'E', Input: input('r2'), Cause: long }],
    ]);
    expect(data.accountRegions.map((entry) => [entry.scanned, entry.counts.compliant, entry.reason])).toEqual(
      [
        [7, 1, `partial counts: ${'x'.repeat(300)}`],
        [0, 0, `counts unknown: ${'x'.repeat(300)}`],
      ],
    );
  });

  it('refuses a succeeded child whose output is not an outcome, naming the file, the child and the field', () => {
    const bad = () => read([['SUCCEEDED', { Status: 'SUCCEEDED', Output: '{"region":"r1"}' }]]);
    expect(bad).toThrow(InvalidInputError);
    expect(bad).toThrow('r/SUCCEEDED_0.json: [0].Output.accountId');
  });

  it.each([
    [
      'the earliest of ISO starts',
      ['2026-06-01T00:00:03Z', '2026-06-01T00:00:01Z', '2026-06-01T00:00:05Z'],
      '2026-06-01T00:00:01.000Z',
    ],
    ['epoch seconds', [1_780_272_000], '2026-06-01T00:00:00.000Z'],
    ['epoch milliseconds', [1_780_272_000_500], '2026-06-01T00:00:00.500Z'],
    ['10¹² as milliseconds, not seconds', [1_000_000_000_000], '2001-09-09T01:46:40.000Z'],
    [
      'a known start, not one that is no time',
      ['not a time', '2026-06-01T00:00:00Z'],
      '2026-06-01T00:00:00.000Z',
    ],
    ['no start at all', [undefined], null],
  ] as const)('takes when from %s', (_name, starts, gatheredAt) => {
    const { data } = read(
      starts.map((start) => [
        'SUCCEEDED',
        { Status: 'SUCCEEDED', Output: outcome('r1'), ...(start === undefined ? {} : { StartDate: start }) },
      ]),
    );
    expect(data.sources).toEqual([
      {
        kind: 'result-writer',
        detail: `${MAP_RUN} (r/manifest.json)`,
        gatheredAt,
        gatheredBy: 'arn:aws:states:eu-west-1:111111111111:stateMachine:org-sweep',
      },
    ]);
  });

  it('shows a skipped account in every Region the sweep ran, by name when it has one, and notes only what the files lack', () => {
    const { data, notes } = read(
      [
        ['SUCCEEDED', { Status: 'SUCCEEDED', Output: outcome('us-east-1') }],
        ['SUCCEEDED', { Status: 'SUCCEEDED', Output: outcome('eu-west-1') }],
        ['SUCCEEDED', { Status: 'SUCCEEDED', Output: outcome('us-east-1') }],
      ],
      [
        { accountId: '222222222222', name: 'old', reason: 'closed', detail: 'the account is CLOSED' },
        { accountId: '333333333333', reason: 'excluded', detail: 'listed in excludeAccounts' },
      ],
    );
    expect(data.accountRegions.filter((entry) => entry.status === 'skipped')).toEqual(
      [
        ['222222222222', 'old', 'closed', 'the account is CLOSED'],
        ['333333333333', null, 'excluded', 'listed in excludeAccounts'],
      ].flatMap(([accountId, accountName, code, reason]) =>
        ['eu-west-1', 'us-east-1'].map((region) => ({
          accountId,
          accountName,
          region,
          status: 'skipped',
          counts: counts(),
          scanned: 0,
          code,
          reason,
        })),
      ),
    );
    expect(notes).toEqual([
      "r/manifest.json: an organisation sweep's results hold counts per account-region, not audit records; exemptions, refused overwrites and remediations are not listed",
    ]);
    expect(read([]).notes).toEqual([
      "r/manifest.json: an organisation sweep's results hold counts per account-region, not audit records; exemptions, refused overwrites and remediations are not listed",
      'r/manifest.json: the results list only the account-regions the sweep ran; accounts its scope skipped (suspended, excluded, the management account) are not in them',
    ]);
  });
});

describe('stateMachineOfMapRun', () => {
  it.each([
    [
      'a label that holds a slash, by the name before the first',
      `${MAP_RUN.replace('Sweep:1', 'Sweep/x:1')}`,
    ],
    ['a partition, Region and account as the ARN names them', MAP_RUN],
  ])('names the state machine of %s', (_name, arn) => {
    expect(stateMachineOfMapRun(arn)).toBe('arn:aws:states:eu-west-1:111111111111:stateMachine:org-sweep');
  });

  it.each([
    ['text before the ARN', `see ${MAP_RUN}`],
    ['an account of 11 digits', 'arn:aws:states:eu-west-1:11111111111:mapRun:org/Map:1'],
    ['a Map Run without its label', 'arn:aws:states:eu-west-1:111111111111:mapRun:org:1'],
    ['a name with a colon before its label', 'arn:aws:states:eu-west-1:111111111111:mapRun:org:x/Map:1'],
    ['an account of 13 digits', 'arn:aws:states:eu-west-1:1111111111111:mapRun:org/Map:1'],
    ['an empty state machine name', 'arn:aws:states:eu-west-1:111111111111:mapRun:/Map:1'],
    ['a state machine ARN', 'arn:aws:states:eu-west-1:111111111111:stateMachine:org'],
  ])('names none for %s', (_name, arn) => {
    expect(stateMachineOfMapRun(arn)).toBeNull();
  });
});

describe('isResultWriterManifest', () => {
  it.each([
    ['a manifest with blank lines around it', '\n  {"ResultFiles":{}}\n\n', true],
    ['a manifest saved with a byte order mark', '\uFEFF{"ResultFiles":{}}', true],
    ['JSON null', 'null', false],
    ['an array holding a manifest', '[{"ResultFiles":{}}]', false],
    ['a string', '"ResultFiles"', false],
    ['text that is not JSON', 'ResultFiles', false],
  ])('says whether %s is a manifest: %s', (_name, text, manifest) => {
    expect(isResultWriterManifest(text)).toBe(manifest);
  });
});
