/**
 * Runs the synthesized sweep state machine's JSONata expressions with the `jsonata` reference
 * implementation, through the interpreter of test/helpers/state-machine.ts (Pass, Task, Choice, Succeed,
 * Fail; a Task's Retry and Catch by error name), against a fake sweep function: so the loop, the payloads
 * it sends, the retries and the failure accounting are executed, not only read. Semantics follow the Step
 * Functions JSONata docs: every Assign expression sees the variables as they were before the state
 * (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
 */
import { describe, expect, it } from 'vitest';
import { SWEEP_STATE_NAMES } from '../../infra/sweep-workflow.ts';
import { runStateMachine, StatesError } from '../helpers/state-machine.ts';
import { type Definition, sweepDefinitionOf, synthesize } from './helpers.ts';

type Sweep = (payload: unknown) => unknown;

/** Runs the definition against one fake function; a plain error it throws is reported as `SweepFunctionError`. */
async function run(definition: Definition, input: unknown, sweep: Sweep) {
  const { status, output, error, cause, payloads } = await runStateMachine(definition, input, {
    lambda: (_functionName, payload) => sweep(payload),
    lambdaError: (thrown) => ({
      Error: 'SweepFunctionError',
      Cause: thrown instanceof Error ? thrown.message : String(thrown),
    }),
  });
  return { status, output, error, cause, payloads };
}

/** A fake sweep function answering a scripted list of page results, one per invocation. */
function pages(...results: unknown[]): Sweep {
  let index = 0;
  return () => {
    const result = results[index++];
    if (result instanceof Error) throw result;
    if (result === undefined) throw new Error('invoked more often than scripted');
    return result;
  };
}

const counts = (failed: number) => ({
  compliant: 0,
  remediated: 0,
  'would-remediate': 0,
  exempt: 0,
  gone: 0,
  failed,
});

describe('the sweep state machine, executed', () => {
  const { template } = synthesize();
  const definition = sweepDefinitionOf(template);

  it('loops on nextToken, sending the input first and only the token after', async () => {
    const input = { dryRun: true };
    const execution = await run(
      definition,
      input,
      pages(
        { counts: counts(0), scanned: 1000, nextToken: 't1' },
        { counts: counts(0), scanned: 1000, nextToken: 't2' },
        { counts: counts(0), scanned: 345 },
      ),
    );
    expect(execution).toEqual({
      status: 'SUCCEEDED',
      output: { scanned: 2345, failed: 0, pages: 3 },
      payloads: [input, { nextToken: 't1' }, { nextToken: 't2' }],
    });
  });

  it('passes the scheduled event to the first page unchanged', async () => {
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
    const execution = await run(definition, scheduled, pages({ counts: counts(0), scanned: 10 }));
    expect(execution.payloads).toEqual([scheduled]);
  });

  it('repeats maxRepositories on every continuation page', async () => {
    const execution = await run(
      definition,
      { maxRepositories: 500 },
      pages({ counts: counts(0), scanned: 500, nextToken: 't1' }, { counts: counts(0), scanned: 20 }),
    );
    expect(execution.payloads).toEqual([{ maxRepositories: 500 }, { maxRepositories: 500, nextToken: 't1' }]);
  });

  it('runs every page and then fails as RepositoriesFailed when repositories failed', async () => {
    const execution = await run(
      definition,
      {},
      pages({ counts: counts(2), scanned: 1000, nextToken: 't1' }, { counts: counts(1), scanned: 10 }),
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: SWEEP_STATE_NAMES.repositoriesFailed,
      cause:
        '3 of 1010 scanned repositories failed over 2 page(s); see the audit records with outcome failed',
    });
    expect(execution.payloads).toHaveLength(2);
  });

  it('counts creation templates that could not be fixed as failures', async () => {
    const execution = await run(
      definition,
      {},
      pages({ counts: counts(0), scanned: 10, templates: counts(1) }),
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: SWEEP_STATE_NAMES.repositoriesFailed });
  });

  it('fails visibly when the function fails, with its error', async () => {
    const execution = await run(
      definition,
      { dryrun: true },
      pages(new Error('invalid input: dryrun: Unrecognized key')),
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'SweepFunctionError',
      cause: 'invalid input: dryrun: Unrecognized key',
    });
  });

  it('retries a page whose invoke timed out or was throttled, with the same payload, then goes on', async () => {
    const execution = await run(
      definition,
      {},
      pages(
        { counts: counts(0), scanned: 100, nextToken: 't1' },
        new StatesError('Lambda.ClientExecutionTimeoutException', 'the invoke timed out'),
        new StatesError('Lambda.TooManyRequestsException', 'rate exceeded'),
        { counts: counts(0), scanned: 5 },
      ),
    );
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { scanned: 105, failed: 0, pages: 2 } });
    // The retried page is sent again unchanged: a page is idempotent.
    expect(execution.payloads).toEqual([{}, { nextToken: 't1' }, { nextToken: 't1' }, { nextToken: 't1' }]);
  });

  it('fails visibly with a clear error when a page goes over the payload quota', async () => {
    const execution = await run(
      definition,
      {},
      pages(
        { counts: counts(0), scanned: 100, nextToken: 't1' },
        new StatesError(
          'States.DataLimitExceeded',
          'The state/task returned a result with a size exceeding the maximum',
        ),
      ),
    );
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: expect.stringMatching(/payload quota \(256 KiB\) after 1 page\(s\): lower maxRepositories/),
    });
    expect(execution.payloads).toHaveLength(2);
  });

  it('does not retry a function error forever: it fails after the page', async () => {
    const execution = await run(definition, {}, pages(new StatesError('Lambda.Unknown', 'boom')));
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Lambda.Unknown', cause: 'boom' });
    expect(execution.payloads).toHaveLength(1);
  });

  it('fails rather than counting zero when a result breaks the contract', async () => {
    const execution = await run(definition, {}, pages({ scanned: 10 }));
    expect(execution).toMatchObject({
      status: 'FAILED',
      cause: expect.stringContaining('sweep result has no counts.failed'),
    });
  });
});
