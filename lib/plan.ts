/**
 * The roll-out plan: which non-compliant repositories can be flipped to the target now, and which
 * would break a pipeline that re-pushes a moving tag (`latest`, `dev`). Pure: an account-region's
 * CloudTrail `PutImage` history in, a verdict and a suggestion per repository out (the suggestion follows
 * docs/architecture.md, "Strictness"; usage: README, "Rolling out safely").
 *
 * A tag pushed with more than one digest in the window has *moved* (lib/push-history.ts): after the flip ECR
 * refuses that push with `ImageTagAlreadyExistsException` (API_PutImage,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html).
 */
import {
  broadestFirst,
  describeSetting,
  EXCLUSION_FILTER_PATTERN,
  isAtLeastAsStrict,
  isTagMutable,
  MAX_EXCLUSION_FILTERS,
  type MutabilitySetting,
  mutableFilters,
  normalizeFilters,
  permittedFilters,
  remediationSetting,
  type StrictnessPolicy,
  type TargetSetting,
} from './policy.ts';
import {
  findMovedTags,
  type History,
  type MovedTag,
  type PushRecord,
  type UnreadableRecords,
  type UntaggedImage,
} from './push-history.ts';
import { coveringFilters, isCoveredBy, withoutCoveredPatterns } from './wildcard.ts';

/** The error ECR answers a push that would move an immutable tag with. */
export const TAG_ALREADY_EXISTS = 'ImageTagAlreadyExistsException';

/**
 * The setting the plan suggests, or why it cannot:
 * - `target`: what a sweep would write (the target, narrowed to the tags that were mutable before);
 * - `exclusion`: a compliant `IMMUTABLE_WITH_EXCLUSION` that keeps the tags the repository moves mutable;
 * - `needs-owner`: no compliant setting keeps the pipeline working, or the plan cannot tell which would.
 */
export type Suggestion =
  | { readonly kind: 'target'; readonly setting: TargetSetting }
  | { readonly kind: 'exclusion'; readonly setting: TargetSetting }
  | { readonly kind: 'needs-owner'; readonly reason: string };

export type Verdict = 'safe-to-flip' | 'would-break' | 'no-history' | 'unknown';

export interface RepositoryPlan {
  readonly verdict: Verdict;
  /** Every tag that moved in the window, including those the written setting leaves mutable. */
  readonly movedTags: readonly MovedTag[];
  /** The moved tags the written setting would make immutable: the pushes that would fail. */
  readonly breakingTags: readonly string[];
  /** Successful tagged pushes of this repository seen in the window. */
  readonly pushes: number;
  readonly suggestion: Suggestion | undefined;
  readonly reason: string;
}

/**
 * The fewest filters (at most 5, ECR's limit) taken from `candidates` that cover every tag of `tags`,
 * preferring a tag's exact name when it is a candidate; undefined when no such set exists.
 * Exact search over the candidates that cover at least one tag (few: the permitted filters plus the tags).
 */
export function smallestCoveringFilters(
  tags: readonly string[],
  candidates: readonly string[],
  maxFilters = MAX_EXCLUSION_FILTERS,
): string[] | undefined {
  const wanted = normalizeFilters(tags);
  if (wanted.length === 0) return [];
  // Exact names first, then wildcards by how many tags they cover: the first set found of a size wins.
  const scored = normalizeFilters(candidates).map((filter) => ({
    filter,
    covers: wanted.filter((tag) => coveringFilters(tag, [filter]).length > 0),
  }));
  // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: the filter removed, `true` and `>= 0` are equivalent, a candidate that covers no tag sorts last and is in no smallest cover (only the search is longer); `false` and `<= 0`, disabled with them, fail every cover test.
  const covering = scored.filter((entry) => entry.covers.length > 0);
  const useful = covering.sort(
    (a, b) =>
      Number(b.covers.length === 1 && b.covers[0] === b.filter) -
        Number(a.covers.length === 1 && a.covers[0] === a.filter) || b.covers.length - a.covers.length,
  );
  for (let size = 1; size <= Math.min(maxFilters, useful.length); size += 1) {
    const found = searchCover(useful, wanted, size, 0, []);
    if (found !== undefined) return normalizeFilters(found);
  }
  return undefined;
}

