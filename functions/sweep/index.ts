/**
 * Lambda entry point of the sweep (scheduled via Step Functions, or a manual backfill).
 * Thin: wiring only; the behaviour is in ./handler.ts and lib/sweep.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createRuntime } from '../shared/runtime.ts';
import { createSweepHandler } from './handler.ts';

const runtime = await createRuntime(process.env, { maxAttempts: 8 });

export const handler = middy(
  createSweepHandler({
    config: runtime.config,
    ecr: runtime.ecr,
    logger: runtime.logger,
    metrics: runtime.metrics,
    region: runtime.region,
    createAuditor: (options) => runtime.createAuditor(options),
  }),
)
  .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
  .use(logMetrics(runtime.metrics));
