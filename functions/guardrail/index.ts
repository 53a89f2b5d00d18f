/**
 * Lambda entry point of the guardrail (EventBridge rule on CloudTrail ECR events).
 * Thin: wiring only; the behaviour is in ./handler.ts and lib/.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { memberEcrFactory } from '../shared/member-ecr.ts';
import { failingHandler, startRuntime, trackDeadline } from '../shared/runtime.ts';
import { createGuardrailHandler } from './handler.ts';

const startup = await startRuntime(process.env);

export const handler = startup.ok
  ? middy(
      createGuardrailHandler({
        config: startup.runtime.config,
        ecr: startup.runtime.ecr,
        logger: startup.runtime.logger,
        createAuditor: () => startup.runtime.createAuditor(),
        memberEcr: memberEcrFactory(startup.runtime, { runId: 'guardrail', defaultMaxAttempts: 5 }),
      }),
    )
      // Never `logEvent: true`: CloudTrail events carry principal ARNs and source IPs.
      .use(injectLambdaContext(startup.runtime.logger, { resetKeys: true }))
      .use(logMetrics(startup.runtime.metrics))
      .use(trackDeadline(startup.runtime.deadline))
  : failingHandler(startup.error);
