/** The one loop every command shares: run the sweep core per region until it needs no resumption. */
import { type AuditRecord, emptyCounts, type OutcomeCounts } from '../../lib/audit.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { runSweep, type SweepRequest } from '../../lib/sweep.ts';
import { ecrFor, regionsOf } from '../context.ts';
import { type CommonOptions, configFromOptions, parseCommonOptions } from '../options.ts';
import { createReporter, type Io, type RegionSummary, type Reporter } from '../output.ts';

/** Exit codes made for pipelines. */
export const EXIT = { ok: 0, failures: 1, usage: 2, nonCompliant: 3 } as const;

export async function runPass(
  request: Omit<SweepRequest, 'resume' | 'maxRepositories'>,
  options: CommonOptions,
  config: GuardConfig,
  reporter: Reporter,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const summaries: RegionSummary[] = [];
  let templateFailures = 0;
  let templatesNonCompliant = 0;
  for (const region of await regionsOf(options, env)) {
    const { ecr, close } = ecrFor(region, options, env);
    const counts: OutcomeCounts = emptyCounts();
    const started = Date.now();
    let scanned = 0;
    try {
      const record = (entry: AuditRecord) => {
        // Template outcomes are reported but kept out of the repository counts.
        if (entry.templatePrefix === undefined) counts[entry.outcome] += 1;
        else if (entry.outcome === 'failed') templateFailures += 1;
        else if (entry.outcome === 'would-remediate') templatesNonCompliant += 1;
        reporter.record(entry);
      };
      // No Lambda deadline on a workstation: one invocation covers the whole registry.
      const result = await runSweep(
        { ...request, resume: undefined, maxRepositories: undefined },
        {
          ecr,
          policy: config.policy,
          region,
          registryId: options.registryId,
          now: () => new Date(),
          remainingMs: () => Number.POSITIVE_INFINITY,
          safetyMarginMs: 0,
          maxConcurrency: config.sweepConcurrency,
          record,
          checkCreationTemplates: config.checkCreationTemplates,
          onProgress: (progress) => reporter.progress(region, progress.scanned, counts),
        },
      );
      scanned = result.scanned;
    } finally {
      close();
    }
    summaries.push({ region, counts, scanned, seconds: (Date.now() - started) / 1000 });
  }
  reporter.summary(summaries);
  const total = summaries.reduce((sum, line) => {
    for (const [outcome, value] of Object.entries(line.counts)) sum[outcome as keyof OutcomeCounts] += value;
    return sum;
  }, emptyCounts());
  if (total.failed > 0 || templateFailures > 0) return EXIT.failures;
  if (total['would-remediate'] > 0 || templatesNonCompliant > 0) return EXIT.nonCompliant;
  return EXIT.ok;
}

/**
 * The action every command shares: validate the options, build the policy, run the pass and hand
 * its exit code back. `request` turns the validated options (and positional names) into the pass.
 */
export function passAction(
  io: Io,
  setExitCode: (code: number) => void,
  request: (
    options: CommonOptions,
    names: readonly string[] | undefined,
  ) => Omit<SweepRequest, 'resume' | 'maxRepositories'>,
) {
  return async (rawOptions: Record<string, unknown>, names?: readonly string[]) => {
    const options = parseCommonOptions(rawOptions);
    const config = configFromOptions(options, io.env);
    const reporter = createReporter(io, options);
    setExitCode(await runPass(request(options, names), options, config, reporter, io.env));
  };
}
