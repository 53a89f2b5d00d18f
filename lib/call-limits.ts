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

/** Left to the caller before its deadline: time to record a failure and return. */
export const DEADLINE_MARGIN_MS = 1_000;

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** `https://ecr.eu-west-1.amazonaws.com/` of an SDK request. */
function endpointOf(request: unknown): string | undefined {
  if (!HttpRequest.isInstance(request)) return undefined;
  return `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}/`;
}

/** One call in progress, shared by its outer middleware and the one each attempt passes. */
interface CallState {
  endpoint: string | undefined;
  attempts: number;
  /** False once the caller's deadline is near: the attempt made is the last. */
  readonly mayRetry: boolean;
  /** Set when the limit passed: every later attempt fails with it. */
  expired: CallTimeoutError | undefined;
  /** Ends the call at once with the last attempt's error (no retry allowed). */
  readonly stop: (error: unknown) => void;
}

/**
 * Bounds every call of `client` by `limit`: the call fails with a {@link CallTimeoutError} when it has had
 * no answer within `timeoutMs`, and no further attempt of that call starts. With a deadline, the call also
 * ends {@link DEADLINE_MARGIN_MS} before it; a call that starts later than that makes its one attempt
 * (bounded by the attempt's own timeouts) and is not retried: its failure is the caller's at once.
 */
export function limitCallTime<I extends object, O extends object>(
  client: SdkClient<I, O>,
  limit: CallTimeLimit,
): void {
  const calls = new WeakMap<object, CallState>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const left = limit.remainingMs?.();
      const untilDeadline = left === undefined ? undefined : left - DEADLINE_MARGIN_MS;
      const mayRetry = untilDeadline === undefined || untilDeadline > 0;
      const byDeadline = untilDeadline !== undefined && mayRetry && untilDeadline < limit.timeoutMs;
      const budget = byDeadline ? untilDeadline : limit.timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      let stop: (error: unknown) => void = () => {};
      const stopped = new Promise<never>((_, reject) => {
        stop = reject;
      });
      const call: CallState = { endpoint: undefined, attempts: 0, mayRetry, expired: undefined, stop };
      calls.set(context, call);
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
      // Settles after the call ended for its caller (its own attempt timed out); nobody waits for it.
      attempt.catch(() => {});
      try {
        return await Promise.race([attempt, expiry, stopped]);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', priority: 'high', name: 'ecrGuardLimitCallTime' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call = calls.get(context);
      if (call === undefined) return next(args);
      // The call is over for its caller: no further attempt starts.
      if (call.expired !== undefined) throw call.expired;
      call.attempts += 1;
      if (call.attempts > 1 && !call.mayRetry) {
        throw new CallTimeoutError(`not retried: the invocation's deadline is near`, call.endpoint, 0);
      }
      call.endpoint = endpointOf(args.request) ?? call.endpoint;
      try {
        return await next(args);
      } catch (error) {
        if (!call.mayRetry) call.stop(error);
        throw error;
      }
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
