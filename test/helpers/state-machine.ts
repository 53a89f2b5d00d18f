/**
 * A small interpreter of the Step Functions state machines this project synthesizes (JSONata query
 * language), so that tests execute their definitions instead of only reading them: every JSONata
 * expression is evaluated by the `jsonata` reference implementation, Lambda tasks call the functions a
 * test provides (the real handlers, in-process), and a Distributed Map reads its items from and writes
 * its results to S3 (the emulator's, through the SDK) in AWS's formats.
 *
 * State types: Pass, Task (Lambda invoke), Choice, Succeed, Fail, Map in DISTRIBUTED mode; a state's
 * Retry (by error name, MaxAttempts) and Catch (in order, `States.ALL` last). Semantics from the docs:
 * - every Assign expression sees the variables as they were before the state; a Task's or Map's Output
 *   defaults to its result, a Pass state's to its input
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html,
 *   https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html);
 * - a Lambda function's error reaches the state machine as `Error` = its errorType and `Cause` = the JSON
 *   of `{errorType, errorMessage, trace}` (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html);
 * - a Distributed Map runs one child execution per item with its own variables; its `ItemReader` reads a
 *   JSON array (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html), and
 *   its `ResultWriter` writes `<Prefix>/<map run id>/manifest.json` and `SUCCEEDED_0.json` /
 *   `FAILED_0.json` / `PENDING_0.json` (JSON arrays of executions whose `Input` and `Output` are JSON
 *   strings) and returns `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html). Children run at
 *   most `MaxConcurrency` at once; `ToleratedFailurePercentage` / `ToleratedFailureCount` decide
 *   `States.ExceedToleratedFailureThreshold`.
 *
 * Not modelled: timeouts, Parallel and Wait states, JSONPath, Express children, redrive.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import jsonata from 'jsonata';

/** The fields of a state the interpreter reads, as synthesized. */
export interface MachineState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Condition: string; Next: string }[];
  Retry?: Record<string, unknown>[];
  Catch?: { ErrorEquals: string[]; Next: string; Output?: string }[];
  Arguments?: unknown;
  Assign?: unknown;
  Output?: unknown;
  Error?: string;
  Cause?: string;
  Resource?: string;
  ItemReader?: unknown;
  ItemSelector?: unknown;
  ItemProcessor?: unknown;
  MaxConcurrency?: number;
  ToleratedFailurePercentage?: number;
  ToleratedFailureCount?: number;
  ResultWriter?: unknown;
}

export interface MachineDefinition {
  StartAt: string;
  States: Record<string, MachineState>;
}

/**
 * The S3 of a Distributed Map's ItemReader and ResultWriter: text objects by bucket and key. Tests pass
 * {@link sdkObjectStore} over an S3 client pointed at the emulator, so the bytes cross S3's wire protocol.
 */
export interface ObjectStore {
  put(bucket: string, key: string, text: string): Promise<void>;
  get(bucket: string, key: string): Promise<string>;
}

/** An {@link ObjectStore} over the SDK's S3 client (as Step Functions' own s3:getObject / s3:putObject). */
export function sdkObjectStore(client: S3Client): ObjectStore {
  return {
    async put(bucket, key, text) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
    },
    async get(bucket, key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await object.Body?.transformToString('utf-8')) ?? '';
    },
  };
}

/** An error a state raises by name: `States.ItemReaderFailed`, `Lambda.TooManyRequestsException`... */
export class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface Environment {
  /** Invokes the Lambda function the definition names (`<SweepFunctionABC.Arn>` once intrinsics are rendered). */
  readonly lambda: (functionName: string, payload: unknown) => unknown;
  /** The S3 of ItemReader and ResultWriter. */
  readonly s3?: ObjectStore;
  /**
   * How a function's thrown error reaches the state machine. Default: as Lambda reports it (a
   * {@link StatesError} keeps its name and message).
   */
  readonly lambdaError?: (error: unknown) => { Error: string; Cause: string };
}

