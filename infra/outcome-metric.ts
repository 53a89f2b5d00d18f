/** The guard's own metrics in CloudWatch: Powertools' namespace and `service` dimension (lib/auditor.ts). */

import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The service's outcome metrics (Powertools: namespace, `service` dimension). */
export interface OutcomeMetrics {
  readonly namespace: string;
  readonly serviceName: string;
}

export function outcomeMetric(
  outcome: OutcomeMetrics,
  metricName: string,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: outcome.namespace,
    metricName,
    dimensionsMap: { service: outcome.serviceName },
    statistic,
    period,
  });
}
