/**
 * What a sweep invocation is asked to do: the scheduled event or backfill payload it receives, validated
 * into a {@link SweepRequest}, and the opaque resume token ({@link SweepCursor}) it returns when it stops
 * early. Pure: zod schemas and data, no AWS calls. The loop itself is lib/sweep.ts; see
 * docs/architecture.md, "Sweep".
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { Trigger } from './audit.ts';
import { InvalidInputError } from './errors.ts';
import { MAX_PAGE_SIZE, repositoryNameSchema } from './names.ts';
import { formatIssues } from './validation.ts';

/**
 * The resume token never exceeds 64 KiB, for any repository names: a quarter of Step Functions'
 * 256 KiB state limit (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), which
 * also carries the rest of the state. A full sweep's token holds the ECR page token of the page it
 * stopped in and an 11-character digest per repository of that page already decided (at most 1000,
 * ≈ 19 KiB encoded), never the names themselves; a sweep of given names holds the names left, and
 * the names a payload may give are bounded so that those always fit. See docs/architecture.md.
 */
export const MAX_TOKEN_CHARS = 65_536;
/** Names given in one payload, as JSON: base64url of at most this (+ the cursor's fields) stays under {@link MAX_TOKEN_CHARS}. */
export const MAX_NAMES_JSON_CHARS = 46_000;
/** ECR's page tokens are opaque; a longer one would not leave room in ours (real ones are a few hundred characters). */
const MAX_PAGE_TOKEN_CHARS = 16_384;

/** The backfill payload (docs/architecture.md, "Sweep"), plus the trigger the state machine passes for scheduled runs. */
const SweepPayloadSchema = z.strictObject({
  dryRun: z.optional(z.boolean()),
  repositoryNames: z.optional(
    z.array(repositoryNameSchema).check(
      z.minLength(1, 'must not be empty'),
      z.refine(
        (names) => JSON.stringify(names).length <= MAX_NAMES_JSON_CHARS,
        `must be at most ${MAX_NAMES_JSON_CHARS} characters as JSON (the names left to do travel in the resume token); split the backfill`,
      ),
    ),
  ),
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_TOKEN_CHARS))),
  maxRepositories: z.optional(z.int().check(z.gte(1), z.lte(1_000_000))),
  trigger: z.optional(z.enum(['sweep', 'backfill'])),
});

/** An EventBridge scheduled event (rule schedule or EventBridge Scheduler). */
const ScheduledEventSchema = z.looseObject({
  source: z.enum(['aws.events', 'aws.scheduler']),
  'detail-type': z.literal('Scheduled Event'),
});

/** What a sweep invocation was asked to do, after validation. */
export interface SweepRequest {
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly repositoryNames: readonly string[] | undefined;
  readonly resume: SweepCursor | undefined;
  readonly maxRepositories: number | undefined;
}

/**
 * Where a sweep stopped, encoded as the opaque `nextToken`; it carries `dryRun` and `trigger` so a
 * resumed invocation needs nothing else.
 * - `all`: list again from the ECR page token `from` (null: the registry's first page) and skip the
 *   repositories of that page whose {@link nameDigest} is in `done`: they were decided already.
 * - `names`: the given names not decided yet.
 */
export type SweepCursor =
  | {
      readonly mode: 'all';
      readonly from: string | null;
      readonly done: readonly string[];
      readonly dryRun: boolean;
      readonly trigger: Trigger;
    }
  | {
      readonly mode: 'names';
      readonly pending: readonly string[];
      readonly dryRun: boolean;
      readonly trigger: Trigger;
    };

/** 66 bits of SHA-256 of a repository name: a collision within one page of 1000 is about 1 in 10^14. */
export function nameDigest(name: string): string {
  return createHash('sha256').update(name).digest('base64url').slice(0, 11);
}

const TriggerSchema = z.enum(['event', 'sweep', 'backfill']);
const CursorSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    v: z.literal(2),
    mode: z.literal('all'),
    from: z.nullable(z.string().check(z.minLength(1), z.maxLength(MAX_PAGE_TOKEN_CHARS))),
    done: z.array(z.string().check(z.length(11))).check(z.maxLength(MAX_PAGE_SIZE)),
    dryRun: z.boolean(),
    trigger: TriggerSchema,
  }),
  z.strictObject({
    v: z.literal(2),
    mode: z.literal('names'),
    pending: z.array(repositoryNameSchema),
    dryRun: z.boolean(),
    trigger: TriggerSchema,
  }),
]);

/** @throws RangeError when the cursor would exceed {@link MAX_TOKEN_CHARS} (an ECR page token of 16 KiB or more). */
export function encodeCursor(cursor: SweepCursor): string {
  const token = Buffer.from(JSON.stringify({ v: 2, ...cursor }), 'utf8').toString('base64url');
  if (token.length > MAX_TOKEN_CHARS) {
    throw new RangeError(`resume token of ${token.length} characters exceeds ${MAX_TOKEN_CHARS}`);
  }
  return token;
}

/** @throws InvalidInputError when the token was not produced by {@link encodeCursor}. */
export function decodeCursor(token: string): SweepCursor {
  let json: unknown;
  // Stryker disable BlockStatement: the catch block emptied is equivalent (the schema below refuses the undefined left behind with the same error); the try block emptied, disabled with it, fails every round trip.
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError(['nextToken: not a token returned by a previous sweep']);
  }
  // Stryker restore BlockStatement
  const result = CursorSchema.safeParse(json);
  if (!result.success) throw new InvalidInputError(['nextToken: not a token returned by a previous sweep']);
  const { v: _version, ...cursor } = result.data;
  return cursor;
}

/**
 * Validates a sweep invocation's input: a scheduled event, or a backfill payload.
 *
 * @throws InvalidInputError naming each bad field (unknown keys included).
 */
export function parseSweepInput(input: unknown, configDryRun: boolean): SweepRequest {
  if (ScheduledEventSchema.safeParse(input).success) {
    return {
      trigger: 'sweep',
      dryRun: configDryRun,
      repositoryNames: undefined,
      resume: undefined,
      maxRepositories: undefined,
    };
  }
  const result = SweepPayloadSchema.safeParse(input ?? {});
  if (!result.success) throw new InvalidInputError(formatIssues(result.error));
  const payload = result.data;
  if (payload.nextToken !== undefined && payload.repositoryNames !== undefined) {
    throw new InvalidInputError([
      'repositoryNames: cannot be combined with nextToken (the token already carries the remaining names)',
    ]);
  }
  const resume = payload.nextToken === undefined ? undefined : decodeCursor(payload.nextToken);
  // A deployment in dry-run never writes, whatever the payload says; a payload may only add dry-run.
  const dryRun = configDryRun || payload.dryRun === true || resume?.dryRun === true;
  return {
    trigger: resume?.trigger ?? payload.trigger ?? 'backfill',
    dryRun,
    repositoryNames:
      payload.repositoryNames === undefined ? undefined : [...new Set(payload.repositoryNames)],
    resume,
    maxRepositories: payload.maxRepositories,
  };
}
