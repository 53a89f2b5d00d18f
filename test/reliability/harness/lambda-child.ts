/**
 * One "Lambda container" for the reliability suite, run as a child process by ./lambda.ts: it imports
 * the built bundle once (cold start, with the environment it was forked with) and runs one invocation
 * per IPC message, as Lambda runs one invocation at a time per execution environment. After each
 * invocation it writes a marker line to stdout and stderr, so the parent can attribute every log line
 * to the invocation that wrote it.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type InvokeMessage, MARKER, type ResultMessage, type SerializedError } from './protocol.ts';

function context(message: InvokeMessage): Context {
  const plan = message.context;
  const deadline = Date.now() + plan.remainingMs;
  let calls = 0;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: message.invokedFunctionArn.split(':')[6] ?? 'reliability',
    functionVersion: '$LATEST',
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: '256',
    awsRequestId: `reliability-${process.pid}-${message.id}`,
    logGroupName: '/aws/lambda/reliability',
    logStreamName: `reliability/${process.pid}`,
    getRemainingTimeInMillis: () => {
      calls += 1;
      if ('budgetCalls' in plan && calls > plan.budgetCalls) return plan.thenMs;
      return Math.max(0, deadline - Date.now());
    },
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  const extra: { code?: string; retryable?: boolean; issues?: readonly string[] } = {};
  if ('code' in error && typeof error.code === 'string') extra.code = error.code;
  if ('retryable' in error && typeof error.retryable === 'boolean') extra.retryable = error.retryable;
  if ('issues' in error && Array.isArray(error.issues)) extra.issues = error.issues.map(String);
  return { name: error.name, message: error.message, ...extra };
}

const bundle = process.argv[2] ?? '';
const root = path.resolve(import.meta.dirname, '../../..');
const module: unknown = await import(pathToFileURL(path.join(root, 'dist', bundle, 'index.mjs')).href);
if (typeof module !== 'object' || module === null || !('handler' in module)) {
  throw new Error(`dist/${bundle}/index.mjs does not export a handler`);
}
const { handler } = module;
if (typeof handler !== 'function') throw new Error(`dist/${bundle}/index.mjs: handler is not a function`);

process.on('message', async (message: InvokeMessage) => {
  let reply: ResultMessage;
  try {
    reply = { id: message.id, ok: true, result: await handler(message.event, context(message)) };
  } catch (error) {
    reply = { id: message.id, ok: false, error: serializeError(error) };
  }
  process.stdout.write(`\n${MARKER}${message.id}\n`);
  process.stderr.write(`\n${MARKER}${message.id}\n`);
  process.send?.(reply);
});
// The test process is gone (finished, killed, crashed): so is this container.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
