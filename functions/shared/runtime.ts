/**
 * Per-container wiring shared by the Lambda entry points: configuration read once, Powertools
 * logger and metrics, SDK clients created once and reused across invocations. A configuration
 * error at start-up is logged once as one JSON line and then fails every invocation with the same
 * clear error (see {@link startRuntime}).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createAuditSinks } from '../../lib/audit-sinks.ts';
import { type Auditor, createAuditor } from '../../lib/auditor.ts';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import {
  type ClientHook,
  createInvocationDeadline,
  type InvocationDeadline,
  limitCallTime,
} from '../../lib/call-limits.ts';
import { type GuardConfig, loadConfig } from '../../lib/config.ts';
import { createEcrAdapter, type EcrAdapter } from '../../lib/ecr.ts';
import { ConfigError } from '../../lib/errors.ts';
import { envName } from '../../lib/settings.ts';

export interface Runtime {
  readonly config: GuardConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly ecr: EcrAdapter;
  readonly createAuditor: (options?: { logCompliant?: boolean }) => Auditor;
  /** The region the ECR client talks to (from AWS_REGION in Lambda). */
  readonly region: string;
  /** The invocation in progress: no AWS call of the container runs past its deadline ({@link trackDeadline}). */
  readonly deadline: InvocationDeadline;
  /** Bounds a client's calls by SDK_CALL_TIMEOUT_MS and the invocation's deadline (lib/call-limits.ts). */
  readonly limitCalls: ClientHook;
}

export interface RuntimeOptions {
  /** SDK attempts per call, unless AWS_MAX_ATTEMPTS overrides it. */
  readonly maxAttempts?: number;
}

/**
 * Builds the runtime from the environment. The audit sinks' clients (EventBridge, Security Hub) are loaded
 * only when configured, so deployments without them never pay for them at cold start.
 */
export async function createRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const config = loadConfig(env);
  const logger = new Logger({ serviceName: config.serviceName, logLevel: config.logLevel });
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
  // Timeouts, adaptive retries and AWS_MAX_ATTEMPTS / AWS_RETRY_MODE: lib/aws-client-config.ts.
  const clientConfig = awsClientConfig(config.sdk, { defaultMaxAttempts: options.maxAttempts ?? 5 });
  const deadline = createInvocationDeadline();
  const limit = {
    timeoutMs: config.sdk.callTimeoutMs,
    setting: envName('callTimeoutMs'),
    remainingMs: deadline.remainingMs,
  };
  const limitCalls: ClientHook = (client) => limitCallTime(client, limit);
  const ecrClient = new ECRClient(clientConfig);
  limitCalls(ecrClient);
  const ecr = createEcrAdapter(ecrClient);
  const region = await ecrClient.config.region();

  // The audit sinks the settings ask for, with the function's own credentials (lib/audit-sinks.ts).
  const sinks = await createAuditSinks(
    config,
    {
      config: (sinkRegion) => ({ ...clientConfig, region: sinkRegion }),
      homeRegion: region,
      onClient: limitCalls,
    },
    { logger, remainingMs: deadline.remainingMs },
  );

  return {
    config,
    logger,
    metrics,
    ecr,
    region,
    deadline,
    limitCalls,
    createAuditor: (auditorOptions) =>
      createAuditor({
        logger,
        metrics,
        sinks: sinks.create(),
        logCompliant: auditorOptions?.logCompliant ?? true,
      }),
  };
}

/** Middy middleware telling the runtime's {@link InvocationDeadline} the time each invocation has. */
export function trackDeadline(deadline: InvocationDeadline): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      deadline.track(() => request.context.getRemainingTimeInMillis());
    },
  };
}

/** The outcome of start-up: the runtime, or the error every invocation then fails with. */
export type Startup =
  | { readonly ok: true; readonly runtime: Runtime }
  | { readonly ok: false; readonly error: Error };

/**
 * {@link createRuntime} for a module's top level. A throw there would make Node print the
 * throwing line of the minified bundle (over 100 KB) and Lambda retry the init without a readable
 * message; instead the error is written once as one JSON line (naming the variable of a
 * {@link ConfigError}) and handed back, for {@link failingHandler}.
 */
export async function startRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): Promise<Startup> {
  try {
    return { ok: true, runtime: await createRuntime(env, options) };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    write(
      `${JSON.stringify({
        level: 'ERROR',
        message: error instanceof ConfigError ? 'ecr-guard configuration error' : 'ecr-guard start-up error',
        timestamp: new Date().toISOString(),
        service: env.POWERTOOLS_SERVICE_NAME || 'ecr-immutability-guard',
        ...(error instanceof ConfigError ? { variable: error.variable } : {}),
        error: { name: error.name, message: error.message },
      })}\n`,
    );
    return { ok: false, error };
  }
}

/** A handler that fails every invocation with the start-up error (its name and message, no stack dump). */
export function failingHandler(error: Error): (event: unknown, context: unknown) => Promise<never> {
  return async () => {
    throw error;
  };
}
