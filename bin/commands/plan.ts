/**
 * `ecr-guard plan`: before the flip, which non-compliant repositories can be set to the target now and
 * which would break a pipeline that re-pushes a moving tag, from the CloudTrail `PutImage` history of
 * each account-region (one paged LookupEvents pass per region, lib/cloudtrail.ts). Read-only unless
 * `--stage-exemptions --until DATE`, which sets each `would-break` repository within the allowed
 * exclusions when that keeps its pipeline working, and otherwise puts the exemption tag (and its
 * expiry) on it, so the next sweep flips the rest now (README, "Rolling out safely"). The command's
 * parts: its options (plan-options.ts), one account-region (plan-region.ts, plan-staging.ts) and its
 * output (plan-output.ts).
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { type Command, Option } from 'commander';
import {
  type CloudTrailAdapter,
  createCloudTrailAdapter,
  DEFAULT_LOOKBACK_DAYS,
  MAX_LOOKBACK_DAYS,
} from '../../lib/cloudtrail.ts';
import { EXIT, mostSevere } from '../exit-codes.ts';
import { configFromOptions, parseCommonOptions } from '../options.ts';
import type { Io } from '../output.ts';
import { keyOf, runScopePass, type TargetClients } from '../pass.ts';
import { createCliSinks } from '../sinks.ts';
import { parsePlanOptions } from './plan-options.ts';
import { createPlanOutput, type InAccount } from './plan-output.ts';
import { type PlanRegionSummary, planExitCode, planRegion } from './plan-region.ts';

/** A CloudTrail adapter in the account-region of `clients`, with its credentials, endpoint and call limits. */
function cloudTrailFor(clients: TargetClients): { adapter: CloudTrailAdapter; close: () => void } {
  // One SDK attempt per call: the adapter's limiter spaces every attempt, its retries included.
  const client = new CloudTrailClient(clients.config(1));
  clients.limitCalls(client);
  return { adapter: createCloudTrailAdapter(client), close: () => client.destroy() };
}

export function registerPlan(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('plan')
    .description(
      'before the flip: which non-compliant repositories can be set to the target now and which would break a pipeline that moves a tag (CloudTrail PutImage history; read-only unless --stage-exemptions)',
    )
    .addOption(
      new Option('--days <n>', `days of CloudTrail history to read (1-${MAX_LOOKBACK_DAYS})`).default(
        String(DEFAULT_LOOKBACK_DAYS),
      ),
    )
    .option(
      '--stage-exemptions',
      'on each would-break repository: write its suggested exclusion setting when that is compliant, else the exemption tag (and its expiry); needs --until',
    )
    .option(
      '--until <date>',
      'with --stage-exemptions: the day (YYYY-MM-DD, in the future) the staged exemptions lapse',
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 every non-compliant repository can flip (or --stage-exemptions set it within the allowed',
        'exclusions or staged its exemption), 3 some would break or have no or unknown history, 1 failures (a',
        'repository or CloudTrail could not be read, or a write failed), 2 bad usage.',
        '',
        'Examples:',
        '  ecr-guard plan --region eu-west-1 --days 30',
        '  ecr-guard plan --exempt-tag-key ecr-guard:exempt --exempt-expiry-tag-key ecr-guard:until \\',
        '    --stage-exemptions --until 2026-12-31',
      ].join('\n'),
    )
    .action(async (_args, command: Command) => {
      const raw = command.optsWithGlobals();
      const options = parseCommonOptions(raw);
      const config = configFromOptions(options, io.env);
      const now = new Date();
      const planOptions = parsePlanOptions(raw, config, now);
      const output = createPlanOutput(io, options.json || !io.stdout.isTTY);
      const summaries: InAccount<PlanRegionSummary>[] = [];
      // Plans under way when Ctrl-C arrives: each stops reading and writing at once (planRegion honours
      // the signal) and its summary of what it did is awaited before the summary is printed.
      const planning = new Set<Promise<unknown>>();
      // Staged exemptions and exclusions set reach the audit sinks as the other commands' decisions do.
      const sinks = createCliSinks(config, io);
      // One pass over the scope, as every command: each account-region planned with its own clients.
      const result = await runScopePass(
        { options, config, env: io.env, signal: io.signal },
        async ({ target, clients, record }) => {
          if (io.signal?.aborted === true) return { scanned: 0, nextToken: undefined };
          const audited = await sinks.audit({ target, clients, record });
          let trail: { adapter: CloudTrailAdapter; close: () => void } | undefined;
          let settled: () => void = () => {};
          const done = new Promise<void>((resolve) => {
            settled = resolve;
          });
          planning.add(done);
          try {
            const summary = await planRegion({
              ecr: clients.ecr,
              cloudTrail: () => {
                trail ??= cloudTrailFor(clients);
                return trail.adapter;
              },
              config,
              region: target.region,
              registryId: options.registryId,
              now,
              options: planOptions,
              onLine: (line) => output.line({ ...line, accountId: target.accountId }),
              onRecord: audited.record,
              onProgress: (message) => output.progress(`${target.accountId} ${message}`),
              signal: io.signal,
            });
            summaries.push({ ...summary, accountId: target.accountId });
            return { scanned: summary.candidates, nextToken: undefined };
          } finally {
            trail?.close();
            await audited.flush({ complete: false });
            settled();
          }
        },
        { record: (entry) => output.record(entry), notice: (message) => output.error(message) },
      ).finally(() => sinks.destroy());
      if (result.interrupted) await Promise.all(planning);
      // A planned account-region is `failed` when a repository could not be read or tagged.
      const statusOf = new Map(result.summary.accountRegions.map((line) => [keyOf(line), line.status]));
      const planned = new Set(summaries.map(keyOf));
      const others = result.summary.accountRegions.filter((line) => !planned.has(keyOf(line)));
      output.summary(
        [...summaries]
          .sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
          .map((line) => ({ ...line, status: statusOf.get(keyOf(line)) ?? 'completed' })),
        others,
      );
      if (result.interrupted) {
        setExitCode(EXIT.interrupted);
        return;
      }
      const notInOrganization = new Set(result.accountsNotInOrganization);
      for (const accountId of notInOrganization) {
        output.error(`account ${accountId} is not in the organization (--account names it)`);
      }
      const failedAccountRegions = others.some((line) => line.status === 'failed');
      setExitCode(
        mostSevere(
          planExitCode(summaries),
          failedAccountRegions ? EXIT.failures : EXIT.ok,
          notInOrganization.size > 0 ? EXIT.missing : EXIT.ok,
        ),
      );
    });
}
