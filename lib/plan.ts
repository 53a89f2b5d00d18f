/**
 * The roll-out plan: which non-compliant repositories can be flipped to the target now, and which
 * would break a pipeline that re-pushes a moving tag (`latest`, `dev`). Pure: CloudTrail `PutImage`
 * records in, a verdict and a suggestion per repository out (the suggestion follows docs/architecture.md, "Strictness"; usage: README, "Rolling out safely").
 *
 * A tag pushed with more than one digest in the window has *moved*: after the flip ECR refuses that
 * push with `ImageTagAlreadyExistsException` (API_PutImage,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html).
 * Record fields: https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html
 */
import * as z from 'zod/mini';
import {
  EXCLUSION_FILTER_PATTERN,
  isAtLeastAsStrict,
  MAX_EXCLUSION_FILTERS,
  normalizeFilters,
  permittedFilters,
  type StrictnessPolicy,
  type TargetSetting,
} from './policy.ts';
import { coveringFilters, isCoveredBy } from './wildcard.ts';

/** The error ECR answers a push that would move an immutable tag with. */
export const TAG_ALREADY_EXISTS = 'ImageTagAlreadyExistsException';

/** One `PutImage` call as CloudTrail recorded it, reduced to what the plan reads. */
export interface PushRecord {
  readonly repositoryName: string;
  /** Undefined for a push by digest only (no tag to move). */
  readonly imageTag: string | undefined;
  /** Undefined for a failed call (no `responseElements`). */
  readonly imageDigest: string | undefined;
  readonly actor: string | undefined;
  readonly sourceIp: string | undefined;
  readonly registryId: string | undefined;
  readonly region: string | undefined;
  /** ISO 8601 time of the call. */
  readonly eventTime: string;
  readonly eventId: string | undefined;
  readonly errorCode: string | undefined;
}

const PutImageRecordSchema = z.looseObject({
  eventName: z.literal('PutImage'),
  eventTime: z.string().check(z.minLength(1)),
  eventID: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  errorCode: z.nullish(z.string()),
  sourceIPAddress: z.optional(z.string()),
  recipientAccountId: z.optional(z.string()),
  userIdentity: z.nullish(z.looseObject({ arn: z.optional(z.string()), invokedBy: z.optional(z.string()) })),
  requestParameters: z.looseObject({
    repositoryName: z.string().check(z.minLength(1)),
    imageTag: z.nullish(z.string()),
    registryId: z.nullish(z.string()),
  }),
  responseElements: z.nullish(
    z.looseObject({
      image: z.nullish(
        z.looseObject({
          imageId: z.nullish(z.looseObject({ imageDigest: z.nullish(z.string()) })),
        }),
      ),
    }),
  ),
});

/**
 * Reads one CloudTrail record (a LookupEvents `CloudTrailEvent` string, or its parsed object) as a
 * push; undefined when it is not a readable `PutImage` record (it is skipped, not guessed at).
 */
export function parsePushRecord(record: unknown): PushRecord | undefined {
  let value = record;
  if (typeof record === 'string') {
    try {
      value = JSON.parse(record);
    } catch {
      return undefined;
    }
  }
  const parsed = PutImageRecordSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const data = parsed.data;
  return {
    repositoryName: data.requestParameters.repositoryName,
    imageTag: data.requestParameters.imageTag ?? undefined,
    imageDigest: data.responseElements?.image?.imageId?.imageDigest ?? undefined,
    actor: data.userIdentity?.arn ?? data.userIdentity?.invokedBy,
    sourceIp: data.sourceIPAddress,
    registryId: data.requestParameters.registryId ?? data.recipientAccountId,
    region: data.awsRegion,
    eventTime: data.eventTime,
    eventId: data.eventID,
    errorCode: data.errorCode ?? undefined,
  };
}

/** A tag that pointed at more than one digest in the window. */
export interface MovedTag {
  readonly tag: string;
  /** Distinct digests the tag was pushed with. */
  readonly digests: number;
  /** Times it moved: successful pushes that changed its digest. */
  readonly moves: number;
  readonly lastPusher: string | undefined;
  readonly lastPushedAt: string;
}