function searchCover(
  useful: readonly { filter: string; covers: readonly string[] }[],
  wanted: readonly string[],
  size: number,
  from: number,
  chosen: string[],
): string[] | undefined {
  if (chosen.length === size) return isCoveredBy(wanted, chosen) ? [...chosen] : undefined;
  // Stryker disable next-line ArithmeticOperator: `useful.length +` is equivalent, the indices past the end hold no entry (only the search is longer); `size + chosen.length`, disabled with it, fails `finds a cover that needs every useful candidate`.
  for (let index = from; index <= useful.length - (size - chosen.length); index += 1) {
    const entry = useful[index];
    if (entry === undefined) continue;
    chosen.push(entry.filter);
    // Stryker disable next-line ArithmeticOperator: `index - 1` is equivalent, it also tries repeated and unsorted picks, whose sets are smaller or sorted later, so the first cover found is the same.
    const found = searchCover(useful, wanted, size, index + 1, chosen);
    chosen.pop();
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The setting to suggest for a repository at `before` whose `moved` tags must stay mutable: filters
 * keeping mutable the moved tags a remediation (lib/policy.ts `remediationSetting`) would make immutable,
 * then that remediation's own filters as far as ECR's 5 go. The moved tags' exact names when they fit,
 * else the fewest filters covering them among the exact names and the parts of the permitted filters
 * that were mutable before. Every filter is covered by a permitted one and every tag it leaves mutable
 * was mutable before (docs/architecture.md, "Strictness"); when no such setting covers the moved tags,
 * the repository needs its owner.
 */
export function suggestExclusion(
  moved: readonly string[],
  before: MutabilitySetting,
  policy: StrictnessPolicy,
): Suggestion {
  const permitted = permittedFilters(policy);
  const base = remediationSetting(before, policy).setting;
  const needed = normalizeFilters(moved.filter((tag) => !isTagMutable(base, tag)));
  if (needed.length === 0) return { kind: 'target', setting: base };
  const immutableBefore = needed.filter((tag) => !isTagMutable(before, tag));
  if (immutableBefore.length > 0) {
    return {
      kind: 'needs-owner',
      reason: `moved tags [${immutableBefore.join(', ')}] are immutable under ${describeSetting(before)} now; needs its owner`,
    };
  }
  const outside = needed.filter((tag) => coveringFilters(tag, permitted).length === 0);
  if (outside.length > 0) {
    return {
      kind: 'needs-owner',
      reason: `moved tags [${outside.join(', ')}] are not within the allowed exclusions; needs its owner`,
    };
  }
  // A tag longer than a filter may be (128 characters) can only be covered by a wildcard.
  const all = normalizeFilters(moved);
  const exact = all.filter((tag) => EXCLUSION_FILTER_PATTERN.test(tag));
  const extra =
    exact.length === all.length && all.length <= MAX_EXCLUSION_FILTERS
      ? all
      : smallestCoveringFilters(
          all,
          [...base.exclusionFilters, ...mutableFilters(before, permitted).filters, ...exact].filter(
            (filter) => EXCLUSION_FILTER_PATTERN.test(filter),
          ),
        );
  if (extra === undefined) {
    return {
      kind: 'needs-owner',
      reason: `moved tags [${needed.join(', ')}] need more than ${MAX_EXCLUSION_FILTERS} exclusion filters; needs its owner`,
    };
  }
  // Then what the write itself leaves mutable, broadest first, as far as ECR's 5 filters go (leaving
  // some out is only stricter).
  const kept = base.exclusionFilters.filter((filter) => !isCoveredBy([filter], extra)).sort(broadestFirst);
  const filters = withoutCoveredPatterns([...extra, ...kept.slice(0, MAX_EXCLUSION_FILTERS - extra.length)]);
  const setting: TargetSetting = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters };
  // A guard: never suggest a setting that is looser than the policy or breaks the pipeline anyway.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,MethodExpression,BlockStatement: unreachable, the cover is taken from filters the policy permits and covers every moved tag (no brute-force property reaches it); `true`, disabled with them, fails every exclusion test.
  if (!isAtLeastAsStrict(setting, policy) || !moved.every((tag) => isTagMutable(setting, tag))) {
    return {
      kind: 'needs-owner',
      // Stryker disable next-line StringLiteral: unreachable, as the guard above.
      reason: `no compliant exclusion covers [${needed.join(', ')}]; needs its owner`,
    };
  }
  return { kind: 'exclusion', setting };
}

/** One non-compliant repository to plan: its name and current setting. */
export interface PlanCandidate {
  readonly repositoryName: string;
  readonly setting: MutabilitySetting;
}

/** Why a repository's history cannot show it safe, for the tags that matter (empty when it can). */
function doubts(
  candidate: PlanCandidate,
  own: readonly PushRecord[],
  unreadable: UnreadableRecords | undefined,
  untagged: readonly UntaggedImage[] | undefined,
  written: TargetSetting,
): string[] {
  const found: string[] = [];
  const digestless = normalizeFilters(
    own.flatMap((push) =>
      push.errorCode === undefined &&
      push.imageTag !== undefined &&
      push.imageDigest === undefined &&
      !isTagMutable(written, push.imageTag)
        ? [push.imageTag]
        : [],
    ),
  );
  if (digestless.length > 0) {
    found.push(
      `CloudTrail records push(es) of [${digestless.join(', ')}] without a digest: cannot tell whether they moved`,
    );
  }
  const unread =
    (unreadable?.byRepository.get(candidate.repositoryName) ?? 0) + (unreadable?.unattributed ?? 0);
  if (unread > 0) {
    found.push(
      `${unread} CloudTrail PutImage record(s) could not be read: one may be a push that moved a tag`,
    );
  }
  // An untagged image is what a moved tag leaves (or a push by digest only): pushed by digest in the
  // window, CloudTrail explains it; otherwise a tag may have moved before the window.
  const explained = new Set(own.map((push) => push.imageDigest));
  const unexplained = (untagged ?? []).filter((image) => !explained.has(image.digest));
  if (unexplained.length > 0) {
    const times = unexplained.flatMap((image) => image.pushedAt ?? []).sort();
    const oldest = times[0] === undefined ? '' : `, the oldest pushed ${times[0]}`;
    found.push(`${unexplained.length} untagged image(s)${oldest}: a tag may have moved before the window`);
  }
  return found;
}

/**
 * The plan for one non-compliant repository, from the account-region's history and, for a repository
 * that history shows safe, its untagged images (`untagged`; undefined when not looked at yet).
 *
 * A moved tag is judged against what a remediation would actually leave mutable (lib/policy.ts
 * `remediationSetting`): a tag the write keeps mutable breaks nothing. `safe-to-flip` only when the
 * plan can know: a push without a digest of a tag the write makes immutable, an unreadable record
 * that may be this repository's, or an untagged image no push of the window explains make it
 * `unknown`, with the reason.
 */
export function planRepository(
  candidate: PlanCandidate,
  history: History,
  policy: StrictnessPolicy,
  untagged?: readonly UntaggedImage[] | undefined,
): RepositoryPlan {
  const none = { movedTags: [], breakingTags: [], pushes: 0, suggestion: undefined };
  if (history.kind === 'unknown') {
    return {
      verdict: 'unknown',
      ...none,
      reason: `CloudTrail history unavailable (${history.reason}); not guessing`,
    };
  }
  if (history.kind === 'no-history') {
    return {
      verdict: 'no-history',
      ...none,
      reason: 'CloudTrail holds no PutImage event in this account and region for the window; not guessing',
    };
  }
  const own = history.pushesByRepository.get(candidate.repositoryName) ?? [];
  const pushes = own.filter((push) => push.errorCode === undefined && push.imageTag !== undefined).length;
  const movedTags = findMovedTags(own);
  const written = remediationSetting(candidate.setting, policy).setting;
  const breakingTags = movedTags.flatMap((moved) => (isTagMutable(written, moved.tag) ? [] : [moved.tag]));
  const unsure = doubts(candidate, own, history.unreadable, untagged, written);
  const harmless = movedTags.filter((moved) => !breakingTags.includes(moved.tag)).map((moved) => moved.tag);
  const stillMutable =
    harmless.length === 0
      ? ''
      : `; [${harmless.join(', ')}] moved but stay mutable under ${describeSetting(written)}`;
  if (breakingTags.length > 0) {
    const suggestion: Suggestion =
      unsure.length > 0
        ? { kind: 'needs-owner', reason: `${unsure.join('; ')}; needs its owner` }
        : suggestExclusion(
            movedTags.map((moved) => moved.tag),
            candidate.setting,
            policy,
          );
    return {
      verdict: 'would-break',
      movedTags,
      breakingTags,
      pushes,
      suggestion,
      reason: `tag(s) ${breakingTags.join(', ')} moved in the window; a push would fail with ${TAG_ALREADY_EXISTS}${stillMutable}`,
    };
  }
  if (unsure.length > 0) {
    return {
      verdict: 'unknown',
      movedTags,
      breakingTags,
      pushes,
      suggestion: undefined,
      reason: `${unsure.join('; ')}; not guessing`,
    };
  }
  return {
    verdict: 'safe-to-flip',
    movedTags,
    breakingTags,
    pushes,
    suggestion: { kind: 'target', setting: written },
    reason: `no tag the write makes immutable moved in ${pushes} push(es) of the window${stillMutable}`,
  };
}

/** The most a tag value may hold (API_Tag). */
const MAX_TAG_VALUE = 256;

/**
 * Text as an exemption tag's value may hold it: ASCII letters, digits, spaces and `_ . : / = + - @`
 * (API_Tag, https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html); every other
 * character, control characters and non-ASCII letters included, becomes `_`. AWS tagging accepts
 * Unicode letters too, but the text comes from image tags (ASCII by the registry's rules) and our own
 * words: keeping to ASCII keeps it printable in every console and accepted by every tagging API.
 */
export function sanitizeTagValue(text: string): string {
  return text.replace(/[^A-Za-z0-9 _.:/=+\-@]/g, '_');
}

/**
 * The exemption tag's value for a staged exemption: names the moved tags (as many as fit, then how many
 * more) and the date, sanitised ({@link sanitizeTagValue}) and at most 256 characters, the date always kept.
 */
export function stagedExemptionReason(movedTags: readonly string[], until: string): string {
  const head = 'ecr-guard plan: moving tags';
  const tail = sanitizeTagValue(` - flip after ${until}`);
  const names = movedTags.map(sanitizeTagValue);
  for (let shown = names.length; shown >= 0; shown -= 1) {
    const more = shown < names.length ? ` and ${names.length - shown} more` : '';
    const listed = names.slice(0, shown).join(' ');
    const text = `${head}${listed === '' ? '' : ` ${listed}`}${more}${tail}`;
    if (text.length <= MAX_TAG_VALUE) return text;
  }
  return `${head} ${names.length}${tail}`.slice(0, MAX_TAG_VALUE);
}
