/**
 * The CloudTrail `PutImage` history of an account-region as the roll-out plan (lib/plan.ts) reads it: one
 * record read as a push (never guessed at when it cannot be read), the pushes grouped by repository, the
 * tags that moved (pushed with more than one digest in the window), and what the lookup could tell.
 * Pure: records in, facts out. Record fields:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html
 */
import * as z from 'zod/mini';
import { jsonOrUndefined } from './validation.ts';

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
  // Text that is not JSON reads as undefined, which the schema refuses like any other unreadable record.
  const value = typeof record === 'string' ? jsonOrUndefined(record) : record;
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
  for (const tag of [...byTag.keys()].sort()) {
    const ordered = [...(byTag.get(tag) ?? [])].sort(
      (a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime),
    );
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
      // Stryker disable next-line StringLiteral: unreachable, a tag that moved has at least two pushes, so `last` is defined.
      lastPushedAt: last?.eventTime ?? '',
    });
  }
  return moved;
}

/**
 * CloudTrail records the lookup returned but could not read as a push (not JSON, fields missing, or a
 * field CloudTrail truncated and marked `omitted`): any of them may be a push that moved a tag.
 */
export interface UnreadableRecords {
  /** Unreadable records per repository LookupEvents names in their `Resources`. */
  readonly byRepository: ReadonlyMap<string, number>;
  /** Unreadable records that name no repository: they may belong to any. */
  readonly unattributed: number;
}

/**
 * What CloudTrail could tell about the account-region:
 * - `events`: the lookup covered the window (possibly with no push at all for a repository);
 * - `no-history`: the lookup worked but found no `PutImage` at all in the account-region (no trail
 *   history to go on, e.g. a new account or nothing pushed);
 * - `unknown`: the lookup failed (`reason` says why).
 */
export type History =
  | {
      readonly kind: 'events';
      readonly pushesByRepository: ReadonlyMap<string, readonly PushRecord[]>;
      readonly unreadable?: UnreadableRecords | undefined;
    }
  | { readonly kind: 'no-history' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** An image without tags (DescribeImages, `tagStatus: UNTAGGED`): what a moved tag leaves behind. */
export interface UntaggedImage {
  readonly digest: string;
  /** ISO 8601 time of its push, when ECR said. */
  readonly pushedAt: string | undefined;
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
