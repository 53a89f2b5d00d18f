/**
 * Summing an organisation sweep's Distributed Map results (lib/org-results.ts): the ResultWriter's
 * manifest and result files as AWS writes them, every child's counts summed, failed account-regions
 * named, and malformed files refused with the file and field named.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionCounts, emptyCounts } from '../../lib/audit.ts';
import {
  type ChildExecution,
  type ChildOutcome,
  COUNT_KEYS,
  failedAccountRegions,
  MAX_NAMED_FAILURES,
  parseManifest,
  parseResultFile,
  type ResultFile,
  sumResults,
} from '../../lib/org-results.ts';

const counts = (values: Partial<ChildOutcome['counts']> = {}): ChildOutcome['counts'] => ({
  compliant: 0,
  remediated: 0,
  'would-remediate': 0,
  exempt: 0,
  gone: 0,
  failed: 0,
  ...values,
});

const outcome = (accountId: string, region: string, values: Partial<ChildOutcome['counts']> = {}) => ({
  accountId,
  region,
  counts: counts(values),
  scanned: Object.values(counts(values)).reduce((sum, count) => sum + count, 0),
  pages: 1,
});

const item = (accountId: string, region: string) =>
  JSON.stringify({ accountId, region, roleName: 'EcrImmutabilityGuardMember' });

const succeeded = (accountId: string, region: string, values = {}): ChildExecution => ({
  ExecutionArn: `arn:aws:states:eu-west-1:111111111111:execution:org/Map:${accountId}-${region}`,
  Name: `${accountId}-${region}`,
  Input: item(accountId, region),
  Output: JSON.stringify(outcome(accountId, region, values)),
  Status: 'SUCCEEDED',
});

const failed = (accountId: string, region: string, error: string, cause: string): ChildExecution => ({
  Name: `${accountId}-${region}`,
  Input: item(accountId, region),
  Status: 'FAILED',
  Error: error,
  Cause: cause,
});

const file = (status: ResultFile['status'], executions: ChildExecution[]): ResultFile => ({
  status,
  key: `results/run/${status}_0.json`,
  executions,
});

describe('summing the results of every account-region', () => {
  it.each([
    {
      name: 'nothing ran',
      files: [],
      expected: { accountRegions: 0, failedAccountRegions: 0, scanned: 0, counts: counts() },
    },
    {
      name: 'two clean account-regions',
      files: [
        file('SUCCEEDED', [
          succeeded('222222222222', 'eu-west-1', { compliant: 3, remediated: 3 }),
          succeeded('333333333333', 'us-east-1', { compliant: 1, exempt: 2, gone: 1 }),
        ]),
      ],
      expected: {
        accountRegions: 2,
        failedAccountRegions: 0,
        scanned: 10,
        counts: counts({ compliant: 4, remediated: 3, exempt: 2, gone: 1 }),
      },
    },
    {
      name: 'a child that failed with repositories failed: its counts from its cause',
      files: [
        file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1', { remediated: 2 })]),
        file('FAILED', [
          failed(
            '333333333333',
            'eu-west-1',
            'RepositoriesFailed',
            JSON.stringify({
              ...outcome('333333333333', 'eu-west-1', { compliant: 4, failed: 1 }),
              message: 'x',
            }),
          ),
        ]),
      ],
      expected: {
        accountRegions: 2,
        failedAccountRegions: 1,
        scanned: 7,
        counts: counts({ compliant: 4, remediated: 2, failed: 1 }),
        failures: [
          { accountId: '333333333333', region: 'eu-west-1', error: 'RepositoriesFailed', countsKnown: true },
        ],
      },
    },
    {
      name: 'a child that failed with another cause: failed, counts unknown, named from its input',
      files: [
        file('FAILED', [failed('444444444444', 'us-east-1', 'States.Timeout', 'The execution timed out')]),
      ],
      expected: {
        accountRegions: 1,
        failedAccountRegions: 1,
        scanned: 0,
        counts: counts(),
        failures: [
          { accountId: '444444444444', region: 'us-east-1', error: 'States.Timeout', countsKnown: false },
        ],
      },
    },
    {
      name: 'a child still pending (the Map Run stopped): failed, counts unknown',
      files: [file('PENDING', [{ Name: 'p', Input: item('555555555555', 'eu-west-1'), Status: 'RUNNING' }])],
      expected: {
        accountRegions: 1,
        failedAccountRegions: 1,
        failures: [{ accountId: '555555555555', region: 'eu-west-1', error: 'Pending', countsKnown: false }],
      },
    },
    {
      name: 'a child whose input is not an item: unknown account-region',
      files: [file('FAILED', [{ Status: 'ABORTED', Input: 'not json' }])],
      expected: {
        failedAccountRegions: 1,
        failures: [{ accountId: 'unknown', region: 'unknown', error: 'ABORTED', countsKnown: false }],
      },
    },
    {
      name: 'a succeeded child reporting failed repositories (defensive): a failed account-region',
      files: [file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1', { failed: 2 })])],
      expected: {
        failedAccountRegions: 1,
        counts: counts({ failed: 2 }),
        failures: [
          { accountId: '222222222222', region: 'eu-west-1', error: 'RepositoriesFailed', countsKnown: true },
        ],
      },
    },
  ])('$name', ({ files, expected }) => {
    expect(sumResults(files)).toMatchObject(expected);
  });

  it('names the failed account-regions in its cause, the first five and how many more', () => {
    const failures = Array.from({ length: 12 }, (_, index) =>
      failed(String(100000000000 + index), 'eu-west-1', 'AwsCallError', '{"errorType":"AwsCallError"}'),
    );
    const totals = sumResults(
      [file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1')]), file('FAILED', failures)],
      'results/run/manifest.json',
    );
    expect(totals.failedAccountRegions).toBe(12);
    expect(totals.failures).toHaveLength(MAX_NAMED_FAILURES);
    expect(totals.cause).toBe(
      `12 of 13 account-regions failed: 100000000000/eu-west-1 (AwsCallError), 100000000001/eu-west-1 (AwsCallError), 100000000002/eu-west-1 (AwsCallError), 100000000003/eu-west-1 (AwsCallError), 100000000004/eu-west-1 (AwsCallError) and 7 more; see the Map Run's failed child executions; to sweep only them again, start an execution with {"retryFailedFrom": "results/run/manifest.json"}`,
    );
    expect(totals.retryFailedFrom).toBe('results/run/manifest.json');
  });

  it('has no cause and nothing to retry when nothing failed', () => {
    const totals = sumResults(
      [file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1')])],
      'results/run/manifest.json',
    );
    expect(totals).not.toHaveProperty('cause');
    expect(totals).not.toHaveProperty('retryFailedFrom');
  });

  it('sums to the per-key totals of every child, in any split over files (property)', () => {
    const count = fc.nat({ max: 1000 });
    const countsArb = fc.record({
      compliant: count,
      remediated: count,
      'would-remediate': count,
      exempt: count,
      gone: count,
      failed: count,
    });
    fc.assert(
      fc.property(fc.array(countsArb, { maxLength: 20 }), fc.nat({ max: 20 }), (children, split) => {
        const executions = children.map((values, index) =>
          succeeded(String(200000000000 + index), 'eu-west-1', values),
        );
        const totals = sumResults([
          file('SUCCEEDED', executions.slice(0, split)),
          file('SUCCEEDED', executions.slice(split)),
        ]);
        for (const key of COUNT_KEYS) {
          expect(totals.counts[key]).toBe(children.reduce((sum, values) => sum + values[key], 0));
        }
        expect(totals.accountRegions).toBe(children.length);
        expect(totals.failedAccountRegions).toBe(children.filter((values) => values.failed > 0).length);
      }),
    );
  });
});

it('sums exactly the repository decisions of lib/audit.ts', () => {
  expect([...COUNT_KEYS]).toEqual(Object.keys(decisionCounts(emptyCounts())));
});

describe('unguarded account-regions', () => {
  const withForwarding = (
    execution: ChildExecution,
    forwarding: unknown,
    key: 'Output' | 'Cause',
  ): ChildExecution => {
    const text = execution[key];
    if (text === undefined) throw new Error(`no ${key}`);
    return { ...execution, [key]: JSON.stringify({ ...JSON.parse(text), forwarding }) };
  };
  const reason = 'the forwarding rule ecr-immutability-guard-forwarding is DISABLED, not ENABLED';

  it('are counted and named apart from failures, their repositories summed all the same', () => {
    const totals = sumResults([
      file('SUCCEEDED', [
        withForwarding(
          succeeded('222222222222', 'eu-west-1', { remediated: 2 }),
          { status: 'unguarded', reason },
          'Output',
        ),
        withForwarding(
          succeeded('333333333333', 'eu-west-1', { compliant: 1 }),
          { status: 'guarded' },
          'Output',
        ),
        succeeded('444444444444', 'eu-west-1', { compliant: 1 }),
      ]),
      file('FAILED', [
        withForwarding(
          failed(
            '555555555555',
            'eu-west-1',
            'RepositoriesFailed',
            JSON.stringify(outcome('555555555555', 'eu-west-1', { failed: 1 })),
          ),
          {
            status: 'unguarded',
            reason: 'the forwarding rule ecr-immutability-guard-forwarding does not exist',
          },
          'Cause',
        ),
      ]),
    ]);
    expect(totals).toMatchObject({
      accountRegions: 4,
      failedAccountRegions: 1,
      unguardedAccountRegions: 2,
      counts: { remediated: 2, compliant: 2, failed: 1 },
      unguarded: [
        { accountId: '222222222222', region: 'eu-west-1', reason },
        { accountId: '555555555555', region: 'eu-west-1', reason: expect.stringContaining('does not exist') },
      ],
    });
  });

  it('are none when no child checked (results of children that report no forwarding)', () => {
    expect(sumResults([file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1')])])).toMatchObject({
      unguardedAccountRegions: 0,
      unguarded: [],
    });
  });

  it('refuses a forwarding status it does not know in a succeeded child', () => {
    expect(() =>
      sumResults([
        file('SUCCEEDED', [
          withForwarding(succeeded('222222222222', 'eu-west-1'), { status: 'maybe' }, 'Output'),
        ]),
      ]),
    ).toThrow('not the output of an account-region sweep');
  });
});

describe('the failed account-regions of a run, for a retry', () => {
  it('lists every failed account-region once, however many, and counts the ones whose input named none', () => {
    const failures = Array.from({ length: 12 }, (_, index) =>
      failed(String(100000000000 + index), 'eu-west-1', 'AwsCallError', 'not json'),
    );
    const result = failedAccountRegions([
      file('SUCCEEDED', [
        succeeded('222222222222', 'eu-west-1', { compliant: 1 }),
        succeeded('333333333333', 'us-east-1', { failed: 1 }),
      ]),
      file('FAILED', [...failures, { ...failed('', '', 'States.Timeout', 'x'), Input: '{}' }]),
      file('PENDING', [{ Name: 'p', Input: item('444444444444', 'eu-west-1'), Status: 'PENDING' }]),
    ]);
    expect(result.targets).toEqual([
      { accountId: '333333333333', region: 'us-east-1' },
      ...failures.map((_, index) => ({ accountId: String(100000000000 + index), region: 'eu-west-1' })),
      { accountId: '444444444444', region: 'eu-west-1' },
    ]);
    expect(result.unidentified).toBe(1);
  });

  it('is empty for a run without failures', () => {
    expect(failedAccountRegions([file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1')])])).toEqual({
      targets: [],
      unidentified: 0,
    });
  });
});

describe('reading the ResultWriter files', () => {
  const manifest = {
    DestinationBucket: 'guard-results',
    MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/SweepAccountRegions:0f1e',
    ResultFiles: {
      FAILED: [{ Key: 'results/0f1e/FAILED_0.json', Size: 10 }],
      PENDING: [],
      SUCCEEDED: [
        { Key: 'results/0f1e/SUCCEEDED_0.json', Size: 10 },
        { Key: 'results/0f1e/SUCCEEDED_1.json', Size: 10 },
      ],
    },
  };

  it('lists the result files of a manifest by status', () => {
    expect(parseManifest(JSON.stringify(manifest), 'results/0f1e/manifest.json')).toEqual({
      bucket: 'guard-results',
      mapRunArn: manifest.MapRunArn,
      files: {
        SUCCEEDED: ['results/0f1e/SUCCEEDED_0.json', 'results/0f1e/SUCCEEDED_1.json'],
        FAILED: ['results/0f1e/FAILED_0.json'],
        PENDING: [],
      },
    });
  });

  it.each([
    { text: 'not json', message: /results\/m\.json: not JSON/ },
    { text: '[]', message: /results\/m\.json: Invalid input: expected object, received array/ },
    {
      text: JSON.stringify({ ...manifest, ResultFiles: undefined }),
      message: /results\/m\.json\.ResultFiles/,
    },
    {
      text: JSON.stringify({ ...manifest, ResultFiles: { SUCCEEDED: [{ Size: 1 }] } }),
      message: /results\/m\.json\.ResultFiles\.SUCCEEDED\.0\.Key/,
    },
  ])('refuses a malformed manifest, naming the file and field: $text', ({ text, message }) => {
    expect(() => parseManifest(text, 'results/m.json')).toThrow(message);
  });

  it.each([
    { text: '{', message: /results\/S\.json: not JSON/ },
    { text: '{}', message: /results\/S\.json: Invalid input: expected array, received object/ },
    { text: '[{"Input":"{}"}]', message: /results\/S\.json\.0\.Status/ },
    {
      text: '[{"Status":"SUCCEEDED","Output":{}}]',
      message: /results\/S\.json\.0\.Output: Invalid input: expected string/,
    },
  ])('refuses a malformed result file, naming the file and field: $text', ({ text, message }) => {
    expect(() => parseResultFile(text, 'results/S.json', 'SUCCEEDED')).toThrow(message);
  });

  it('refuses a succeeded child whose output is not an account-region outcome, naming the execution', () => {
    const results = parseResultFile(
      JSON.stringify([{ Name: 'child-1', Status: 'SUCCEEDED', Output: '{"scanned":3}' }]),
      'results/S.json',
      'SUCCEEDED',
    );
    expect(() => sumResults([results])).toThrow(
      'results/S.json: [0] (child-1).Output: not the output of an account-region sweep',
    );
  });
});

describe('reading each child exactly as its status says', () => {
  const unguardedOutput = (accountId: string, reason?: string): ChildExecution => ({
    ...succeeded(accountId, 'eu-west-1', { compliant: 1 }),
    Output: JSON.stringify({
      ...outcome(accountId, 'eu-west-1', { compliant: 1 }),
      forwarding: reason === undefined ? { status: 'unguarded' } : { status: 'unguarded', reason },
    }),
  });

  it.each([
    {
      name: 'without a Name, by its index alone, and without an Output, as null',
      execution: { Status: 'SUCCEEDED' },
      message: 'results/run/SUCCEEDED_0.json: [1].Output: not the output of an account-region sweep (null)',
    },
    {
      name: 'with a Name, and the first 200 characters of the JSON of its Output',
      execution: { Name: 'child-2', Status: 'SUCCEEDED', Output: `{"note":"${'x'.repeat(300)}"}` },
      message: `results/run/SUCCEEDED_0.json: [1] (child-2).Output: not the output of an account-region sweep (${JSON.stringify(`{"note":"${'x'.repeat(300)}"}`).slice(0, 200)})`,
    },
  ])('names a succeeded child whose output is not an outcome $name', ({ execution, message }) => {
    const results = file('SUCCEEDED', [succeeded('222222222222', 'eu-west-1'), execution]);
    expect(() => sumResults([results])).toThrow(expect.objectContaining({ issues: [message] }));
  });

  it("counts a failed child's cause but never a pending child's, even when it holds an outcome", () => {
    const cause = JSON.stringify(outcome('333333333333', 'eu-west-1', { compliant: 2, failed: 1 }));
    const totals = sumResults([
      file('FAILED', [failed('333333333333', 'eu-west-1', 'RepositoriesFailed', cause)]),
      file('PENDING', [{ ...failed('444444444444', 'eu-west-1', 'x', cause), Status: 'RUNNING' }]),
    ]);
    expect(totals).toMatchObject({
      accountRegions: 2,
      scanned: 3,
      counts: counts({ compliant: 2, failed: 1 }),
      failures: [
        { accountId: '333333333333', region: 'eu-west-1', error: 'RepositoriesFailed', countsKnown: true },
        { accountId: '444444444444', region: 'eu-west-1', error: 'Pending', countsKnown: false },
      ],
    });
  });

  it('gives an unguarded account-region without a reason the reason not reported', () => {
    expect(sumResults([file('SUCCEEDED', [unguardedOutput('222222222222')])]).unguarded).toEqual([
      { accountId: '222222222222', region: 'eu-west-1', reason: 'not reported' },
    ]);
  });

  it(`counts every unguarded account-region and names the first ${MAX_NAMED_FAILURES}`, () => {
    const executions = Array.from({ length: MAX_NAMED_FAILURES + 2 }, (_, index) =>
      unguardedOutput(String(100000000000 + index), 'missing'),
    );
    const totals = sumResults([file('SUCCEEDED', executions)]);
    expect(totals.unguardedAccountRegions).toBe(MAX_NAMED_FAILURES + 2);
    expect(totals.unguarded).toEqual(
      Array.from({ length: MAX_NAMED_FAILURES }, (_, index) => ({
        accountId: String(100000000000 + index),
        region: 'eu-west-1',
        reason: 'missing',
      })),
    );
  });
});

describe('the cause of a run with failures', () => {
  const failures = (count: number) =>
    Array.from({ length: count }, (_, index) =>
      failed(String(100000000000 + index), 'eu-west-1', 'AwsCallError', 'not json'),
    );
  const named = (count: number) =>
    Array.from({ length: count }, (_, index) => `${100000000000 + index}/eu-west-1 (AwsCallError)`).join(
      ', ',
    );

  it('names five failures without saying how many more, and without a manifest offers no retry', () => {
    const totals = sumResults([file('FAILED', failures(5))]);
    expect(totals.cause).toBe(
      `5 of 5 account-regions failed: ${named(5)}; see the Map Run's failed child executions`,
    );
    expect(totals).not.toHaveProperty('retryFailedFrom');
  });

  it('names five of six failures and says one more', () => {
    expect(sumResults([file('FAILED', failures(6))], 'results/run/manifest.json').cause).toBe(
      `6 of 6 account-regions failed: ${named(5)} and 1 more; see the Map Run's failed child executions; to sweep only them again, start an execution with {"retryFailedFrom": "results/run/manifest.json"}`,
    );
  });
});

describe('the failed account-regions a retry cannot name', () => {
  it.each([
    { name: 'the account', input: { accountId: 'unknown', region: 'eu-west-1' } },
    { name: 'the region', input: { accountId: '222222222222', region: 'unknown' } },
  ])('counts a failed child whose input leaves $name unknown as unidentified', ({ input }) => {
    expect(
      failedAccountRegions([
        file('FAILED', [{ Status: 'FAILED', Error: 'States.Timeout', Input: JSON.stringify(input) }]),
      ]),
    ).toEqual({ targets: [], unidentified: 1 });
  });
});
