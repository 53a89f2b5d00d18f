/**
 * The policy and the settings it judges: tag mutability values and exclusion filters, the facts of a
 * repository or template, and how strict a setting is against the policy (docs/architecture.md,
 * "Strictness": covered filters, per-tag mutability, the narrowed setting a remediation writes). The
 * decisions built on these are lib/decision.ts. Pure: no AWS SDK, no environment, no clock, no logging.
 *
 * Tag mutability values and exclusion filters follow the ECR API (2025 model):
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html
 */
import {
  areDisjoint,
  intersectFilterSets,
  isCoveredBy,
  matchesWildcard,
  uncoveredPatterns,
  withoutCoveredPatterns,
} from './wildcard.ts';

/** Every `imageTagMutability` value ECR documents today. Anything else is a future value we do not trust. */
export const TAG_MUTABILITIES = [
  'MUTABLE',
  'IMMUTABLE',
  'MUTABLE_WITH_EXCLUSION',
  'IMMUTABLE_WITH_EXCLUSION',
] as const;
export type TagMutability = (typeof TAG_MUTABILITIES)[number];

/** The values a policy may require. `MUTABLE` and `MUTABLE_WITH_EXCLUSION` are never compliant. */
export const TARGET_MUTABILITIES = ['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'] as const;
export type TargetMutability = (typeof TARGET_MUTABILITIES)[number];

/**
 * ECR's pattern for one wildcard exclusion filter (API_ImageTagMutabilityExclusionFilter):
 * 1-128 characters of letters, digits, `.`, `_`, `-` and the `*` wildcard.
 */
export const EXCLUSION_FILTER_PATTERN = /^[0-9a-zA-Z._*-]{1,128}$/;
export const MAX_EXCLUSION_FILTERS = 5;

/**
 * True when the exclusion filter matches every tag: one made of `*` only (a literal character is one a
 * tag without it escapes). A target or allowed exclusion like that makes `IMMUTABLE_WITH_EXCLUSION`
 * the same as `MUTABLE`, so the settings refuse it.
 */
export function matchesEveryTag(filter: string): boolean {
  return /^\*+$/.test(filter);
}

/** A repository's tag mutability as ECR reports it. `mutability` is a string: ECR may add values. */
export interface MutabilitySetting {
  readonly mutability: string;
  readonly exclusionFilters: readonly string[];
}

/** The setting a policy enforces. */
export type TargetSetting =
  | { readonly mutability: 'IMMUTABLE'; readonly exclusionFilters: readonly [] }
  | { readonly mutability: 'IMMUTABLE_WITH_EXCLUSION'; readonly exclusionFilters: readonly string[] };

/** Exemption by resource tag: the tag's value is the reason; an optional expiry tag holds an ISO date. */
export interface TagExemptionRule {
  readonly key: string;
  readonly expiryKey?: string | undefined;
}

export interface Policy {
  readonly target: TargetSetting;
  /**
   * Filters a repository may keep beyond the target's: a repository at IMMUTABLE_WITH_EXCLUSION whose
   * filters are each covered by a target filter or one of these is compliant (see {@link isAtLeastAsStrict}).
   */
  readonly allowedExclusions?: readonly string[] | undefined;
  /** Glob patterns over repository names (`*` within a path segment, `**` across segments, `?` one character). */
  readonly exemptRepositories: readonly string[];
  readonly exemptTag?: TagExemptionRule | undefined;
}

