/**
 * What `ecr-guard plan` prints: on a TTY an aligned table of the verdicts once the plan is complete
 * (every name made printable), progress on stderr meanwhile, and a summary per account-region; JSON
 * lines otherwise.
 */
import type { AuditRecord } from '../../lib/audit.ts';
import type { AccountRegionSummary } from '../../lib/org-sweep.ts';
import type { RepositoryPlan } from '../../lib/plan.ts';
import { describeSetting } from '../../lib/policy.ts';
import { formatTable, type Io, printable, progressLineOf } from '../output.ts';
import type { PlanLine, PlanRegionSummary } from './plan-region.ts';

function suggestionText(plan: RepositoryPlan): string {
  const suggestion = plan.suggestion;
  // Without a suggestion the plan could not tell: say why.
  if (suggestion === undefined) return `- (${plan.reason})`;
  if (suggestion.kind === 'needs-owner') return 'needs its owner';
  return describeSetting(suggestion.setting);
}

/** A plan line or a region's plan summary, with the account it is about. */
export type InAccount<T> = T & { readonly accountId: string };

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
export function createPlanOutput(io: Io, json: boolean) {
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
