/**
 * The options of `ecr-guard plan` only (`--days`, `--stage-exemptions`, `--until`), validated against the
 * configuration and the day it runs; every error names its flag and the value given.
 */
import * as z from 'zod/mini';
import { DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS } from '../../lib/cloudtrail.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { InvalidInputError } from '../../lib/errors.ts';

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
