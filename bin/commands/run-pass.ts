/** The one loop every command shares: run the sweep core per region until it needs no resumption. */
import { type AuditRecord, emptyCounts } from '../../lib/audit.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { isMultiAccount } from '../../lib/org-config.ts';
import { runSweep, type SweepResult } from '../../lib/sweep.ts';
import type { SweepRequest } from '../../lib/sweep-input.ts';
import { ecrFor, regionsOf } from '../context.ts';
import { type CommonOptions, configFromOptions, parseCommonOptions } from '../options.ts';
import { createReporter, type Io, type RegionSummary, type Reporter } from '../output.ts';
import { runOrgPass } from './org-pass.ts';

/**
 * Exit codes made for pipelines, most serious first when several apply: failures (1) over missing
 * repositories (4) over non-compliant ones (3). 130 is an interrupted run (Ctrl-C), as shells report
 * SIGINT; 141 is stdout closed early (`| head`), as for a command ended by SIGPIPE.
 */
export const EXIT = {
  ok: 0,
  failures: 1,
  usage: 2,
  nonCompliant: 3,
  missing: 4,
  interrupted: 130,
  brokenPipe: 141,
} as const;

/** The exit code a set of region summaries calls for (repositories and creation templates alike). */
export function exitCodeOf(summaries: readonly RegionSummary[]): number {
  const sum = (pick: (line: RegionSummary) => number) =>
    summaries.reduce((total, line) => total + pick(line), 0);
  if (sum((line) => line.counts.failed + line.templates.failed) > 0) return EXIT.failures;
  if (sum((line) => line.missing.length) > 0) return EXIT.missing;
  if (sum((line) => line.counts['would-remediate'] + line.templates['would-remediate']) > 0)
    return EXIT.nonCompliant;
  return EXIT.ok;
}

export async function runPass(
  request: Omit<SweepRequest, 'resume' | 'maxRepositories'>,
  options: CommonOptions,
  config: GuardConfig,
  reporter: Reporter,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<number> {
  if (options.retryFailedFrom !== undefined) {
    throw new InvalidInputError([
      '--retry-failed-from: only with --org or --account (it names account-regions)',
    ]);
  }
  const summaries: RegionSummary[] = [];
  const interrupted = () => signal?.aborted === true;
  // Resolves when Ctrl-C arrives: the pass stops waiting and reports what it has.
  const abort = new Promise<'interrupted'>((resolve) => {
    if (interrupted()) resolve('interrupted');
    signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
  let stopped = false;
  const finish = (code: number) => {
    stopped = true;
    reporter.summary(summaries);
    return code;
  };

  for (const region of interrupted() ? [] : await regionsOf(options, env)) {
    if (interrupted()) break;
    const { ecr, close } = ecrFor(region, options, env);
    const counts = emptyCounts();
    const templates = emptyCounts();
    const missing: string[] = [];
    const started = Date.now();
    const record = (entry: AuditRecord) => {
      if (stopped) return;
      // Template outcomes are reported but kept apart from the repository counts.
      if (entry.templatePrefix === undefined) counts[entry.outcome] += 1;
      else templates[entry.outcome] += 1;
      // A name the user gave that does not exist: a typo or the wrong region must not pass a CI gate.
      if (request.repositoryNames !== undefined && entry.outcome === 'gone' && entry.repositoryName) {
        missing.push(entry.repositoryName);
      }
      reporter.record(entry);
    };
    // No Lambda deadline on a workstation: one invocation covers the whole registry (or stops starting
    // work on Ctrl-C, finishing nothing more).
    const sweep: Promise<SweepResult> = runSweep(
      { ...request, resume: undefined, maxRepositories: undefined },
      {
        ecr,
        policy: config.policy,
        region,
        registryId: options.registryId,
        now: () => new Date(),
        remainingMs: () => (interrupted() ? 0 : Number.POSITIVE_INFINITY),
        safetyMarginMs: 0,
        maxConcurrency: config.sweepConcurrency,
        record,
        checkCreationTemplates: config.checkCreationTemplates,
        onProgress: (progress) => reporter.progress(region, progress.scanned, counts),
      },
    );
    let result: SweepResult | 'interrupted';
    try {
      result = await Promise.race([sweep, abort]);
    } catch (error) {
      close();
      throw error;
    }
    const seconds = (Date.now() - started) / 1000;
    if (result === 'interrupted') {
      // The calls in flight are abandoned with the client; what they would have recorded is not shown.
      sweep.catch(() => {});
      close();
      const scanned = Object.values(counts).reduce((total, count) => total + count, 0);
      summaries.push({ region, counts, templates, missing, scanned, seconds, interrupted: true });
      return finish(EXIT.interrupted);
    }
    close();
    summaries.push({ region, counts, templates, missing, scanned: result.scanned, seconds });
    for (const name of missing) {
      const registry = options.registryId === undefined ? '' : ` of registry ${options.registryId}`;
      reporter.error(`repository '${name}' does not exist in ${region}${registry}`);
    }
  }
  if (interrupted()) return finish(EXIT.interrupted);
  return finish(exitCodeOf(summaries));
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
    // Several accounts (--org, --account): the same sweep per account-region, through the member role.
    const pass = isMultiAccount(config.organization) ? runOrgPass : runPass;
    setExitCode(await pass(request(options, names), options, config, reporter, io.env, io.signal));
  };
}
