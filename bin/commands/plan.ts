/**
 * `ecr-guard plan`: before the flip, which non-compliant repositories can be set to the target now and
 * which would break a pipeline that re-pushes a moving tag, from the CloudTrail `PutImage` history of
 * each account-region (one paged LookupEvents pass per region, lib/cloudtrail.ts). Read-only unless
 * `--stage-exemptions --until DATE`, which sets each `would-break` repository within the allowed
 * exclusions when that keeps its pipeline working, and otherwise puts the exemption tag (and its
 * expiry) on it, so the next sweep flips the rest now (README, "Rolling out safely").
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { type Command, Option } from 'commander';
import * as z from 'zod/mini';
import {
  type AuditRecord,
  exclusionSetRecord,
  exemptionStagedRecord,
  failedRecord,
  goneRecord,
} from '../../lib/audit.ts';
import {
  type CloudTrailAdapter,
  createCloudTrailAdapter,
  DEFAULT_LOOKBACK_DAYS,
  LookupFailedError,
  MAX_LOOKBACK_DAYS,
} from '../../lib/cloudtrail.ts';
import type { GuardConfig } from '../../lib/config.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { errorCodeOf, InvalidInputError } from '../../lib/errors.ts';
import type { AccountRegionSummary } from '../../lib/org-sweep.ts';
import {
  groupPushes,
  type History,
  planRepository,
  type RepositoryPlan,
  stagedExemptionReason,
} from '../../lib/plan.ts';
import {
  describeSetting,
  evaluateTagExemption,
  isAtLeastAsStrict,
  isTagMutable,
  narrowSetting,
  type RepositoryFacts,
  type TargetSetting,
} from '../../lib/policy.ts';
import { runSweep } from '../../lib/sweep.ts';
import { EXIT, mostSevere } from '../exit-codes.ts';
import { configFromOptions, parseCommonOptions } from '../options.ts';
import { formatTable, type Io, printable, progressLineOf } from '../output.ts';
import { keyOf, runScopePass, type TargetClients } from '../pass.ts';
import { createCliSinks } from '../sinks.ts';

/** `--days`, `--stage-exemptions` and `--until`: options of this command only, named by their flag in errors. */
const PlanOptionsSchema = z.object({
  days: z
    .int(`--days: must be an integer from 1 to ${MAX_LOOKBACK_DAYS}`)
    .check(
      z.gte(1, `--days: must be an integer from 1 to ${MAX_LOOKBACK_DAYS}`),
      z.lte(
        MAX_LOOKBACK_DAYS,
        `--days: must be an integer from 1 to ${MAX_LOOKBACK_DAYS} (CloudTrail keeps 90 days)`,
      ),
    ),
  stageExemptions: z.boolean(),
  until: z.optional(z.string()),
});

export interface PlanOptions {
  readonly days: number;
  /** The expiry date of staged exemptions (`YYYY-MM-DD`), only with `--stage-exemptions`. */
  readonly until: string | undefined;
}

/** True when `text` is a `YYYY-MM-DD` day that exists in the calendar. */
function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Validates the command's own options against `now` and the configuration (`--stage-exemptions`
 * writes the exemption tag and its expiry tag, so both keys must be configured).
 *
 * @throws InvalidInputError naming the flag and what was given.
 */
