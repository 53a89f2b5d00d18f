/**
 * The project's error hierarchy. Every subclass sets `name` and keeps `cause`, so logs and the
 * async-invoke dead-letter path show what failed and why without stringifying errors by hand.
 */
export class GuardError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GuardError';
  }
}

/** Input that failed validation, with every issue found (not only the first). */
export class ValidationError extends GuardError {
  /** One entry per failing field, each naming its path (for example `detail.requestParameters.repositoryName`). */
  readonly issues: readonly string[];

  constructor(what: string, issues: readonly string[], options?: ErrorOptions) {
    super(`${what}: ${issues.join('; ')}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** An incoming event that is not a well-formed EventBridge event of a shape we handle. */
export class InvalidEventError extends ValidationError {
  constructor(issues: readonly string[], options?: ErrorOptions) {
    super('invalid event', issues, options);
    this.name = 'InvalidEventError';
  }
}

/** An environment variable (or CLI flag) with a missing or malformed value. */
export class ConfigError extends GuardError {
  readonly variable: string;

  constructor(variable: string, problem: string, options?: ErrorOptions) {
    super(`${variable}: ${problem}`, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** The AWS services the guard calls, as IAM and the SDK's service identifiers name them. */
export type AwsService = 'cloudtrail' | 'ecr' | 'events' | 'organizations' | 's3' | 'securityhub' | 'sts';

/**
 * A call to an AWS service that failed after the SDK's own retries (and the adapter's, where it retries).
 * `retryable` is true for throttling, server faults and calls that got no answer (worth another attempt
 * later), false for permanent errors such as access denied; lib/aws-call.ts decides, with the SDK's own
 * classification. The message reads `ecr:PutImageTagMutability failed with AccessDeniedException: …`.
 */
export class AwsCallError extends GuardError {
  readonly service: AwsService;
  readonly operation: string;
  readonly code: string;
  readonly retryable: boolean;

  constructor(
    service: AwsService,
    operation: string,
    code: string,
    retryable: boolean,
    options?: ErrorOptions,
  ) {
    const detail =
      options?.cause instanceof Error && options.cause.message ? `: ${options.cause.message}` : '';
    super(`${service}:${operation} failed with ${code}${detail}`, options);
    this.name = 'AwsCallError';
    this.service = service;
    this.operation = operation;
    this.code = code;
    this.retryable = retryable;
  }
}

/**
 * An AWS call that had no answer within its time limit (or the time left before the caller's deadline),
 * every attempt included (lib/call-limits.ts). Its message names the endpoint and the limit.
 */
export class CallTimeoutError extends GuardError {
  readonly endpoint: string | undefined;
  readonly timeoutMs: number;

  constructor(message: string, endpoint: string | undefined, timeoutMs: number) {
    super(message);
    // Not `TimeoutError`: the SDK would take that name for a transient error and try again.
    this.name = 'CallTimeoutError';
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
}

/** The {@link CallTimeoutError} behind `error` (itself or a cause), whose message says where and how long. */
export function callTimeoutOf(error: unknown): CallTimeoutError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof CallTimeoutError) return current;
    current = current.cause;
  }
  return undefined;
}

/** The invocation input (backfill payload, CLI arguments) is not valid. */
export class InvalidInputError extends ValidationError {
  constructor(issues: readonly string[], options?: ErrorOptions) {
    super('invalid input', issues, options);
    this.name = 'InvalidInputError';
  }
}

/**
 * The error code of an unknown thrown value: an {@link AwsCallError}'s AWS code, the SDK exception name, or a
 * Node network code (`ECONNRESET`).
 */
export function errorCodeOf(error: unknown): string {
  if (error instanceof AwsCallError) return error.code;
  if (typeof error !== 'object' || error === null) return 'UnknownError';
  // The SDK names a request that timed out `TimeoutError`, whatever socket code Node attached (ETIMEDOUT).
  if ('name' in error && error.name === 'TimeoutError') return 'TimeoutError';
  const code = 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  const name = 'name' in error ? error.name : undefined;
  if (typeof name === 'string' && name !== 'Error') return name;
  return 'UnknownError';
}
