/**
 * The error hierarchy (lib/errors.ts): each error's name, message and fields, as logs, the dead-letter
 * path and the CLI show them; and the two readers of unknown thrown values, callTimeoutOf and errorCodeOf.
 */
import { describe, expect, it } from 'vitest';
import {
  AwsCallError,
  CallTimeoutError,
  ConfigError,
  callTimeoutOf,
  errorCodeOf,
  GuardError,
  InvalidEventError,
  InvalidInputError,
  ValidationError,
} from '../../lib/errors.ts';

describe('the error hierarchy', () => {
  const cause = new Error('underlying');

  // Each error is built inside its test (a factory per row), not while the table is read.
  it.each([
    ['GuardError', () => new GuardError('it broke', { cause }), 'it broke'],
    [
      'ValidationError',
      () => new ValidationError('invalid settings', ['a: too long', 'b: required'], { cause }),
      'invalid settings: a: too long; b: required',
    ],
    [
      'InvalidEventError',
      () => new InvalidEventError(['detail.eventName: required'], { cause }),
      'invalid event: detail.eventName: required',
    ],
    [
      'InvalidInputError',
      () => new InvalidInputError(['mode: must be "sweep"', 'dryRun: must be a boolean'], { cause }),
      'invalid input: mode: must be "sweep"; dryRun: must be a boolean',
    ],
    [
      'ConfigError',
      () => new ConfigError('MAX_CONCURRENCY', 'must be a positive integer, got "0"', { cause }),
      'MAX_CONCURRENCY: must be a positive integer, got "0"',
    ],
  ])('a %s carries its own name, its message and its cause', (name, build, message) => {
    const error = build();
    expect(error).toBeInstanceOf(GuardError);
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
    expect(error.cause).toBe(cause);
  });

  it('a validation error keeps every issue, not only the first', () => {
    const issues = ['a: too long', 'b: required'];
    expect(new InvalidInputError(issues).issues).toEqual(issues);
    expect(new InvalidEventError(issues)).toBeInstanceOf(ValidationError);
  });

  it('a configuration error names the variable (or flag) it is about', () => {
    expect(new ConfigError('--region', 'must be an AWS region').variable).toBe('--region');
  });

  it('an AWS call error names service, operation and code, adds the cause’s message, and keeps its fields', () => {
    const error = new AwsCallError('ecr', 'PutImageTagMutability', 'AccessDeniedException', false, {
      cause: new Error('User is not authorized'),
    });
    expect(error).toMatchObject({
      name: 'AwsCallError',
      message: 'ecr:PutImageTagMutability failed with AccessDeniedException: User is not authorized',
      service: 'ecr',
      operation: 'PutImageTagMutability',
      code: 'AccessDeniedException',
      retryable: false,
    });
    expect(new AwsCallError('sts', 'AssumeRole', 'Throttling', true).retryable).toBe(true);
  });

  it.each([
    ['no cause', undefined],
    ['a cause without a message', { cause: new Error('') }],
    ['a cause that is not an Error', { cause: 'socket closed' }],
  ])('an AWS call error with %s ends its message at the code', (_case, options) => {
    expect(new AwsCallError('s3', 'PutObject', 'NoSuchBucket', false, options).message).toBe(
      's3:PutObject failed with NoSuchBucket',
    );
  });

  it('a call timeout names the endpoint and the limit, and is not named TimeoutError (the SDK would retry it)', () => {
    const error = new CallTimeoutError('no answer within 2 s', 'https://ecr.eu-west-1.amazonaws.com', 2000);
    expect(error).toMatchObject({
      name: 'CallTimeoutError',
      message: 'no answer within 2 s',
      endpoint: 'https://ecr.eu-west-1.amazonaws.com',
      timeoutMs: 2000,
    });
    expect(error).toBeInstanceOf(GuardError);
  });
});

describe('callTimeoutOf', () => {
  const newTimeout = () => new CallTimeoutError('no answer within 1 s', undefined, 1000);
  /** `error` wrapped `levels` times, each wrapper's cause the one inside. */
  const wrapped = (error: unknown, levels: number): unknown =>
    Array.from({ length: levels }).reduce<unknown>(
      (inner, _, level) => new Error(`level ${levels - level}`, { cause: inner }),
      error,
    );

  it.each([0, 1, 4])('finds the time-out %i causes deep', (levels) => {
    const timeout = newTimeout();
    expect(callTimeoutOf(wrapped(timeout, levels))).toBe(timeout);
  });

  it('looks no deeper than five errors (a cause chain may loop)', () => {
    expect(callTimeoutOf(wrapped(newTimeout(), 5))).toBeUndefined();
    const looped = new Error('outer');
    looped.cause = new Error('inner', { cause: looped });
    expect(callTimeoutOf(looped)).toBeUndefined();
  });

  it.each([
    ['an error without a cause', new Error('denied')],
    ['an error whose cause is not an Error', new Error('denied', { cause: 'no' })],
    ['something that is not an Error', 'boom'],
    ['nothing', undefined],
  ])('finds none in %s', (_case, error) => {
    expect(callTimeoutOf(error)).toBeUndefined();
  });
});

describe('errorCodeOf', () => {
  const named = (name: string, extra: object = {}) =>
    Object.assign(new Error(`${name} happened`), { name }, extra);

  it.each([
    ['an SDK exception: its name', named('RepositoryNotFoundException'), 'RepositoryNotFoundException'],
    [
      'a request the SDK timed out: TimeoutError, not the socket code',
      named('TimeoutError', { code: 'ETIMEDOUT' }),
      'TimeoutError',
    ],
    [
      'a Node network error: its code',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      'ECONNRESET',
    ],
    ['a network code on a named error: the code', named('NetworkingError', { code: 'EPIPE' }), 'EPIPE'],
    [
      'a Node code that is not a network code: the name',
      named('TypeError', { code: 'ERR_INVALID_ARG_TYPE' }),
      'TypeError',
    ],
    [
      'a code that only ends like a network code: the name',
      named('DnsError', { code: 'XENOTFOUND' }),
      'DnsError',
    ],
    ['a code of one letter: the name', named('ShortError', { code: 'E' }), 'ShortError'],
    ['a code that is not a string: the name', named('HttpError', { code: 503 }), 'HttpError'],
    ['a plain Error: unknown', new Error('something'), 'UnknownError'],
    [
      'a plain Error with a non-network code: unknown',
      Object.assign(new Error('x'), { code: 'Throttled' }),
      'UnknownError',
    ],
    ['an object whose name is not a string: unknown', { name: 42 }, 'UnknownError'],
    ['an object without a name: unknown', {}, 'UnknownError'],
    ['a string: unknown', 'ECONNRESET', 'UnknownError'],
    ['null: unknown', null, 'UnknownError'],
    ['undefined: unknown', undefined, 'UnknownError'],
  ])('reads %s', (_case, error, code) => {
    expect(errorCodeOf(error)).toBe(code);
  });

  it('reads a translated call error’s AWS code', () => {
    expect(errorCodeOf(new AwsCallError('ecr', 'ListImages', 'ServerException', true))).toBe(
      'ServerException',
    );
  });
});