export function parsePlanOptions(raw: Record<string, unknown>, config: GuardConfig, now: Date): PlanOptions {
  const daysText = raw.days === undefined ? String(DEFAULT_LOOKBACK_DAYS) : String(raw.days);
  const parsed = PlanOptionsSchema.safeParse({
    days: /^\d+$/.test(daysText) ? Number(daysText) : Number.NaN,
    stageExemptions: raw.stageExemptions === true,
    until: typeof raw.until === 'string' ? raw.until : undefined,
  });
  const issues: string[] = [];
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map((issue) => `${issue.message}, got '${daysText}'`));
  }
  const until = typeof raw.until === 'string' ? raw.until : undefined;
  const stage = raw.stageExemptions === true;
  if (stage && until === undefined) {
    issues.push('--stage-exemptions: needs --until YYYY-MM-DD, the day the exemptions lapse');
  }
  if (!stage && until !== undefined) {
    issues.push('--until: only with --stage-exemptions (plan writes nothing without it)');
  }
  if (until !== undefined) {
    if (!isCalendarDate(until)) {
      issues.push(`--until: must be a calendar date YYYY-MM-DD, got '${until}'`);
    } else if (until <= now.toISOString().slice(0, 10)) {
      issues.push(`--until: must be a future date, got '${until}'`);
    }
  }
  if (stage && config.policy.exemptTag === undefined) {
    issues.push('--stage-exemptions: needs the exemption tag key (--exempt-tag-key or EXEMPT_TAG_KEY)');
  } else if (stage && config.policy.exemptTag?.expiryKey === undefined) {
    issues.push(
      '--stage-exemptions: needs the exemption expiry tag key (--exempt-expiry-tag-key or EXEMPT_EXPIRY_TAG_KEY) so staged exemptions lapse',
    );
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
  return {
    days: parsed.success ? parsed.data.days : DEFAULT_LOOKBACK_DAYS,
    until: stage ? until : undefined,
  };
}

/**
 * How staging ended for one would-break repository:
 * - `exclusion-set`: its suggestion (a compliant `IMMUTABLE_WITH_EXCLUSION` keeping its moved tags
 *   mutable) was written: a flip within the allowed exclusions, never looser than before;
 * - `exemption-staged`: it needs its owner, so the exemption tag and its expiry were written (over an
 *   exemption tag the policy does not honour: expired, empty or malformed);
 * - `already-exempt`: an exemption the policy honours appeared since it was listed;
 * - `gone`, `failed`; `interrupted`: Ctrl-C came before its write, so nothing was written.
 */
export type Staging =
  | 'exclusion-set'
  | 'exemption-staged'
  | 'already-exempt'
  | 'gone'
  | 'failed'
  | 'interrupted';

/** One line of the plan: a non-compliant repository and its verdict. */
export interface PlanLine {
  readonly region: string;
  readonly repositoryName: string;
  readonly setting: string;
  readonly plan: RepositoryPlan;
  readonly staging?: Staging | undefined;
}

export interface PlanRegionSummary {
  readonly region: string;
  /** Non-compliant repositories planned. */
  readonly candidates: number;
  readonly safeToFlip: number;
  readonly wouldBreak: number;
  readonly noHistory: number;
  readonly unknown: number;
  /** Would-break repositories set within the allowed exclusions (`exclusion-set`). */
  readonly exclusionsSet: number;
  readonly staged: number;
  readonly alreadyExempt: number;
  /** Repositories that could not be read or written. */
  readonly failed: number;
  /** Why CloudTrail could not be read (its error code), when it could not: the plan is then a failure. */
  readonly cloudTrailError?: string | undefined;
  /** LookupEvents calls made, failed ones included. */
  readonly lookupCalls: number;
  readonly pushEvents: number;
  /** PutImage records the plan could not read (each makes the repositories it may concern `unknown`). */
  readonly unreadable: number;
  /** Ctrl-C stopped the region: nothing was written after it, and candidates after it were not planned. */
  readonly interrupted?: boolean | undefined;
  readonly seconds: number;
}

export interface PlanDependencies {
  readonly ecr: EcrAdapter;
  /** Created only when the region has candidates: no LookupEvents call otherwise. */
  readonly cloudTrail: () => CloudTrailAdapter;
  readonly config: GuardConfig;
  readonly region: string;
  readonly registryId: string | undefined;
  readonly now: Date;
  readonly options: PlanOptions;
  readonly onLine: (line: PlanLine) => void;
  readonly onRecord: (record: AuditRecord) => void;
  readonly onProgress: (message: string) => void;
  /** Ctrl-C: reading stops, and nothing is written after it. */
  readonly signal?: AbortSignal | undefined;
}