export interface Execution {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: unknown;
  readonly cause?: unknown;
  /** Every Lambda payload this execution sent, in order (children's in their own executions). */
  readonly payloads: unknown[];
  /** The states entered, in order. */
  readonly path: string[];
  /** The variables when the execution ended. */
  readonly variables: Record<string, unknown>;
  /** The child executions of its Distributed Map states, in item order. */
  readonly children: Execution[];
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
    return Object.fromEntries(entries.filter(([, item]) => item !== undefined));
  }
  return value;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not an object: ${JSON.stringify(value)}`);
  }
  return Object.fromEntries(Object.entries(value));
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  return value;
}

/** Lambda's report of a function error: the errorType as Error, the JSON error object as Cause. */
export function lambdaErrorOf(error: unknown): { Error: string; Cause: string } {
  if (error instanceof StatesError) return { Error: error.name, Cause: error.message };
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return { Error: errorType, Cause: JSON.stringify({ errorType, errorMessage, trace: [] }) };
}

function errorOutputOf(error: unknown, env: Environment): { Error: string; Cause: string } {
  // jsonata throws plain objects `{ code, message }`.
  const isQueryError =
    !(error instanceof Error) && typeof error === 'object' && error !== null && 'code' in error;
  if (isQueryError) {
    const message = 'message' in error ? String(error.message) : String(error);
    return { Error: 'States.QueryEvaluationError', Cause: message };
  }
  if (error instanceof StatesError) return { Error: error.name, Cause: error.message };
  return (env.lambdaError ?? lambdaErrorOf)(error);
}

/** `States.ALL` matches every error but the terminal `States.DataLimitExceeded` and `States.Runtime`. */
const matches = (errorEquals: readonly string[], name: string) =>
  errorEquals.includes(name) ||
  (errorEquals.includes('States.ALL') && name !== 'States.Runtime' && name !== 'States.DataLimitExceeded');

/** Runs an execution of `definition` to its end. */
export async function runStateMachine(
  definition: MachineDefinition,
  input: unknown,
  env: Environment,
  options: { name?: string; context?: Record<string, unknown> } = {},
): Promise<Execution> {
  const name = options.name ?? 'test-execution';
  const variables: Record<string, unknown> = {};
  const payloads: unknown[] = [];
  const path: string[] = [];
  const children: Execution[] = [];
  const attempts = new Map<string, number>();
  const context = { Execution: { Name: name, Input: input }, ...options.context };
  const done = (
    result: Omit<Execution, 'name' | 'input' | 'payloads' | 'path' | 'variables' | 'children'>,
  ) => ({
    name,
    input,
    ...result,
    payloads,
    path,
    variables,
    children,
  });
  let stateName = definition.StartAt;
  let stateInput: unknown = input;
  for (let steps = 0; steps < 10_000; steps++) {
    const state = definition.States[stateName];
    if (state === undefined) throw new Error(`no state ${stateName}`);
    if (path.at(-1) !== stateName) path.push(stateName);
    const bindings = (states: Record<string, unknown>) => ({
      ...variables,
      states: { input: stateInput, context: { ...context, State: { Name: stateName } }, ...states },
    });
    const next = (target: MachineState) => target.Next ?? '';
    switch (state.Type) {
      case 'Pass':
      case 'Task':
      case 'Map': {
        try {
          let states: Record<string, unknown> = {};
          if (state.Type === 'Task') {
            const args = record(await evaluate(state.Arguments, bindings({})), `${stateName}.Arguments`);
            payloads.push(args.Payload);
            const result = await env.lambda(
              text(args.FunctionName, `${stateName}.Arguments.FunctionName`),
              args.Payload,
            );
            states = { result: { Payload: result, StatusCode: 200 } };
          } else if (state.Type === 'Map') {
            const result = await runDistributedMap(state, stateName, bindings, env, name, children);
            states = { result };
          }
          const assigned = record(
            await evaluate(state.Assign ?? {}, bindings(states)),
            `${stateName}.Assign`,
          );
          const output =
            state.Output !== undefined
              ? await evaluate(state.Output, bindings(states))
              : state.Type === 'Pass'
                ? stateInput
                : states.result;
          Object.assign(variables, assigned);
          for (const key of [...attempts.keys()]) if (key.startsWith(`${stateName}#`)) attempts.delete(key);
          stateInput = output;
          if (state.End === true) return done({ status: 'SUCCEEDED', output });
          stateName = next(state);
        } catch (error) {
          const errorOutput = errorOutputOf(error, env);
          const retrierIndex = (state.Retry ?? []).findIndex((retrier) => {
            const equals = retrier.ErrorEquals;
            return Array.isArray(equals) && matches(equals.map(String), errorOutput.Error);
          });
          const retrier = state.Retry?.[retrierIndex];
          const key = `${stateName}#${retrierIndex}`;
          const used = attempts.get(key) ?? 0;
          const maxAttempts = typeof retrier?.MaxAttempts === 'number' ? retrier.MaxAttempts : 3;
          if (retrier !== undefined && used < maxAttempts) {
            attempts.set(key, used + 1);
            continue;
          }
          const handler = state.Catch?.find((catcher) => matches(catcher.ErrorEquals, errorOutput.Error));
          if (handler === undefined)
            return done({ status: 'FAILED', error: errorOutput.Error, cause: errorOutput.Cause });
          stateInput = await evaluate(
            handler.Output ?? '{% $states.errorOutput %}',
            bindings({ errorOutput }),
          );
          stateName = handler.Next;
        }
        break;
      }
      case 'Choice': {
        let target = state.Default;
        for (const choice of state.Choices ?? []) {
          if ((await evaluate(choice.Condition, bindings({}))) === true) {
            target = choice.Next;
            break;
          }
        }
        if (target === undefined)
          return done({ status: 'FAILED', error: 'States.NoChoiceMatched', cause: stateName });
        stateName = target;
        break;
      }
      case 'Succeed':
        return done({
          status: 'SUCCEEDED',
          output: state.Output === undefined ? stateInput : await evaluate(state.Output, bindings({})),
        });
      case 'Fail':
        try {
          return done({
            status: 'FAILED',
            error: await evaluate(state.Error, bindings({})),
            cause: await evaluate(state.Cause, bindings({})),
          });
        } catch (error) {
          const errorOutput = errorOutputOf(error, env);
          return done({ status: 'FAILED', error: errorOutput.Error, cause: errorOutput.Cause });
        }
      default:
        throw new Error(`the interpreter does not know state type ${state.Type}`);
    }
  }
  throw new Error('the state machine did not stop');
}

