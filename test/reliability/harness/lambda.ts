/**
 * Lambda containers for the reliability suite: each is a child process running one built bundle
 * (./lambda-child.ts), so its configuration, SDK client (and adaptive retry state) and log output
 * are its own, as in Lambda. A pool of them stands for the function's concurrency.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { AUDIT_MESSAGE, type AuditRecord } from '../../../lib/audit.ts';
import {
  type ContextPlan,
  type InvokeMessage,
  MARKER,
  type ResultMessage,
  type SerializedError,
} from './protocol.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecr-immutability-guard-reliability`;

/**
 * Credentials every container gets. Distinctive on purpose: the log scan asserts that none of them
 * ever appears in what the functions write. The access key ID has the shape of a real one.
 */
export const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIARELIABILITY0TEST',
  AWS_SECRET_ACCESS_KEY: 'reliabilitySecretKey/DoNotLog+0123456789abcdefABCDEF',
  AWS_SESSION_TOKEN: 'reliabilitySessionToken//DoNotLog/IQoJb3JpZ2luX2VjEOr==',
} as const;

/** Access key IDs (`AKIA…` long-term, `ASIA…` temporary): none may ever appear in a log line. */
export const ACCESS_KEY_PATTERN = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/;

const leaks: string[] = [];

/** Log lines, of any container started by this process, that carried a credential. */
export function credentialLeaks(): readonly string[] {
  return leaks;
}

function scanForCredentials(text: string): void {
  const secrets = Object.values(CREDENTIALS);
  if (ACCESS_KEY_PATTERN.test(text) || secrets.some((secret) => text.includes(secret))) {
    leaks.push(text.length > 500 ? `${text.slice(0, 500)}…` : text);
  }
}

/** The environment of a container pointed at `endpoint`, at INFO so that every audit record is written. */
export function lambdaEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...CREDENTIALS,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_ECR: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    TZ: 'UTC',
    ...extra,
  };
}

/** One log line a function wrote, parsed when it is JSON. */
export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface Invocation {
  readonly ok: boolean;
  readonly result: unknown;
  readonly error: SerializedError | undefined;
  readonly logs: readonly LogLine[];
  /** The audit records (`ecr-guard audit` lines) of this invocation, in order. */
  readonly records: readonly AuditRecord[];
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface Container {
  readonly pid: number | undefined;
  /** Lines written at init, before the first invocation. */
  readonly initLogs: readonly LogLine[];
  invoke(event: unknown, plan?: ContextPlan): Promise<Invocation>;
  stop(): Promise<void>;
}

const CHILD = path.join(import.meta.dirname, 'lambda-child.ts');

function parseLine(stream: LogLine['stream'], text: string): LogLine {
  let json: Record<string, unknown> | undefined;
  if (text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        json = value as Record<string, unknown>;
      }
    } catch {
      json = undefined;
    }
  }
  return { stream, text, json };
}

/** The audit records among log lines (Powertools puts the record's fields at the top level). */
export function auditRecords(logs: readonly LogLine[]): AuditRecord[] {
  return logs.flatMap((line) =>
    line.json !== undefined && line.json.message === AUDIT_MESSAGE
      ? [line.json as unknown as AuditRecord]
      : [],
  );
}

/** Starts one container of `bundle` (`guardrail` or `sweep`) and waits for its init to finish. */
export async function startContainer(
  bundle: 'guardrail' | 'sweep',
  env: Record<string, string>,
  invokedFunctionArn = FUNCTION_ARN,
): Promise<Container> {
  const child: ChildProcess = fork(CHILD, [bundle], {
    env,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const initLogs: LogLine[] = [];
  let current: LogLine[] = initLogs;
  const markers = new Map<string, number>();
  let onMarker: (() => void) | undefined;
  const replies = new Map<number, (reply: ResultMessage) => void>();
  let exited: string | undefined;

  for (const stream of ['stdout', 'stderr'] as const) {
    let pending = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (text.startsWith(MARKER)) {
          const key = `${stream}:${text.slice(MARKER.length)}`;
          markers.set(key, (markers.get(key) ?? 0) + 1);
          onMarker?.();
        } else if (text !== '') {
          scanForCredentials(text);
          current.push(parseLine(stream, text));
        }
        newline = pending.indexOf('\n');
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => {
      const output = initLogs.map((line) => line.text).join('\n');
      reject(new Error(`the ${bundle} container exited during init (code ${code}):\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
    for (const [, resolve] of replies) {
      resolve({ id: -1, ok: false, error: { name: 'ContainerExited', message: exited } });
    }
    onMarker?.();
  });
  child.on('message', (message: ResultMessage) => {
    replies.get(message.id)?.(message);
  });

  let nextId = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function invokeNow(event: unknown, plan: ContextPlan): Promise<Invocation> {
    if (exited !== undefined) throw new Error(`container ${child.pid} ${exited}`);
    const id = ++nextId;
    const logs: LogLine[] = [];
    current = logs;
    const startedAt = Date.now();
    const reply = await new Promise<ResultMessage>((resolve) => {
      replies.set(id, resolve);
      const message: InvokeMessage = { id, event, context: plan, invokedFunctionArn };
      child.send(message);
    });
    replies.delete(id);
    // The reply travels on the IPC channel; wait until both log streams have delivered this invocation's marker.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (exited !== undefined || (markers.has(`stdout:${id}`) && markers.has(`stderr:${id}`))) {
          onMarker = undefined;
          resolve();
        }
      };
      onMarker = check;
      check();
    });
    return {
      ok: reply.ok,
      result: reply.ok ? reply.result : undefined,
      error: reply.ok ? undefined : reply.error,
      logs,
      records: auditRecords(logs),
      startedAt,
      endedAt: Date.now(),
    };
  }

  return {
    pid: child.pid,
    initLogs,
    invoke(event, plan = { remainingMs: 900_000 }) {
      const run = queue.then(() => invokeNow(event, plan));
      queue = run.catch(() => undefined);
      return run;
    },
    async stop() {
      if (exited !== undefined || child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Several containers of one function: invocations go to whichever is free, as with Lambda concurrency. */
export interface Pool {
  readonly size: number;
  invoke(event: unknown, plan?: ContextPlan): Promise<Invocation>;
  /** Every line written at init by every container. */
  initLogs(): LogLine[];
  stop(): Promise<void>;
}

export async function startPool(
  size: number,
  bundle: 'guardrail' | 'sweep',
  env: Record<string, string>,
): Promise<Pool> {
  const containers = await Promise.all(Array.from({ length: size }, () => startContainer(bundle, env)));
  const idle = [...containers];
  const waiting: ((container: Container) => void)[] = [];
  const acquire = () =>
    new Promise<Container>((resolve) => {
      const container = idle.pop();
      if (container !== undefined) resolve(container);
      else waiting.push(resolve);
    });
  const release = (container: Container) => {
    const next = waiting.shift();
    if (next !== undefined) next(container);
    else idle.push(container);
  };
  return {
    size,
    async invoke(event, plan) {
      const container = await acquire();
      try {
        return await container.invoke(event, plan);
      } finally {
        release(container);
      }
    },
    initLogs: () => containers.flatMap((container) => [...container.initLogs]),
    async stop() {
      await Promise.all(containers.map((container) => container.stop()));
    },
  };
}
