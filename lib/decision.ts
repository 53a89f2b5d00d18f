/**
 * The decision for one repository or repository creation template: facts + policy in, a decision out,
 * with a reason naming the rule that decided it (exempt by name, at or stricter than the target, exempt
 * by tag, or remediate to the setting lib/policy.ts `remediationSetting` computes). Pure: no AWS SDK, no
 * environment, no clock (the caller passes `now`), no logging.
 */
import {
  describeSetting,
  isAtTarget,
  isKnownMutability,
  type MutabilitySetting,
  type NarrowedSetting,
  normalizeFilters,
  type Policy,
  permittedFilters,
  type RepositoryFacts,
  remediationSetting,
  type StrictnessPolicy,
  type TagExemptionRule,
  type TargetSetting,
  type TemplateFacts,
  uncoveredFilters,
} from './policy.ts';
import { coveringFilters } from './wildcard.ts';

/**
 * What to do with one repository.
 * - `compliant`: leave it; it already meets the policy.
 * - `remediate`: write `desired`.
 * - `exempt`: leave it; the policy says so (reason names the rule).
 * - `needs-tags`: it is non-compliant and tag exemptions are configured, so its tags decide; fetch them and decide again.
 */
export type Decision =
  | { readonly kind: 'compliant'; readonly reason: string }
  | { readonly kind: 'remediate'; readonly desired: TargetSetting; readonly reason: string }
  | { readonly kind: 'exempt'; readonly reason: string }
  | { readonly kind: 'needs-tags'; readonly reason: string };

export type TemplateDecision =
  | { readonly kind: 'compliant'; readonly reason: string }
  | { readonly kind: 'remediate'; readonly desired: TargetSetting; readonly reason: string };