function processorOf(state: MachineState, stateName: string): MachineDefinition & { mode: string } {
  const processor = record(state.ItemProcessor, `${stateName}.ItemProcessor`);
  const config = record(processor.ProcessorConfig ?? {}, `${stateName}.ItemProcessor.ProcessorConfig`);
  const states = record(processor.States, `${stateName}.ItemProcessor.States`);
  return {
    mode: String(config.Mode ?? 'INLINE'),
    StartAt: text(processor.StartAt, `${stateName}.ItemProcessor.StartAt`),
    States: Object.fromEntries(
      Object.entries(states).map(([key, value]) => {
        const child = record(value, `${stateName}.ItemProcessor.States.${key}`);
        return [key, { ...child, Type: text(child.Type, `${key}.Type`) }];
      }),
    ),
  };
}

async function readItems(
  state: MachineState,
  stateName: string,
  bindings: (states: Record<string, unknown>) => Record<string, unknown>,
  env: Environment,
): Promise<unknown[]> {
  const reader = record(state.ItemReader, `${stateName}.ItemReader`);
  const resource = text(reader.Resource, `${stateName}.ItemReader.Resource`);
  const config = record(reader.ReaderConfig ?? {}, `${stateName}.ItemReader.ReaderConfig`);
  if (!resource.endsWith(':s3:getObject') || config.InputType !== 'JSON') {
    throw new Error(
      `the interpreter reads only JSON arrays with s3:getObject, not ${resource} ${String(config.InputType)}`,
    );
  }
  const args = record(await evaluate(reader.Arguments, bindings({})), `${stateName}.ItemReader.Arguments`);
  if (env.s3 === undefined) throw new Error('the environment has no S3');
  let items: unknown;
  try {
    items = JSON.parse(await env.s3.get(text(args.Bucket, 'Bucket'), text(args.Key, 'Key')));
  } catch (error) {
    throw new StatesError('States.ItemReaderFailed', error instanceof Error ? error.message : String(error));
  }
  if (!Array.isArray(items))
    throw new StatesError('States.ItemReaderFailed', 'the JSON file is not an array');
  return items;
}

