/**
 * Runs the synthesized sweep state machine's JSONata expressions with the `jsonata` reference
 * implementation, through a small interpreter of the state types the definition uses (Pass, Task,
 * Choice, Succeed, Fail), against a fake sweep function: so the loop, the payloads it sends and the
 * failure accounting are executed, not only read. Semantics follow the Step Functions JSONata
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

async function run(definition: Definition, input: unknown, sweep: Sweep): Promise<Execution> {
  const variables: Record<string, unknown> = {};
  const payloads: unknown[] = [];
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
          stateInput = output;
          name = state.Next ?? '';
        } catch (error) {
          const handler = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
          if (handler === undefined) throw error;
          // jsonata throws plain objects `{ code, message }`; the fake function throws Errors.
          const isQueryError =
            !(error instanceof Error) && typeof error === 'object' && error !== null && 'code' in error;
          const message =
            typeof error === 'object' && error !== null && 'message' in error
              ? String(error.message)
              : String(error);
          const errorOutput = {
            Error: isQueryError ? 'States.QueryEvaluationError' : 'SweepFunctionError',
            Cause: message,
          };
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

  it('fails rather than counting zero when a result breaks the contract', async () => {
    const execution = await run(definition, {}, pages({ scanned: 10 }));
    expect(execution).toMatchObject({
      status: 'FAILED',
      cause: expect.stringContaining('sweep result has no counts.failed'),
    });
  });
});
