/**
 * The functions' metrics as CloudWatch sees them: Powertools Metrics writes each flush as one EMF JSON
 * line on stdout (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Metrics are on for the capture (vitest.config.ts turns them off everywhere else).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

/** One EMF document, reduced to what a test asserts: its dimension sets, and each metric with its value. */
export interface EmfDocument {
  readonly namespace: string;
  readonly dimensions: string[][];
  /** Dimension name → value, for every dimension of the document. */
  readonly dimensionValues: Record<string, unknown>;
  /** Metric name → value. */
  readonly metrics: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function parseDocument(line: string): EmfDocument[] {
  const parsed = parseJson(line);
  if (!isRecord(parsed) || !isRecord(parsed._aws)) return [];
  const directives = parsed._aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  return directives.filter(isRecord).map((directive) => {
    const dimensions = Array.isArray(directive.Dimensions)
      ? directive.Dimensions.filter(Array.isArray).map((set) => set.map(String))
      : [];
    const names = Array.isArray(directive.Metrics)
      ? directive.Metrics.filter(isRecord).map((metric) => String(metric.Name))
      : [];
    return {
      namespace: String(directive.Namespace),
      dimensions,
      dimensionValues: Object.fromEntries(dimensions.flat().map((name) => [name, parsed[name]])),
      metrics: Object.fromEntries(names.map((name) => [name, parsed[name]])),
    };
  });
}

/**
 * Collects the EMF lines written on stdout from now on (the built bundles' too: they run in-process, see
 * test/helpers/lambda.ts): `documents()` parses every line written so far; `stop()` restores stdout.
 */
export function captureStdoutEmf(): { documents: () => EmfDocument[]; stop: () => void } {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    documents: () => lines.flatMap((chunk) => chunk.split('\n')).flatMap(parseDocument),
    stop: () => write.mockRestore(),
  };
}

/**
 * Metrics for a test whose EMF output is collected, metrics on (the environment is restored by `stop()`).
 */
export function captureEmf(): { metrics: Metrics; documents: () => EmfDocument[]; stop: () => void } {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const capture = captureStdoutEmf();
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  return {
    metrics,
    documents: capture.documents,
    stop: () => {
      capture.stop();
      vi.unstubAllEnvs();
    },
  };
}
