/**
 * Lambda entry point of the sweep (scheduled via Step Functions, or a manual backfill).
 * Thin: wiring only; the behaviour is in ./handler.ts and lib/sweep.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { memberAccessFactory } from '../shared/member-ecr.ts';
import { failingHandler, startRuntime, trackDeadline } from '../shared/runtime.ts';
import { createSweepHandler } from './handler.ts';

const startup = await startRuntime(process.env, { maxAttempts: 8 });

const member = startup.ok
  ? memberAccessFactory(startup.runtime, { runId: 'sweep', defaultMaxAttempts: 8 })
  : undefined;

export const handler = startup.ok
  ? middy(
      createSweepHandler({
        config: startup.runtime.config,
        ecr: startup.runtime.ecr,
        logger: startup.runtime.logger,
        metrics: startup.runtime.metrics,
        region: startup.runtime.region,
        createAuditor: (options) => startup.runtime.createAuditor(options),
        memberEcr: member?.ecr,
        forwardingRules: member?.forwardingRules,
      }),
    )
      .use(injectLambdaContext(startup.runtime.logger, { resetKeys: true }))
      .use(logMetrics(startup.runtime.metrics))
      .use(trackDeadline(startup.runtime.deadline))
  : failingHandler(startup.error);
