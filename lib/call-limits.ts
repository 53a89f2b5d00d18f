/**
 * How long one AWS call may take, and how soon an endpoint nobody listens on fails: middleware added to any
 * SDK v3 client (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/middleware-stack.html).
 *
 * One time limit per call, every layer inside it: {@link limitCallTime} wraps the SDK's whole retry loop
 * (each attempt's own `requestTimeout`, the backoff between attempts), so an endpoint that accepts
 * connections and never answers fails once, after the limit, with a {@link CallTimeoutError} naming the
 * endpoint and the limit, and nothing above the SDK retries it again (lib/aws-retry.ts `isRetryableAnswer`).
 * A caller with a deadline of its own (a Lambda invocation) also gives the time it has left: no call runs
 * past it. See docs/architecture.md, "Bounded waits".
 */
import { HttpRequest } from '@smithy/core/protocols';
import type { MiddlewareStack } from '@smithy/types';
import { CallTimeoutError, errorCodeOf } from './errors.ts';

export { CallTimeoutError };

/** What the middleware here needs of a client: its middleware stack (every SDK v3 client has one). */
export interface SdkClient<I extends object, O extends object> {
  readonly middlewareStack: MiddlewareStack<I, O>;
}

/** Called with an SDK client to add middleware to it (the call limits of a CLI run or a container). */
export type ClientHook = <I extends object, O extends object>(client: SdkClient<I, O>) => void;

export interface CallTimeLimit {
  /** The most one call may take, every SDK attempt and backoff included (ms). */
  readonly timeoutMs: number;
  /** Where the limit is set, named in the error (`--call-timeout`, `SDK_CALL_TIMEOUT_MS`). */
  readonly setting: string;
  /** Milliseconds the caller has left before its own deadline; undefined when it has none. */
  readonly remainingMs?: (() => number | undefined) | undefined;
}

/**
 * Left to the caller after a call stopped at its deadline: time to record the failure and return (half of
 * the time left when less than twice this is left).
 */
export const DEADLINE_MARGIN_MS = 1_000;

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** `https://ecr.eu-west-1.amazonaws.com/` of an SDK request. */
function endpointOf(request: unknown): string | undefined {
  if (!HttpRequest.isInstance(request)) return undefined;
  return `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}/`;
}

/**
 * Bounds every call of `client` by `limit`: the call fails with a {@link CallTimeoutError} when it has had
 * no answer within `timeoutMs` (or within the caller's time left, less {@link DEADLINE_MARGIN_MS}), and no
 * further attempt of that call starts.
 */
export function limitCallTime<I extends object, O extends object>(
  client: SdkClient<I, O>,
  limit: CallTimeLimit,
): void {
  const calls = new WeakMap<
    object,
    { endpoint: string | undefined; expired: CallTimeoutError | undefined }
  >();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const left = limit.remainingMs?.();
      // Time to record a failure is kept back; with less than that left, half of what is left.
      const untilDeadline = left === undefined ? undefined : Math.max(left - DEADLINE_MARGIN_MS, left / 2, 0);
      const byDeadline = untilDeadline !== undefined && untilDeadline < limit.timeoutMs;
      const budget = byDeadline ? untilDeadline : limit.timeoutMs;
      const call: { endpoint: string | undefined; expired: CallTimeoutError | undefined } = {
        endpoint: undefined,
        expired: undefined,
      };
      calls.set(context, call);
      let timer: NodeJS.Timeout | undefined;
      const expiry = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const where = call.endpoint === undefined ? '' : ` from ${call.endpoint}`;
          const why = byDeadline
            ? `the time left before the invocation's deadline`
            : `the call time limit (${limit.setting})`;
          call.expired = new CallTimeoutError(
            `no answer${where} within ${seconds(budget)}, ${why}`,
            call.endpoint,
            budget,
          );
          reject(call.expired);
        }, budget);
      });
      const attempt = next(args);
      // Settles after the limit when its own attempt times out; nobody waits for it any more.
      attempt.catch(() => {});
      try {
        return await Promise.race([attempt, expiry]);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', priority: 'high', name: 'ecrGuardLimitCallTime' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = calls.get(context);
      // The call is over for its caller: no further attempt starts after the limit.
      if (call?.expired !== undefined) throw call.expired;
      if (call !== undefined) call.endpoint = endpointOf(args.request) ?? call.endpoint;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'ecrGuardCallEndpoint' },
  );
}

/** Node codes meaning no connection could be made at all (nothing listening, no such host, no route). */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Makes `client` give up on an endpoint it cannot connect to after `attempts` tries (each try of one
 * call, counted below the SDK's retry middleware), instead of retrying with backoff for up to
 * `maxAttempts` (16 s and more of silence for a CLI user with a wrong `--endpoint-url`). The call then
 * fails with `EndpointConnectionError`, the AWS CLI's name for it, which is not retried again.
 * Timeouts and dropped connections are unaffected: they stay transient.
 */
export function failFastWhenUnreachable<I extends object, O extends object>(
  client: SdkClient<I, O>,
  attempts = 2,
): void {
  client.middlewareStack.add(
    (next) => {
      let failures = 0;
      return async (args) => {
        try {
          return await next(args);
        } catch (error) {
          const code = errorCodeOf(error);
          if (!UNREACHABLE_CODES.has(code)) throw error;
          failures += 1;
          if (failures < attempts) throw error;
          const endpoint = endpointOf(args.request);
          const url = endpoint === undefined ? 'the endpoint' : `"${endpoint}"`;
          const detail = error instanceof Error ? error.message : code;
          // No `cause`: the SDK would find the transient code in it and retry anyway.
          const unreachable = new Error(`Could not connect to the endpoint URL: ${url} (${detail})`);
          unreachable.name = 'EndpointConnectionError';
          throw unreachable;
        }
      };
    },
    { step: 'finalizeRequest', priority: 'low', name: 'ecrGuardFailFastWhenUnreachable' },
  );
}

/**
 * The deadline of the invocation in progress, for {@link CallTimeLimit.remainingMs}: a Lambda container
 * builds its clients once, and each invocation tells the time it has (`context.getRemainingTimeInMillis`).
 */
export interface InvocationDeadline {
  /** Milliseconds left in the invocation in progress; undefined outside one. */
  readonly remainingMs: () => number | undefined;
  /** Starts an invocation with this clock of the time it has left. */
  track(remainingMs: () => number): void;
}

export function createInvocationDeadline(): InvocationDeadline {
  let current: (() => number) | undefined;
  return {
    remainingMs: () => current?.(),
    track(remainingMs) {
      current = remainingMs;
    },
  };
}
