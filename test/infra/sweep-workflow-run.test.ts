/**
 * Runs the synthesized sweep state machine's JSONata expressions with the `jsonata` reference
 * implementation, through a small interpreter of the state types the definition uses (Pass, Task,
 * Choice, Succeed, Fail; a Task's Retry and Catch by error name), against a fake sweep function: so
 * the loop, the payloads it sends, the retries and the failure accounting are executed, not only read. Semantics follow the Step Functions JSONata
 * docs: every Assign expression sees the variables as they were before the state
 * (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
 */
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { SWEEP_STATE_NAMES } from '../../infra/sweep-workflow.ts';
import { type Definition, sweepDefinitionOf, synthesize } from './helpers.ts';

type Sweep = (payload: unknown) => unknown;

interface Execution {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: unknown;
  cause?: unknown;
  payloads: unknown[];
}

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

async function evaluate(value: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  if (typeof value === 'string') {
    const match = EXPRESSION.exec(value);
    return match?.[1] === undefined ? value : jsonata(match[1]).evaluate({}, bindings);
  }
  if (Array.isArray(value)) return Promise.all(value.map((item) => evaluate(item, bindings)));
  if (typeof value === 'object' && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await evaluate(item, bindings)] as const),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/** An error the Lambda integration or Step Functions raises, by name (`Lambda.ClientExecutionTimeoutException`). */
class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function errorName(error: unknown): string {
  const isQueryError =
    !(error instanceof Error) && typeof error === 'object' && error !== null && 'code' in error;
  if (isQueryError) return 'States.QueryEvaluationError';
  return error instanceof StatesError ? error.name : 'SweepFunctionError';
}

const matches = (errorEquals: readonly string[], name: string) =>
  errorEquals.includes(name) || errorEquals.includes('States.ALL');

async function run(definition: Definition, input: unknown, sweep: Sweep): Promise<Execution> {
  const variables: Record<string, unknown> = {};
  const payloads: unknown[] = [];
  const attempts = new Map<string, number>();
  let name = definition.StartAt;
  let stateInput: unknown = input;
  for (let steps = 0; steps < 1000; steps++) {
    const state = definition.States[name];
    if (state === undefined) throw new Error(`no state ${name}`);
    const bindings = (states: Record<string, unknown>) => ({
      ...variables,
      states: { input: stateInput, ...states },
    });
    switch (state.Type) {
      case 'Pass':
      case 'Task': {
        let states: Record<string, unknown> = {};
        try {
          if (state.Type === 'Task') {
            const args = (await evaluate(state.Arguments, bindings({}))) as { Payload: unknown };
            payloads.push(args.Payload);
            states = { result: { Payload: sweep(args.Payload) } };
          }
          const assigned = (await evaluate(state.Assign ?? {}, bindings(states))) as Record<string, unknown>;
          const output =
            state.Output === undefined ? stateInput : await evaluate(state.Output, bindings(states));
          Object.assign(variables, assigned);
          for (const key of [...attempts.keys()]) if (key.startsWith(`${name}#`)) attempts.delete(key);
          stateInput = output;
          name = state.Next ?? '';
        } catch (error) {
          // jsonata throws plain objects `{ code, message }`; the fake function throws Errors.
          const errorType = errorName(error);
          const retrierIndex = (state.Retry ?? []).findIndex((r) => {
            const equals = r.ErrorEquals;
            return Array.isArray(equals) && matches(equals.map(String), errorType);
          });
          const retrier = state.Retry?.[retrierIndex];
          const key = `${name}#${retrierIndex}`;
          const used = attempts.get(key) ?? 0;
          const maxAttempts = typeof retrier?.MaxAttempts === 'number' ? retrier.MaxAttempts : 3;
          if (retrier !== undefined && used < maxAttempts) {
            attempts.set(key, used + 1);
            continue;
          }
          const handler = state.Catch?.find((c) => matches(c.ErrorEquals, errorType));
          if (handler === undefined) throw error;
          const message =
            typeof error === 'object' && error !== null && 'message' in error
              ? String(error.message)
              : String(error);
          const errorOutput = { Error: errorType, Cause: message };
          stateInput = await evaluate(
            handler.Output ?? '{% $states.errorOutput %}',
            bindings({ errorOutput }),
          );
          name = handler.Next;
        }
        break;
      }
      case 'Choice': {
        let next = state.Default ?? '';
        for (const choice of state.Choices ?? []) {
          if ((await evaluate(choice.Condition, bindings({}))) === true) {
            next = choice.Next;
            break;
          }
        }
        name = next;
        break;
      }
      case 'Succeed':
        return { status: 'SUCCEEDED', output: await evaluate(state.Output, bindings({})), payloads };
      case 'Fail':
        return {
          status: 'FAILED',
          error: await evaluate(state.Error, bindings({})),
          cause: await evaluate(state.Cause, bindings({})),
          payloads,
        };
      default:
        throw new Error(`the interpreter does not know state type ${state.Type}`);
    }
  }
  throw new Error('the state machine did not stop');
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
