/**
 * The action of `check`, `remediate` and `sweep`: lib/sweep.ts in every account-region of the one pass
 * (bin/pass.ts), each decision reported as it is made, the summary of every account-region, and the exit
 * code of the whole scope (bin/exit-codes.ts).
 */
import type { Command } from 'commander';
import type { SinkSummaries } from '../../lib/auditor.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { runSweep } from '../../lib/sweep.ts';
import type { SweepRequest } from '../../lib/sweep-input.ts';
import { EXIT, exitCodeOf } from '../exit-codes.ts';
import {
  type CommonOptions,
  collectUsageIssues,
  configFromOptions,
  parseCommonOptions,
  parseRepositoryNames,
} from '../options.ts';
import { createReporter, type Io, type ReportLine } from '../output.ts';
import { keyOf, runScopePass, sweepDependencies } from '../pass.ts';
import { createCliSinks } from '../sinks.ts';

/** What a command asks of the sweep in each account-region. */
export type PassRequest = Pick<SweepRequest, 'trigger' | 'dryRun' | 'repositoryNames'>;

/**
 * The options, their configuration and the names, every usage problem of all three named at once.
 *
 * @throws InvalidInputError (a usage error).
 */
function parseUsage(command: Command, names: readonly string[] | undefined, io: Io) {
  const { issues, attempt } = collectUsageIssues();
  const options = attempt(() => parseCommonOptions(command.optsWithGlobals()));
  const repositoryNames = names === undefined ? undefined : attempt(() => parseRepositoryNames(names));
  const config = options === undefined ? undefined : attempt(() => configFromOptions(options, io.env));
  if (options === undefined || config === undefined || issues.length > 0) throw new InvalidInputError(issues);
  return { options, config, repositoryNames };
}

/**
 * The action every repository command shares: validate the options (and the names, when the command
 * takes them), run the pass and hand its exit code back. `request` turns the validated options and names
 * into what the sweep is asked.
 */
export function sweepAction(
  io: Io,
  setExitCode: (code: number) => void,
  request: (options: CommonOptions, names: readonly string[] | undefined) => PassRequest,
) {
  return async (command: Command, names?: readonly string[]) => {
    const { options, config, repositoryNames } = parseUsage(command, names, io);
    const reporter = createReporter(io, options);
    const sweepRequest: SweepRequest = {
      ...request(options, repositoryNames),
      resume: undefined,
      maxRepositories: undefined,
    };
    const missing = new Map<string, string[]>();
    const sinkReports = new Map<string, SinkSummaries>();
    const sinks = createCliSinks(config, io);
    const result = await runScopePass(
      { options, config, env: io.env, signal: io.signal },
      async ({ target, clients, record, remainingMs, progress }) => {
        // Each decision is reported and goes through an auditor to the audit sinks.
        const audited = await sinks.audit({ target, clients, record });
        let complete = false;
        try {
          const swept = await runSweep(
            sweepRequest,
            sweepDependencies(
              { options, config },
              { target, clients, remainingMs, progress },
              audited.record,
            ),
          );
          complete = swept.nextToken === undefined && sweepRequest.repositoryNames === undefined;
          return { scanned: swept.scanned, nextToken: swept.nextToken };
        } finally {
          // Once per account-region, at the end of its pass: its audit events, its findings in step.
          const summaries = await audited.flush({ complete });
          if (summaries !== undefined) sinkReports.set(keyOf(target), summaries);
        }
      },
      {
        record: (entry) => {
          // A name the user gave that does not exist: a typo or the wrong region must not pass a CI gate.
          if (
            sweepRequest.repositoryNames !== undefined &&
            entry.outcome === 'gone' &&
            entry.repositoryName
          ) {
            const key = keyOf(entry);
            missing.set(key, [...(missing.get(key) ?? []), entry.repositoryName]);
          }
          reporter.record(entry);
        },
        progress: (where, scanned, counts) => reporter.progress(where, scanned, counts),
        finished: (line) => reporter.accountRegion(line),
        notice: (message) => reporter.error(message),
      },
    ).finally(() => sinks.destroy());
    const lines: ReportLine[] = result.summary.accountRegions.map((line) => ({
      ...line,
      missing: missing.get(keyOf(line)) ?? [],
      ...(sinkReports.has(keyOf(line)) ? { sinks: sinkReports.get(keyOf(line)) } : {}),
      ...(result.stopped.has(keyOf(line)) ? { interrupted: true } : {}),
    }));
    reporter.summary({ ...result.summary, accountRegions: lines }, { interrupted: result.interrupted });
    if (result.interrupted) {
      setExitCode(EXIT.interrupted);
      return;
    }
    for (const line of lines) {
      for (const name of line.missing) {
        reporter.error(`repository '${name}' does not exist in ${line.region} of account ${line.accountId}`);
      }
    }
    const notInOrganization = new Set(result.accountsNotInOrganization);
    for (const accountId of notInOrganization) {
      reporter.error(`account ${accountId} is not in the organization (--account names it)`);
    }
    setExitCode(
      exitCodeOf(
        lines.map((line) => ({
          failed: line.status === 'failed',
          counts: line.counts,
          templateCounts: line.templateCounts,
          missing: line.missing,
          accountMissing: notInOrganization.has(line.accountId),
        })),
      ),
    );
  };
}