/** Compiles a repository-name glob to an anchored regular expression. */
export function compileNameGlob(glob: string): RegExp {
  let source = '';
  // Stryker disable next-line EqualityOperator: `i <= glob.length` is equivalent, the extra round reads charAt(glob.length), '', which adds nothing to the expression; `i >= glob.length`, disabled with it, runs no round and fails the glob tests.
  for (let i = 0; i < glob.length; i++) {
    const char = glob.charAt(i);
    if (char === '*' && glob.charAt(i + 1) === '*') {
      // `**/` matches zero or more whole segments; a trailing `**` matches the rest.
      if (glob.charAt(i + 2) === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

// The sweep decides up to 100,000 repositories against the same few globs: compile each glob once.
const compiledGlobs = new Map<string, RegExp>();
function nameGlob(glob: string): RegExp {
  let compiled = compiledGlobs.get(glob);
  // Stryker disable next-line ConditionalExpression: `true` is equivalent, compiling the glob again gives an equal expression (no flags, so `test` keeps no state) and the cache only saves time; `false`, disabled with it, returns undefined and fails every name exemption test.
  if (compiled === undefined) {
    compiled = compileNameGlob(glob);
    // Stryker disable next-line CallExpression: equivalent, without the cache each call compiles the same expression again; the cache only saves time.
    compiledGlobs.set(glob, compiled);
  }
  return compiled;
}

/**
 * Milliseconds since the epoch of an ISO 8601 date (`2026-12-31`, UTC midnight) or date-time
 * (`2026-12-31T18:00:00Z`), or undefined when `value` is not one or names a day that does not exist:
 * `Date.parse` rolls `2099-02-30` over to 2 March and accepts trailing text after the date.
 */
function parseExpiry(value: string): number | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(value);
  if (date === null) return undefined;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    calendar.getUTCFullYear() !== year ||
    // Stryker disable next-line ConditionalExpression: `false` is equivalent, a month that differs always comes with a year or day that differs (an out-of-range month moves the year, a day past the month's end moves the day), which the other checks refuse; `true`, disabled with it, refuses every expiry and fails the expiry tests.
    calendar.getUTCMonth() !== month - 1 ||
    // Stryker disable next-line ConditionalExpression: `false` is equivalent, a day that does not exist rolls over into another month, which the month check refuses; `true`, disabled with it, refuses every expiry and fails the expiry tests.
    calendar.getUTCDate() !== day
  ) {
    return undefined;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/**
 * Whether a repository's tags exempt it under `rule` at `now`: honoured when the exemption tag holds a
 * reason and its expiry, if any, is a valid date not yet past; otherwise `note` says why not (empty when
 * the tag is absent). The one reading of an exemption tag: decisions and `ecr-guard plan` share it.
 */
export function evaluateTagExemption(
  tags: Readonly<Record<string, string>>,
  rule: TagExemptionRule,
  now: Date,
): { exempt: true; reason: string } | { exempt: false; note: string } {
  const value = Object.hasOwn(tags, rule.key) ? tags[rule.key] : undefined;
  if (value === undefined) return { exempt: false, note: '' };
  if (value.trim() === '') {
    return { exempt: false, note: `; exemption tag ${rule.key} has no reason and is not honoured` };
  }
  const expiry =
    rule.expiryKey !== undefined && Object.hasOwn(tags, rule.expiryKey) ? tags[rule.expiryKey] : undefined;
  if (expiry !== undefined) {
    const expiresAt = parseExpiry(expiry);
    if (expiresAt === undefined) {
      return {
        exempt: false,
        note: `; exemption expiry ${rule.expiryKey}='${expiry}' is not an ISO date, not honoured`,
      };
    }
    if (expiresAt < now.getTime()) {
      return { exempt: false, note: `; exemption tag ${rule.key} expired on ${expiry} and is not honoured` };
    }
    return { exempt: true, reason: `rule exempt-tag: ${rule.key}='${value}' until ${expiry}` };
  }
  return { exempt: true, reason: `rule exempt-tag: ${rule.key}='${value}'` };
}

/** The reason's note on what a remediation writes, when that is not the target itself. */
function writeNote(written: NarrowedSetting, policy: StrictnessPolicy): string {
  if (isAtTarget(written.setting, policy.target)) return '';
  const strict = written.exact ? '' : ', stricter where ECR filters cannot say it exactly';
  return `; writes ${describeSetting(written.setting)}: only tags mutable before and allowed stay mutable${strict}`;
}

/** `dev-1* within dev-*` for each filter: which permitted filter covers it (the first, sorted). */
function describeCoverage(filters: readonly string[], policy: StrictnessPolicy): string {
  const permitted = permittedFilters(policy);
  return normalizeFilters(filters)
    .map((filter) => {
      const cover = coveringFilters(filter, permitted);
      const first = cover[0];
      // Stryker disable next-line ConditionalExpression: `false` is unreachable, only a compliant setting's filters are described and each has a cover (the check is for the type of `first`); `true`, disabled with it, fails `a filter the policy permits itself is named alone, one inside a broader filter with it`.
      if (first === undefined) return filter;
      return cover.includes(filter) ? filter : `${filter} within ${first}`;
    })
    .join(', ');
}

/** The verdict on `setting`, with a reason naming the rule that decided it. */
function meetsPolicy(setting: MutabilitySetting, policy: Policy): { ok: boolean; reason: string } {
  const target = describeSetting(policy.target);
  if (isAtTarget(setting, policy.target)) {
    return { ok: true, reason: `rule target: at the target ${target}` };
  }
  if (!isKnownMutability(setting.mutability)) {
    return {
      ok: false,
      reason: `rule target: unknown imageTagMutability value '${setting.mutability}' is treated as non-compliant; target is ${target}`,
    };
  }
  if (setting.mutability === 'MUTABLE' || setting.mutability === 'MUTABLE_WITH_EXCLUSION') {
    return {
      ok: false,
      reason: `rule target: ${describeSetting(setting)} allows tags to be overwritten; target is ${target}`,
    };
  }
  if (setting.mutability === 'IMMUTABLE') {
    return {
      ok: true,
      reason: `rule at-least-as-strict: IMMUTABLE keeps every tag immutable; stricter than the target ${target}`,
    };
  }
  // Stryker disable next-line ArrayDeclaration: unreachable, the setting here is IMMUTABLE_WITH_EXCLUSION (every other known value returned above), for which uncoveredFilters is never undefined.
  const outside = uncoveredFilters(setting, policy) ?? [];
  if (outside.length === 0) {
    const filters = setting.exclusionFilters;
    return {
      ok: true,
      reason:
        filters.length === 0
          ? `rule at-least-as-strict: ${setting.mutability} without filters keeps every tag immutable; target is ${target}`
          : `rule at-least-as-strict: every filter is covered by the target or the allowed exclusions (${describeCoverage(filters, policy)}); target is ${target}`,
    };
  }
  const coveredBy =
    policy.allowedExclusions === undefined
      ? "not covered by the target's filters"
      : 'covered by neither the target nor the allowed exclusions';
  return {
    ok: false,
    reason: `rule target: filters [${outside.join(', ')}] of ${describeSetting(setting)} are ${coveredBy}; target is ${target}`,
  };
}

/**
 * Decides a repository creation template: non-compliant templates make every repository ECR creates
 * from them (pull-through cache, replication, create-on-push) born non-compliant. Name exemptions do
 * not apply: they are about repositories, not about what new repositories inherit.
 */
export function evaluateTemplate(template: TemplateFacts, policy: Policy): TemplateDecision {
  const verdict = meetsPolicy(template.setting, policy);
  if (verdict.ok) return { kind: 'compliant', reason: verdict.reason };
  const written = remediationSetting(template.setting, policy);
  return {
    kind: 'remediate',
    desired: written.setting,
    reason: `${verdict.reason}${writeNote(written, policy)}`,
  };
}

/**
 * Decides what to do with one repository.
 *
 * Order: name exemptions (no AWS call needed), then compliance, then tag exemptions, which are
 * consulted only for a repository that would otherwise be written, so tags are fetched only then.
 */
export function evaluateRepository(facts: RepositoryFacts, policy: Policy, now: Date): Decision {
  for (const glob of policy.exemptRepositories) {
    if (nameGlob(glob).test(facts.repositoryName)) {
      return { kind: 'exempt', reason: `rule exempt-name: repository name matches '${glob}'` };
    }
  }
  const verdict = meetsPolicy(facts.setting, policy);
  if (verdict.ok) return { kind: 'compliant', reason: verdict.reason };
  const written = remediationSetting(facts.setting, policy);
  const reason = `${verdict.reason}${writeNote(written, policy)}`;
  if (policy.exemptTag !== undefined) {
    if (facts.tags === undefined) {
      return { kind: 'needs-tags', reason };
    }
    const tagExemption = evaluateTagExemption(facts.tags, policy.exemptTag, now);
    if (tagExemption.exempt) return { kind: 'exempt', reason: tagExemption.reason };
    return { kind: 'remediate', desired: written.setting, reason: `${reason}${tagExemption.note}` };
  }
  return { kind: 'remediate', desired: written.setting, reason };
}
