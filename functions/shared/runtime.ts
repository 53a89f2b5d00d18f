/**
 * Per-container wiring shared by the Lambda entry points: configuration read once, Powertools
 * logger and metrics, SDK clients created once and reused across invocations.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ECRClient } from '@aws-sdk/client-ecr';
import { type Auditor, createAuditor } from '../../lib/auditor.ts';
import { type GuardConfig, loadConfig } from '../../lib/config.ts';
import { createEcrAdapter, type EcrAdapter } from '../../lib/ecr.ts';

export interface Runtime {
  readonly config: GuardConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly ecr: EcrAdapter;
  readonly createAuditor: (options?: { logCompliant?: boolean }) => Auditor;
  /** The region the ECR client talks to (from AWS_REGION in Lambda). */
  readonly region: string;
}

export interface RuntimeOptions {
  /** SDK attempts per call, unless AWS_MAX_ATTEMPTS overrides it. */
  readonly maxAttempts?: number;
}

/**
 * Builds the runtime from the environment. The EventBridge client is loaded only when an audit bus
 * is configured, so deployments without one never pay for it at cold start.
 */
export async function createRuntime(
  env: Readonly<Record<string, string | undefined>>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const config = loadConfig(env);
  const logger = new Logger({ serviceName: config.serviceName, logLevel: config.logLevel });
  const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
  // Adaptive retries: the SDK backs off and rate-limits itself client-side under throttling.
  // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
  // AWS_MAX_ATTEMPTS and AWS_RETRY_MODE (the SDK's standard variables) override these defaults. Adaptive
  // mode assumes rate-based throttling, as ECR's is; under random throttling it slows to its floor.
  const maxAttempts = env.AWS_MAX_ATTEMPTS ? undefined : (options.maxAttempts ?? 5);
  const retryMode = env.AWS_RETRY_MODE ? undefined : 'adaptive';
  const ecrClient = new ECRClient({ retryMode, maxAttempts });
  const ecr = createEcrAdapter(ecrClient);
  const region = await ecrClient.config.region();

  let publisher: import('../../lib/audit.ts').AuditPublisher | undefined;
  if (config.auditEventBusName !== undefined) {
    const [{ EventBridgeClient }, { createAuditPublisher }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('../../lib/audit-events.ts'),
    ]);
    publisher = createAuditPublisher(new EventBridgeClient({ retryMode }), {
      eventBusName: config.auditEventBusName,
      logger,
    });
  }

  return {
    config,
    logger,
    metrics,
    ecr,
    region,
    createAuditor: (auditorOptions) =>
      createAuditor({ logger, metrics, publisher, logCompliant: auditorOptions?.logCompliant ?? true }),
  };
}