export interface RepositoryFacts {
  readonly repositoryName: string;
  readonly repositoryArn: string;
  readonly registryId: string;
  readonly setting: MutabilitySetting;
  /** The repository's tags, only when they were fetched (lib/decision.ts, `needs-tags`). */
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** Returns true when `value` is one of the documented tag mutability values. */
export function isKnownMutability(value: string): value is TagMutability {
  return (TAG_MUTABILITIES as readonly string[]).includes(value);
}

/** Sorted, de-duplicated copy: filter order and repetition never change a decision. */
export function normalizeFilters(filters: readonly string[]): string[] {
  return [...new Set(filters)].sort();
}

/** Formats a setting for reasons and tables, e.g. `IMMUTABLE_WITH_EXCLUSION [dev-*, latest]`. */
export function describeSetting(setting: MutabilitySetting): string {
  const filters = normalizeFilters(setting.exclusionFilters);
  return filters.length > 0 ? `${setting.mutability} [${filters.join(', ')}]` : setting.mutability;
}

/** True when `setting` is the target itself (filter order and repetition aside). */
export function isAtTarget(setting: MutabilitySetting, target: TargetSetting): boolean {
  if (setting.mutability !== target.mutability) return false;
  const have = normalizeFilters(setting.exclusionFilters);
  const want = normalizeFilters(target.exclusionFilters);
  return have.length === want.length && have.every((filter, index) => filter === want[index]);
}

/** A repository creation template (ECR applies its setting to repositories it creates itself). */
export interface TemplateFacts {
  readonly prefix: string;
  readonly registryId: string;
  readonly setting: MutabilitySetting;
}

/** The parts of a policy that say which tags may stay mutable. A {@link Policy} is one. */
export type StrictnessPolicy = Pick<Policy, 'target' | 'allowedExclusions'>;

/** The filters a policy lets a repository keep: the target's, then the allowed exclusions. */
export function permittedFilters(policy: StrictnessPolicy): string[] {
  return normalizeFilters([...policy.target.exclusionFilters, ...(policy.allowedExclusions ?? [])]);
}

/**
 * The filters of `setting` that leave tags mutable which the policy keeps immutable: those that no
 * target filter or allowed exclusion covers (wildcard containment, lib/wildcard.ts). Undefined when
 * the setting is not `IMMUTABLE_WITH_EXCLUSION`, whose filters are the only ones this question fits.
 */
export function uncoveredFilters(setting: MutabilitySetting, policy: StrictnessPolicy): string[] | undefined {
  if (setting.mutability !== 'IMMUTABLE_WITH_EXCLUSION') return undefined;
  return uncoveredPatterns(normalizeFilters(setting.exclusionFilters), permittedFilters(policy));
}

/**
 * True when `setting` leaves no tag mutable that the policy keeps immutable, so enforcing the target
 * on it could only loosen it:
 * - `IMMUTABLE` always is, whatever the target;
 * - `IMMUTABLE_WITH_EXCLUSION F` is when each filter of F is covered by (its tags are a subset of)
 *   one of the target's filters or of the allowed exclusions: `dev-1*` by `dev-*`, `latest` by `*`;
 * - `MUTABLE`, `MUTABLE_WITH_EXCLUSION` and values ECR may add later never are.
 *
 * Every decision uses it: the sweep, creation templates and the guardrail's reading of a request.
 * The target itself always is, so a remediation's result is compliant when decided again.
 */
export function isAtLeastAsStrict(setting: MutabilitySetting, policy: StrictnessPolicy): boolean {
  if (setting.mutability === 'IMMUTABLE') return true;
  return uncoveredFilters(setting, policy)?.length === 0;
}

/**
 * True when ECR lets a push move `tag` under `setting` (the user guide's "Preventing image tags from being
 * overwritten"): every tag under `MUTABLE`, none under `IMMUTABLE`, the tags an exclusion filter matches
 * under `IMMUTABLE_WITH_EXCLUSION`, the others under `MUTABLE_WITH_EXCLUSION`. A value ECR may add later
 * counts as keeping every tag immutable: this answers "may a write leave it mutable", so unknown is no.
 */
export function isTagMutable(setting: MutabilitySetting, tag: string): boolean {
  if (!isKnownMutability(setting.mutability)) return false;
  switch (setting.mutability) {
    case 'MUTABLE':
      return true;
    case 'IMMUTABLE':
      return false;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return setting.exclusionFilters.some((filter) => matchesWildcard(filter, tag));
    case 'MUTABLE_WITH_EXCLUSION':
      return !setting.exclusionFilters.some((filter) => matchesWildcard(filter, tag));
  }
}

/** A setting to write, and whether it leaves mutable exactly the tags asked for or (erring strict) fewer. */
export interface NarrowedSetting {
  readonly setting: TargetSetting;
  readonly exact: boolean;
}

/**
 * Orders filters the broadest first: fewest literal characters (what a `*` leaves open), then by name, so
 * that keeping the first few of a list keeps the ones that leave the most tags mutable.
 */
export const broadestFirst = (a: string, b: string): number =>
  // Stryker disable next-line EqualityOperator: `a <= b` is equivalent, two filters that compare equal are the same string, whichever comes first; `a >= b`, disabled with it, fails the tie-break tests of narrowSetting and of the plan's suggestion.
  a.replaceAll('*', '').length - b.replaceAll('*', '').length || (a < b ? -1 : 1);

/**
 * The setting whose mutable tags are those `before` leaves mutable **and** some filter of `allowed`
 * matches: `IMMUTABLE` when no tag is left, else `IMMUTABLE_WITH_EXCLUSION` with filters computed by
 * wildcard intersection (lib/wildcard.ts). So no tag `before` keeps immutable is mutable after it, and
 * each filter written is covered by a filter of `allowed` (docs/architecture.md, "Strictness").
 *
 * Exact where ECR's filter language can say it; otherwise stricter (fewer mutable tags, `exact` false):
 * - `MUTABLE_WITH_EXCLUSION [F]` leaves mutable every tag F does not match, a complement no list of
 *   filters spells in general: an allowed filter disjoint from F is kept whole, one inside F is dropped,
 *   and one that only overlaps F is dropped too;
 * - a value ECR may add later leaves nothing mutable (we cannot tell what it left mutable);
 * - filters longer than 128 characters are dropped, and beyond ECR's 5 filters the broadest 5 are kept.
 */
export function narrowSetting(before: MutabilitySetting, allowed: readonly string[]): NarrowedSetting {
  const { filters, exact } = mutableFilters(before, normalizeFilters(allowed));
  const expressible = filters.filter((filter) => EXCLUSION_FILTER_PATTERN.test(filter));
  const kept = [...expressible].sort(broadestFirst).slice(0, MAX_EXCLUSION_FILTERS);
  const setting: TargetSetting =
    kept.length === 0
      ? { mutability: 'IMMUTABLE', exclusionFilters: [] }
      : { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: normalizeFilters(kept) };
  return { setting, exact: exact && kept.length === filters.length };
}

/**
 * The tags `before` leaves mutable that a filter of `allowed` matches, as filters each covered by a filter
 * of `allowed`, before ECR's limits are applied ({@link narrowSetting} applies them); `exact` as there.
 */
export function mutableFilters(
  before: MutabilitySetting,
  allowed: readonly string[],
): { filters: readonly string[]; exact: boolean } {
  if (!isKnownMutability(before.mutability)) return { filters: [], exact: false };
  const own = normalizeFilters(before.exclusionFilters);
  switch (before.mutability) {
    case 'IMMUTABLE':
      return { filters: [], exact: true };
    case 'MUTABLE':
      return { filters: withoutCoveredPatterns(allowed), exact: true };
    case 'IMMUTABLE_WITH_EXCLUSION':
      return intersectFilterSets(own, allowed);
    case 'MUTABLE_WITH_EXCLUSION': {
      const outside = allowed.filter((filter) => own.every((excluded) => areDisjoint(filter, excluded)));
      // What was dropped is exact only when it lies wholly inside the immutable tags.
      const dropped = allowed.filter((filter) => !outside.includes(filter));
      return { filters: withoutCoveredPatterns(outside), exact: isCoveredBy(dropped, own) };
    }
  }
}

/**
 * The setting a remediation of `before` writes: the target's exclusions are what a repository **may**
 * leave mutable, never what it must, so it keeps mutable only the tags it already left mutable and the
 * target allows ({@link narrowSetting}). A repository at `IMMUTABLE_WITH_EXCLUSION` may also keep what
 * its filters share with the allowed exclusions (its owner chose them; the guard cuts only what the
 * policy does not allow); any other setting gets at most the target's own exclusions, since allowed
 * exclusions are granted to a mutable repository only with evidence (`ecr-guard plan`). The result is
 * at least as strict as the policy, and deciding it again finds it compliant.
 */
export function remediationSetting(before: MutabilitySetting, policy: StrictnessPolicy): NarrowedSetting {
  const allowed =
    before.mutability === 'IMMUTABLE_WITH_EXCLUSION'
      ? permittedFilters(policy)
      : normalizeFilters(policy.target.exclusionFilters);
  const written = narrowSetting(before, allowed);
  // The target as configured (filter order included) when that is what is written.
  return isAtTarget(written.setting, policy.target) ? { ...written, setting: policy.target } : written;
}
