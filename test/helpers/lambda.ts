/** Runs the built Lambda bundles in-process, as Lambda would: import once, call `handler(event, context)`. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { projectRoot } from './fixtures.ts';

let instance = 0;

export type BundleHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A Lambda context whose deadline is `remainingMs` from now. */
export function fakeContext(remainingMs = 30_000, functionName = 'ecr-immutability-guard-test'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/29/[$LATEST]test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const savedEnv = new Map<string, string | undefined>();

/** Puts back every variable a {@link loadBundle} call changed; call it in `afterEach`. */
export function restoreBundleEnv(): void {
  for (const [key, value] of savedEnv) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  savedEnv.clear();
}

/**
 * Imports a fresh instance of `dist/<name>/index.mjs` with `env` applied, as Lambda would: the
 * configuration is read at init and the SDK resolves `AWS_ENDPOINT_URL_*` at its first call, so
 * the environment stays applied until {@link restoreBundleEnv}.
 */
export async function loadBundle(name: string, env: Record<string, string>): Promise<BundleHandler> {
  for (const key of Object.keys(env)) if (!savedEnv.has(key)) savedEnv.set(key, process.env[key]);
  Object.assign(process.env, env);
  const url = `${pathToFileURL(path.join(projectRoot, 'dist', name, 'index.mjs')).href}?instance=${++instance}`;
  const module: unknown = await import(/* @vite-ignore */ url);
  if (
    typeof module !== 'object' ||
    module === null ||
    !('handler' in module) ||
    typeof module.handler !== 'function'
  ) {
    throw new Error(`dist/${name}/index.mjs does not export a handler function`);
  }
  const handler = module.handler;
  return (event, context) => Promise.resolve(handler(event, context));
}