/** The moving tags of one repository's successful pushes, sorted by tag. */
export function findMovedTags(pushes: readonly PushRecord[]): MovedTag[] {
  const byTag = new Map<string, PushRecord[]>();
  for (const push of pushes) {
    if (push.errorCode !== undefined || push.imageTag === undefined || push.imageDigest === undefined)
      continue;
    const list = byTag.get(push.imageTag) ?? [];
    list.push(push);
    byTag.set(push.imageTag, list);
  }
  const moved: MovedTag[] = [];
  for (const [tag, list] of byTag) {
    const ordered = [...list].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
    const digests = new Set(ordered.map((push) => push.imageDigest));
    if (digests.size < 2) continue;
    let moves = 0;
    for (let index = 1; index < ordered.length; index += 1) {
      if (ordered[index]?.imageDigest !== ordered[index - 1]?.imageDigest) moves += 1;
    }
    const last = ordered[ordered.length - 1];
    moved.push({
      tag,
      digests: digests.size,
      moves,
      lastPusher: last?.actor,
      lastPushedAt: last?.eventTime ?? '',
    });
  }
  return moved.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/**
 * What CloudTrail could tell about the account-region:
 * - `events`: the lookup covered the window (possibly with no push at all for a repository);
 * - `no-history`: the lookup worked but found no `PutImage` at all in the account-region (no trail
 *   history to go on, e.g. a new account or nothing pushed);
 * - `unknown`: the lookup failed (`reason` says why).
 */
export type History =
  | { readonly kind: 'events'; readonly pushesByRepository: ReadonlyMap<string, readonly PushRecord[]> }
  | { readonly kind: 'no-history' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The setting the plan suggests, or why it cannot. */
export type Suggestion =
  | { readonly kind: 'target'; readonly setting: TargetSetting }
  | { readonly kind: 'exclusion'; readonly setting: TargetSetting }
  | { readonly kind: 'needs-owner'; readonly reason: string };

export type Verdict = 'safe-to-flip' | 'would-break' | 'no-history' | 'unknown';

export interface RepositoryPlan {
  readonly verdict: Verdict;
  readonly movedTags: readonly MovedTag[];
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
  const useful = normalizeFilters(candidates)
    .map((filter) => ({ filter, covers: wanted.filter((tag) => coveringFilters(tag, [filter]).length > 0) }))
    .filter((entry) => entry.covers.length > 0)
    .sort(
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
  for (let index = from; index <= useful.length - (size - chosen.length); index += 1) {
    const entry = useful[index];
    if (entry === undefined) continue;
    chosen.push(entry.filter);
    const found = searchCover(useful, wanted, size, index + 1, chosen);
    chosen.pop();
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The setting to suggest for a repository whose `moved` tags must stay mutable: the target's
 * filters plus the fewest filters from the policy's permitted ones (or the exact tag names, when a
 * permitted filter covers them) that cover those tags, when the result is at least as strict as
 * the policy (lib/policy.ts `isAtLeastAsStrict`); else the repository needs its owner.
 */
export function suggestExclusion(moved: readonly string[], policy: StrictnessPolicy): Suggestion {
  const permitted = permittedFilters(policy);
  const outside = moved.filter((tag) => coveringFilters(tag, permitted).length === 0);
  if (outside.length > 0) {
    return {
      kind: 'needs-owner',
      reason: `moved tags [${outside.join(', ')}] are not within the allowed exclusions; needs its owner`,
    };
  }
  const base = normalizeFilters(policy.target.exclusionFilters);
  const remaining = moved.filter((tag) => !isCoveredBy([tag], base));
  // Exact tag names are allowed (each is covered by a permitted filter): prefer them over wildcards.
  // A tag longer than a filter may be (128 characters) can only be covered by a wildcard.
  const exact = remaining.filter((tag) => EXCLUSION_FILTER_PATTERN.test(tag));
  const extra = smallestCoveringFilters(
    remaining,
    [...permitted, ...exact],
    MAX_EXCLUSION_FILTERS - base.length,
  );
  const filters = extra === undefined ? undefined : normalizeFilters([...base, ...extra]);
  if (filters === undefined || filters.length === 0 || filters.length > MAX_EXCLUSION_FILTERS) {
    return {
      kind: 'needs-owner',
      reason: `moved tags [${moved.join(', ')}] need more than ${MAX_EXCLUSION_FILTERS} exclusion filters; needs its owner`,
    };
  }
  const setting: TargetSetting = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: filters };
  if (!isAtLeastAsStrict(setting, policy) || !isCoveredBy(moved, filters)) {
    return {
      kind: 'needs-owner',
      reason: `no compliant exclusion covers [${moved.join(', ')}]; needs its owner`,
    };
  }
  return { kind: 'exclusion', setting };
}

/** The plan for one non-compliant repository, from the account-region's history. */
export function planRepository(
  repositoryName: string,
  history: History,
  policy: StrictnessPolicy,
): RepositoryPlan {
  if (history.kind === 'unknown') {
    return {
      verdict: 'unknown',
      movedTags: [],
      pushes: 0,
      suggestion: undefined,
      reason: `CloudTrail history unavailable (${history.reason}); not guessing`,
    };
  }
  if (history.kind === 'no-history') {
    return {
      verdict: 'no-history',
      movedTags: [],
      pushes: 0,
      suggestion: undefined,
      reason: 'CloudTrail holds no PutImage event in this account and region for the window; not guessing',
    };
  }
  const own = history.pushesByRepository.get(repositoryName) ?? [];
  const pushes = own.filter((push) => push.errorCode === undefined && push.imageTag !== undefined).length;
  const movedTags = findMovedTags(own);
  if (movedTags.length === 0) {
    return {
      verdict: 'safe-to-flip',
      movedTags,
      pushes,
      suggestion: { kind: 'target', setting: policy.target },
      reason: `no tag moved in ${pushes} push(es) of the window`,
    };
  }
  const names = movedTags.map((moved) => moved.tag);
  const suggestion = suggestExclusion(names, policy);
  return {
    verdict: 'would-break',
    movedTags,
    pushes,
    suggestion,
    reason: `tag(s) ${names.join(', ')} moved in the window; a push would fail with ${TAG_ALREADY_EXISTS}`,
  };
}

/** The pushes grouped by repository name (one pass; the plan reads each group). */
export function groupPushes(pushes: readonly PushRecord[]): Map<string, PushRecord[]> {
  const groups = new Map<string, PushRecord[]>();
  for (const push of pushes) {
    const list = groups.get(push.repositoryName) ?? [];
    list.push(push);
    groups.set(push.repositoryName, list);
  }
  return groups;
}

/**
 * The exemption tag's value for a staged exemption: names the moved tags and the date, in the
 * characters a tag value may hold (letters, digits, spaces and `_ . : / = + - @`, at most 256;
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html).
 */
export function stagedExemptionReason(movedTags: readonly string[], until: string): string {
  const text = `ecr-guard plan: moving tags ${movedTags.join(' ')} - flip after ${until}`;
  return text.length > 256 ? text.slice(0, 256).trimEnd() : text;
}
