/**
 * Lambda entry point of the guardrail (EventBridge rule on CloudTrail ECR events).
 * Thin: wiring only; the behaviour is in ./handler.ts and lib/.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createRuntime } from '../shared/runtime.ts';
import { createGuardrailHandler } from './handler.ts';

const runtime = await createRuntime(process.env);

export const handler = middy(
  createGuardrailHandler({
    config: runtime.config,
    ecr: runtime.ecr,
    logger: runtime.logger,
    createAuditor: () => runtime.createAuditor(),
  }),
)
  // Never `logEvent: true`: CloudTrail events carry principal ARNs and source IPs.
  .use(injectLambdaContext(runtime.logger, { resetKeys: true }))
  .use(logMetrics(runtime.metrics));
