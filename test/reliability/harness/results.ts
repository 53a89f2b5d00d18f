/**
 * What each reliability scenario measured, written as JSON once its assertions passed, for
 * scripts/reliability-report.ts to render docs/reliability.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where results go: RELIABILITY_RESULTS_DIR, else a folder in the system's temp directory. */
export function resultsDir(): string {
  return process.env.RELIABILITY_RESULTS_DIR ?? path.join(tmpdir(), 'ecr-guard-reliability');
}

export interface ScenarioResult {
  /** Stable id, also the file name; the report sorts by it. */
  readonly id: string;
  readonly group: 'sweep' | 'guardrail' | 'input' | 'security';
  readonly title: string;
  readonly faults: string;
  /** Repositories in the registry (sweeps) or touched by the events (guardrail). */
  readonly repositories: number;
  /** Events delivered (guardrail) or invocations made (sweep), with what caused repeats. */
  readonly work: string;
  /** Outcome counts over the scenario, e.g. `{ remediated: 12, failed: 3 }`. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Errors the backend answered, per code (what the faults did). */
  readonly injected: Readonly<Record<string, number>>;
  readonly writes: number;
  /** What happened after the faults stopped (rerun or redelivery). */
  readonly after: string;
  /** The invariants asserted, in words. */
  readonly verified: readonly string[];
  readonly durationMs: number;
}

export function writeResult(result: ScenarioResult): void {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${result.id}.json`),
    `${JSON.stringify({ ...result, recordedAt: new Date().toISOString() }, null, 2)}\n`,
  );
}

/** Adds counts into `into` (outcomes, error codes). */
export function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, value] of Object.entries(from)) {
    if (value > 0) into[key] = (into[key] ?? 0) + value;
  }
}
