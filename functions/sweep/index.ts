/**
 * Lambda entry point of the sweep (scheduled via Step Functions, or a manual backfill).
 * Thin: wiring only; the behaviour is in ./handler.ts and lib/sweep.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { memberEcrFactory } from '../shared/member-ecr.ts';
import { failingHandler, startRuntime, trackDeadline } from '../shared/runtime.ts';
import { createSweepHandler } from './handler.ts';

const startup = await startRuntime(process.env, { maxAttempts: 8 });

export const handler = startup.ok
  ? middy(
      createSweepHandler({
        config: startup.runtime.config,
        ecr: startup.runtime.ecr,
        logger: startup.runtime.logger,
        metrics: startup.runtime.metrics,
        region: startup.runtime.region,
        createAuditor: (options) => startup.runtime.createAuditor(options),
        memberEcr: memberEcrFactory(startup.runtime, { runId: 'sweep', defaultMaxAttempts: 8 }),
      }),
    )
      .use(injectLambdaContext(startup.runtime.logger, { resetKeys: true }))
      .use(logMetrics(startup.runtime.metrics))
      .use(trackDeadline(startup.runtime.deadline))
  : failingHandler(startup.error);
