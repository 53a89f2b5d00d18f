/** Test doubles for the handler dependencies: a silent logger whose calls are recorded. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import { createAuditor } from '../../lib/auditor.ts';
import { type GuardConfig, loadConfig } from '../../lib/config.ts';

export function testLogger() {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  return {
    logger,
    info: vi.spyOn(logger, 'info'),
    warn: vi.spyOn(logger, 'warn'),
    error: vi.spyOn(logger, 'error'),
  };
}

export function testMetrics() {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  return { metrics, addMetric: vi.spyOn(metrics, 'addMetric') };
}

export function testConfig(env: Record<string, string> = {}): GuardConfig {
  return loadConfig(env);
}

export function auditorFactory(logger: Logger, metrics: Metrics) {
  return () => createAuditor({ logger, metrics, logCompliant: true });
}