/** The non-compliant repositories of the region (the sweep's listing and decision, in dry-run). */
async function listCandidates(
  deps: PlanDependencies,
): Promise<{ candidates: RepositoryFacts[]; failed: number }> {
  const candidates: RepositoryFacts[] = [];
  let failed = 0;
  await runSweep(
    {
      trigger: 'backfill',
      dryRun: true,
      repositoryNames: undefined,
      resume: undefined,
      maxRepositories: undefined,
    },
    {
      ecr: deps.ecr,
      policy: deps.config.policy,
      region: deps.region,
      registryId: deps.registryId,
      now: () => deps.now,
      remainingMs: () => (deps.signal?.aborted === true ? 0 : Number.POSITIVE_INFINITY),
      safetyMarginMs: 0,
      maxConcurrency: deps.config.sweepConcurrency,
      checkCreationTemplates: false,
      record: (record) => {
        if (record.outcome === 'failed') {
          failed += 1;
          deps.onRecord(record);
        }
        if (record.outcome !== 'would-remediate' || record.before === undefined) return;
        if (!record.repositoryName || !record.repositoryArn || !record.registryId) return;
        candidates.push({
          repositoryName: record.repositoryName,
          repositoryArn: record.repositoryArn,
          registryId: record.registryId,
          setting: {
            mutability: record.before.imageTagMutability,
            exclusionFilters: record.before.exclusionFilters,
          },
          tags: undefined,
        });
      },
      onProgress: ({ scanned }) =>
        deps.onProgress(`${deps.region}: scanned ${scanned.toLocaleString('en')} repositories`),
    },
  );
  return { candidates, failed };
}

/** The account-region's CloudTrail history of the window: one paged LookupEvents pass. */
async function readHistory(
  deps: PlanDependencies,
): Promise<{ history: History; calls: number; events: number; unreadable: number; error?: string }> {
  try {
    const result = await deps.cloudTrail().lookupPushes({
      days: deps.options.days,
      now: deps.now,
      signal: deps.signal,
      onPage: (events) =>
        deps.onProgress(`${deps.region}: CloudTrail PutImage events read ${events.toLocaleString('en')}`),
    });
    const attributed = [...result.unreadableByRepository.values()].reduce((sum, count) => sum + count, 0);
    const history: History =
      result.events === 0
        ? { kind: 'no-history' }
        : {
            kind: 'events',
            pushesByRepository: groupPushes(result.pushes),
            unreadable: {
              byRepository: result.unreadableByRepository,
              unattributed: result.unreadable - attributed,
            },
          };
    return { history, calls: result.calls, events: result.events, unreadable: result.unreadable };
  } catch (error) {
    const calls = error instanceof LookupFailedError ? error.calls : 0;
    if (deps.signal?.aborted === true) {
      return { history: { kind: 'unknown', reason: 'interrupted' }, calls, events: 0, unreadable: 0 };
    }
    const code = errorCodeOf(error);
    return {
      history: { kind: 'unknown', reason: `LookupEvents failed with ${code}` },
      calls,
      events: 0,
      unreadable: 0,
      error: code,
    };
  }
}

/**
 * Plans one account-region: the sweep's describe/evaluate path in dry-run, one CloudTrail pass, and
 * DescribeImages (untagged) for each repository the history shows safe. With `--stage-exemptions`,
 * stages each would-break repository; after Ctrl-C it plans and writes nothing more.
 */