async function runDistributedMap(
  state: MachineState,
  stateName: string,
  bindings: (states: Record<string, unknown>) => Record<string, unknown>,
  env: Environment,
  executionName: string,
  children: Execution[],
): Promise<unknown> {
  const processor = processorOf(state, stateName);
  if (processor.mode !== 'DISTRIBUTED')
    throw new Error(`${stateName}: only DISTRIBUTED maps are interpreted`);
  const items = await readItems(state, stateName, bindings, env);
  const selected = await Promise.all(
    items.map(async (value, index) => {
      const itemBindings = bindings({});
      const states = record(itemBindings.states, 'states');
      const context = record(states.context, 'context');
      const withItem = {
        ...itemBindings,
        states: { ...states, context: { ...context, Map: { Item: { Index: index, Value: value } } } },
      };
      return state.ItemSelector === undefined ? value : evaluate(state.ItemSelector, withItem);
    }),
  );
  const mapRunId = `${executionName}-${stateName}`;
  const limit =
    state.MaxConcurrency !== undefined && state.MaxConcurrency > 0 ? state.MaxConcurrency : selected.length;
  const results: Execution[] = new Array(selected.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < selected.length) {
      const index = nextIndex++;
      results[index] = await runStateMachine(processor, selected[index], env, {
        name: `${mapRunId}-${index}`,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, selected.length) }, worker));
  children.push(...results);
  const failed = results.filter((child) => child.status === 'FAILED').length;
  const toleratedPercentage = state.ToleratedFailurePercentage ?? 0;
  const toleratedCount = state.ToleratedFailureCount ?? 0;
  const exceeded =
    failed > 0 &&
    failed > toleratedCount &&
    (failed / Math.max(results.length, 1)) * 100 > toleratedPercentage;
  if (state.ResultWriter === undefined) {
    if (exceeded)
      throw new StatesError('States.ExceedToleratedFailureThreshold', `${failed} child execution(s) failed`);
    return results.map((child) => child.output);
  }
  const details = await writeResults(state, stateName, env, mapRunId, results);
  if (exceeded)
    throw new StatesError('States.ExceedToleratedFailureThreshold', `${failed} child execution(s) failed`);
  return details;
}

/** One object a Distributed Map's ResultWriter writes. */
export interface WrittenObject {
  readonly key: string;
  readonly body: string;
}

/**
 * The objects a Distributed Map's `ResultWriter` writes for `results` (AWS's formats, see the file comment):
 * one `<STATUS>_0.json` per status that has executions, then `manifest.json`; and the state's result.
 */
export function resultWriterObjects(options: {
  readonly bucket: string;
  /** `ResultWriter.Arguments.Prefix`; trailing slashes are dropped. */
  readonly prefix?: string;
  readonly stateName: string;
  readonly mapRunId: string;
  readonly results: readonly Pick<Execution, 'name' | 'status' | 'input' | 'output' | 'error' | 'cause'>[];
}): {
  readonly objects: readonly WrittenObject[];
  readonly details: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } };
} {
  const { bucket, stateName, mapRunId, results } = options;
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const base = prefix === '' ? mapRunId : `${prefix}/${mapRunId}`;
  const mapRunArn = `arn:aws:states:eu-west-1:111111111111:mapRun:test/${stateName}:${mapRunId}`;
  const entry = (child: (typeof results)[number]) => ({
    ExecutionArn: `arn:aws:states:eu-west-1:111111111111:execution:test/${stateName}:${child.name}`,
    Input: JSON.stringify(child.input),
    InputDetails: { Included: true },
    Name: child.name,
    ...(child.status === 'SUCCEEDED'
      ? { Output: JSON.stringify(child.output), OutputDetails: { Included: true } }
      : { Error: String(child.error), Cause: String(child.cause) }),
    RedriveCount: 0,
    RedriveStatus: child.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
    StartDate: '2026-11-30T04:00:00.000Z',
    StateMachineArn: `arn:aws:states:eu-west-1:111111111111:stateMachine:test/${stateName}`,
    Status: child.status,
    StopDate: '2026-11-30T04:00:01.000Z',
  });
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  const objects: WrittenObject[] = [];
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const executions = results.filter((child) => child.status === status).map(entry);
    if (executions.length === 0) continue;
    const key = `${base}/${status}_0.json`;
    const body = JSON.stringify(executions);
    objects.push({ key, body });
    files[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${base}/manifest.json`;
  objects.push({
    key: manifestKey,
    body: JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files }),
  });
  return {
    objects,
    details: { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } },
  };
}

async function writeResults(
  state: MachineState,
  stateName: string,
  env: Environment,
  mapRunId: string,
  results: readonly Execution[],
): Promise<unknown> {
  const writer = record(state.ResultWriter, `${stateName}.ResultWriter`);
  const args = record(writer.Arguments, `${stateName}.ResultWriter.Arguments`);
  const bucket = text(args.Bucket, 'ResultWriter Bucket');
  const prefix = typeof args.Prefix === 'string' ? args.Prefix : '';
  const { objects, details } = resultWriterObjects({ bucket, prefix, stateName, mapRunId, results });
  if (env.s3 === undefined) throw new Error('the environment has no S3');
  try {
    for (const object of objects) await env.s3.put(bucket, object.key, object.body);
    return details;
  } catch (error) {
    throw new StatesError(
      'States.ResultWriterFailed',
      error instanceof Error ? error.message : String(error),
    );
  }
}