export async function planRegion(deps: PlanDependencies): Promise<PlanRegionSummary> {
  const started = Date.now();
  const { config, region } = deps;
  const aborted = () => deps.signal?.aborted === true;
  const listed = await listCandidates(deps);
  const { candidates } = listed;
  let failed = listed.failed;
  const trail =
    candidates.length > 0 && !aborted()
      ? await readHistory(deps)
      : { history: { kind: 'no-history' } as const, calls: 0, events: 0, unreadable: 0 };
  const counts = {
    safeToFlip: 0,
    wouldBreak: 0,
    noHistory: 0,
    unknown: 0,
    exclusionsSet: 0,
    staged: 0,
    alreadyExempt: 0,
  };
  for (const facts of candidates) {
    if (aborted()) break;
    let plan = planRepository(facts, trail.history, config.policy);
    if (plan.verdict === 'safe-to-flip') {
      // Untagged images are what a tag moved before the window leaves: safe only without any.
      try {
        const images = await deps.ecr.listUntaggedImages(facts);
        if (images.kind === 'gone') {
          deps.onRecord(goneRecord(facts, 'repository was deleted before its images were read', scope(deps)));
          continue;
        }
        plan = planRepository(facts, trail.history, config.policy, images.images);
      } catch (error) {
        failed += 1;
        deps.onRecord(failedRecord(facts, error, scope(deps)));
        plan = {
          ...plan,
          verdict: 'unknown',
          suggestion: undefined,
          reason: `DescribeImages failed with ${errorCodeOf(error)}: cannot tell whether a tag moved before the window; not guessing`,
        };
      }
    }
    if (plan.verdict === 'safe-to-flip') counts.safeToFlip += 1;
    else if (plan.verdict === 'would-break') counts.wouldBreak += 1;
    else if (plan.verdict === 'no-history') counts.noHistory += 1;
    else counts.unknown += 1;
    let staging: Staging | undefined;
    if (plan.verdict === 'would-break' && deps.options.until !== undefined) {
      staging = await stageRepository(deps, facts, plan, deps.options.until);
      if (staging === 'exclusion-set') counts.exclusionsSet += 1;
      else if (staging === 'exemption-staged') counts.staged += 1;
      else if (staging === 'already-exempt') counts.alreadyExempt += 1;
      else if (staging === 'failed') failed += 1;
    }
    deps.onLine({
      region,
      repositoryName: facts.repositoryName,
      setting: describeSetting(facts.setting),
      plan,
      staging,
    });
  }
  return {
    region,
    candidates: candidates.length,
    ...counts,
    failed,
    ...(trail.error === undefined ? {} : { cloudTrailError: trail.error }),
    lookupCalls: trail.calls,
    pushEvents: trail.events,
    unreadable: trail.unreadable,
    ...(aborted() ? { interrupted: true } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}

function scope(deps: PlanDependencies) {
  return { trigger: 'backfill', dryRun: false, region: deps.region } as const;
}

/**
 * Stages one would-break repository: its suggestion written when that is a compliant exclusion setting
 * ({@link setWithinExclusions}), else the exemption tag ({@link stageExemption}). Audited.
 */
async function stageRepository(
  deps: PlanDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  until: string,
): Promise<Staging> {
  try {
    if (plan.suggestion?.kind === 'exclusion') {
      const set = await setWithinExclusions(deps, facts, plan, plan.suggestion.setting);
      if (set !== undefined) return set;
    }
    return await stageExemption(deps, facts, plan, until);
  } catch (error) {
    deps.onRecord(failedRecord(facts, error, scope(deps)));
    return 'failed';
  }
}

/**
 * Writes `suggested` narrowed to what the repository leaves mutable now (read again: it may have changed
 * since it was listed), so the write is never looser than the setting it replaces; undefined when that
 * no longer keeps every moved tag mutable or is not compliant (then the repository needs its owner).
 */
async function setWithinExclusions(
  deps: PlanDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  suggested: TargetSetting,
): Promise<Staging | undefined> {
  const current = await deps.ecr.describeRepository(facts);
  if (current.kind === 'gone') return 'gone';
  const before = current.facts;
  const written = narrowSetting(before.setting, suggested.exclusionFilters).setting;
  const moved = plan.movedTags.map((tag) => tag.tag);
  if (!isAtLeastAsStrict(written, deps.config.policy) || !moved.every((tag) => isTagMutable(written, tag))) {
    return undefined;
  }
  if (deps.signal?.aborted === true) return 'interrupted';
  const result = await deps.ecr.setMutability(before, written);
  if (result.kind === 'gone') return 'gone';
  deps.onRecord(
    exclusionSetRecord(
      before,
      result.facts.setting,
      `plan: set within the allowed exclusions to ${describeSetting(result.facts.setting)}, keeping moved tags [${moved.join(', ')}] mutable; no tag immutable before is mutable now`,
      scope(deps),
    ),
  );
  return 'exclusion-set';
}

/**
 * Puts the exemption tag (the moved tags and the date) and its expiry on a repository that needs its
 * owner. An exemption tag the policy honours is kept (`already-exempt`); one it does not (expired, empty,
 * malformed expiry: lib/policy.ts `evaluateTagExemption`) is replaced, since the next sweep would flip it.
 */
async function stageExemption(
  deps: PlanDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  until: string,
): Promise<Staging> {
  const rule = deps.config.policy.exemptTag;
  const expiryKey = rule?.expiryKey;
  if (rule === undefined || expiryKey === undefined) return 'failed';
  const reason = stagedExemptionReason(plan.breakingTags, until);
  const current = await deps.ecr.listTags(facts);
  if (current.kind === 'gone') return 'gone';
  const existing = evaluateTagExemption(current.tags, rule, deps.now);
  if (existing.exempt) return 'already-exempt';
  if (deps.signal?.aborted === true) return 'interrupted';
  const tagged = await deps.ecr.tagRepository(facts, { [rule.key]: reason, [expiryKey]: until });
  if (tagged.kind === 'gone') return 'gone';
  const replaced =
    existing.note === '' ? '' : ` (replacing an exemption not honoured${existing.note.replace(/^;/, ':')})`;
  deps.onRecord(
    exemptionStagedRecord(
      facts,
      `staged exemption ${rule.key}='${reason}' ${expiryKey}='${until}'${replaced}`,
      scope(deps),
    ),
  );
  return 'exemption-staged';
}

/**
 * Exit code: failures (1: a repository not read or written, or CloudTrail not read) over repositories
 * that would break (unstaged) or whose history is missing or unknown (3).
 */
export function planExitCode(summaries: readonly PlanRegionSummary[]): number {
  const sum = (pick: (line: PlanRegionSummary) => number) =>
    summaries.reduce((total, line) => total + pick(line), 0);
  if (sum((line) => line.failed) > 0 || summaries.some((line) => line.cloudTrailError !== undefined)) {
    return EXIT.failures;
  }
  const unresolved = sum(
    (line) =>
      line.wouldBreak - line.exclusionsSet - line.staged - line.alreadyExempt + line.noHistory + line.unknown,
  );
  return unresolved > 0 ? EXIT.nonCompliant : EXIT.ok;
}

function suggestionText(plan: RepositoryPlan): string {
  const suggestion = plan.suggestion;
  // Without a suggestion the plan could not tell: say why.
  if (suggestion === undefined) return `- (${plan.reason})`;
  if (suggestion.kind === 'needs-owner') return 'needs its owner';
  return describeSetting(suggestion.setting);
}

/** A plan line or a region's plan summary, with the account it is about. */
type InAccount<T> = T & { readonly accountId: string };

/** Why an account-region has no plan: it failed, was skipped or was stopped (Ctrl-C) before its end. */
function planDetailOf(line: AccountRegionSummary): string {
  if (line.status === 'failed') return `${line.errorCode ?? 'error'}: ${line.reason ?? ''}`;
  if (line.status === 'skipped') return `${line.skipReason ?? 'skipped'}: ${line.reason ?? ''}`;
  return 'interrupted before its plan was complete';
}

/**
 * Prints lines, progress and summary: on a TTY an aligned table (every name made printable) once the
 * plan is complete, progress on stderr meanwhile; JSON lines otherwise.
 */
function createPlanOutput(io: Io, json: boolean) {
  const bar = !json && io.stderr.isTTY === true;
  const progressLine = progressLineOf(io.stderr);
  const header = [
    'verdict',
    'account',
    'region',
    'repository',
    'setting',
    'moved tags',
    'last pusher',
    'suggestion',
  ];
  const rows: string[][] = [];
  return {
    progress(message: string) {
      if (bar) progressLine.show(message);
    },
    line(line: InAccount<PlanLine>) {
      if (json) {
        io.stdout.write(
          `${JSON.stringify({
            type: 'plan',
            accountId: line.accountId,
            region: line.region,
            repositoryName: line.repositoryName,
            setting: line.setting,
            verdict: line.plan.verdict,
            movedTags: line.plan.movedTags,
            breakingTags: line.plan.breakingTags,
            pushes: line.plan.pushes,
            suggestion: line.plan.suggestion,
            reason: line.plan.reason,
            ...(line.staging === undefined ? {} : { staging: line.staging }),
          })}\n`,
        );
        return;
      }
      const moved = line.plan.movedTags.map((tag) => `${tag.tag} (${tag.moves}x)`).join(' ') || '-';
      const pusher = line.plan.movedTags.at(-1)?.lastPusher ?? '-';
      const staging = line.staging === undefined ? '' : `  [${line.staging}]`;
      rows.push([
        line.plan.verdict,
        line.accountId,
        line.region,
        line.repositoryName,
        line.setting,
        moved,
        pusher,
        `${suggestionText(line.plan)}${staging}`,
      ]);
    },
    record(record: AuditRecord) {
      if (json) {
        io.stdout.write(`${JSON.stringify({ type: 'audit', ...record })}\n`);
        return;
      }
      progressLine.clear();
      io.stdout.write(
        `${record.outcome.padEnd(16)}  ${printable(`${record.accountId ?? ''} ${record.region ?? ''} ${record.repositoryName ?? ''}  (${record.reason})`)}\n`,
      );
    },
    /** A message on stderr, after the progress line is cleared. */
    error(message: string) {
      progressLine.clear();
      io.stderr.write(`ecr-guard: ${printable(message)}\n`);
    },
    /** The plans of the account-regions that have one, and why the others have none. */
    summary(
      summaries: readonly InAccount<PlanRegionSummary & Pick<AccountRegionSummary, 'status'>>[],
      others: readonly AccountRegionSummary[],
    ) {
      progressLine.clear();
      if (json) {
        for (const line of summaries)
          io.stdout.write(`${JSON.stringify({ type: 'plan-summary', ...line })}\n`);
        for (const line of others) {
          const { accountId, region, status, errorCode, reason, skipReason } = line;
          io.stdout.write(
            `${JSON.stringify({ type: 'plan-summary', accountId, region, status, errorCode, reason, skipReason })}\n`,
          );
        }
        return;
      }
      if (rows.length > 0) {
        for (const row of formatTable(header, rows)) io.stdout.write(`${row}\n`);
      }
      for (const line of summaries) {
        const trail =
          line.cloudTrailError === undefined
            ? ''
            : `; CloudTrail unreadable: LookupEvents failed with ${line.cloudTrailError}`;
        const stopped = line.interrupted === true ? '; interrupted: nothing written after Ctrl-C' : '';
        io.stdout.write(
          `\n${line.accountId} ${line.region}: ${line.candidates} non-compliant; ${line.safeToFlip} can flip now, ${line.wouldBreak} would break` +
            ` (${line.exclusionsSet} set within the allowed exclusions, ${line.staged} exemptions staged, ${line.alreadyExempt} already exempt), ${line.noHistory} without CloudTrail history,` +
            ` ${line.unknown} unknown, ${line.failed} failed; ${line.lookupCalls} LookupEvents calls over ${line.pushEvents} PutImage events (${line.unreadable} unreadable), ${line.seconds.toFixed(1)} s${trail}${stopped}\n`,
        );
      }
      for (const line of others) {
        io.stdout.write(
          `\n${printable(`${line.accountId} ${line.region}: ${line.status}, ${planDetailOf(line)}`)}\n`,
        );
      }
    },
  };
}

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
