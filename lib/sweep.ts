/**
 * The sweep: a full pass over the registry (or over given names) that decides every repository
 * with the same policy as the guardrail and fixes drift. Bounded, adaptive concurrency; stops
 * starting work before a deadline and returns a token that resumes exactly where it stopped.
 * It talks to ECR only through the {@link EcrAdapter} interface.
 */
import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import * as z from 'zod/mini';
import {
  type AuditRecord,
  failedRecord,
  goneRecord,
  type Trigger,
  templateFailedRecord,
  templatesUnlistedRecord,
} from './audit.ts';
import { type EcrAdapter, MAX_NAMES_PER_DESCRIBE, MAX_PAGE_SIZE } from './ecr.ts';
import { type EnforceOptions, enforceRepository, enforceTemplate } from './enforce.ts';
import { EcrCallError, InvalidInputError } from './errors.ts';
import { repositoryNameSchema } from './names.ts';
import type { Policy, RepositoryFacts } from './policy.ts';
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

/** The backfill payload (DESIGN.md), plus the trigger the state machine passes for scheduled runs. */
export const SweepPayloadSchema = z.strictObject({
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
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError(['nextToken: not a token returned by a previous sweep']);
  }
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

export interface SweepDependencies {
  readonly ecr: EcrAdapter;
  readonly policy: Policy;
  readonly region: string;
  readonly registryId?: string | undefined;
  readonly now: () => Date;
  /** Milliseconds left before the invocation must have returned (Lambda context). */
  readonly remainingMs: () => number;
  /** Stop starting work when fewer milliseconds than this remain. */
  readonly safetyMarginMs: number;
  readonly maxConcurrency: number;
  readonly record: (record: AuditRecord) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Extra attempts per repository after a throttling/5xx error outlasted the SDK's retries. */
  readonly repositoryRetries?: number;
  /** Check (and fix) repository creation templates at the start of a fresh full sweep. */
  readonly checkCreationTemplates?: boolean;
  /** Called after each page or batch, for progress displays. */
  readonly onProgress?: (progress: { scanned: number }) => void;
}

export interface SweepResult {
  readonly scanned: number;
  /** Repositories whose decision was to remediate (written, would be written, or failed to be written). */
  readonly nonCompliant: number;
  readonly nextToken: string | undefined;
  /** Errors that outlasted the SDK's retries and made us retry a repository ourselves. */
  readonly retriedErrors: number;
}

/**
 * Additive-increase / multiplicative-decrease limit on concurrent repositories: halves on a
 * throttling error that outlasted the SDK's adaptive retries, grows by one after a run of successes.
 */
export class ConcurrencyLimit {
  readonly max: number;
  current: number;
  #successes = 0;

  constructor(max: number) {
    this.max = Math.max(1, max);
    this.current = this.max;
  }

  onThrottled(): void {
    this.current = Math.max(1, Math.floor(this.current / 2));
    this.#successes = 0;
  }

  onSuccess(): void {
    this.#successes += 1;
    if (this.current < this.max && this.#successes >= this.current * 4) {
      this.current += 1;
      this.#successes = 0;
    }
  }
}

const realSleep = (ms: number): Promise<void> => setTimeout(ms);

/**
 * Runs one sweep invocation.
 *
 * Every repository listed in this invocation ends in exactly one record (compliant, remediated,
 * would-remediate, exempt, gone or failed) or in the returned token's `pending` list, never both.
 */
export async function runSweep(request: SweepRequest, deps: SweepDependencies): Promise<SweepResult> {
  const sleep = deps.sleep ?? realSleep;
  const repositoryRetries = deps.repositoryRetries ?? 3;
  const limit = new ConcurrencyLimit(deps.maxConcurrency);
  const options: EnforceOptions = {
    ecr: deps.ecr,
    policy: deps.policy,
    dryRun: request.dryRun,
    now: deps.now(),
    trigger: request.trigger,
    region: deps.region,
  };
  let scanned = 0;
  let nonCompliant = 0;
  let retriedErrors = 0;

  const budgetLeft = () => deps.remainingMs() > deps.safetyMarginMs;
  const quotaLeft = () => request.maxRepositories === undefined || scanned < request.maxRepositories;
  // Always start at least one repository per invocation, so a resumed sweep makes progress even
  // when the safety margin is (mis)configured larger than the time the function has.
  const mayStart = () => (budgetLeft() || scanned === 0) && quotaLeft();

  function recordOf(record: AuditRecord): void {
    if (record.outcome === 'remediated' || record.outcome === 'would-remediate') nonCompliant += 1;
    deps.record(record);
  }

  /**
   * Runs `call`, retrying throttling and server errors that outlasted the SDK's own retries with
   * full-jitter exponential backoff (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
   * `withinBudget` stops retrying when the deadline nears; `slowDown` also halves the concurrency.
   */
  async function retrying<T>(
    call: () => Promise<T>,
    { withinBudget, slowDown }: { withinBudget: boolean; slowDown: boolean },
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retryable = error instanceof EcrCallError && error.retryable;
        if (!retryable || attempt >= repositoryRetries || (withinBudget && !budgetLeft())) throw error;
        retriedErrors += 1;
        if (slowDown) limit.onThrottled();
        await sleep(Math.random() * Math.min(20_000, 500 * 2 ** attempt));
      }
    }
  }

  async function decideOne(facts: RepositoryFacts): Promise<void> {
    try {
      recordOf(
        await retrying(() => enforceRepository(facts, options), { withinBudget: true, slowDown: true }),
      );
      limit.onSuccess();
    } catch (error) {
      nonCompliant += 1;
      deps.record(failedRecord(facts, error, options));
    }
  }

  /**
   * Decides `repositories` in order with at most `limit.current` in flight. Returns how many were
   * started; those all finished. The rest were never touched and belong in the resume token.
   */
  async function decideAll(repositories: readonly RepositoryFacts[]): Promise<number> {
    let started = 0;
    const inflight = new Set<Promise<void>>();
    while (started < repositories.length && mayStart()) {
      while (inflight.size >= limit.current) await Promise.race(inflight);
      if (!mayStart()) break;
      const facts = repositories[started];
      if (facts === undefined) break;
      started += 1;
      scanned += 1;
      const task: Promise<void> = decideOne(facts).finally(() => inflight.delete(task));
      inflight.add(task);
    }
    await Promise.all(inflight);
    return started;
  }

  /** Describes names in batches of 100 and decides them; returns the names not started. */
  async function decideNames(names: readonly string[]): Promise<string[]> {
    let index = 0;
    while (index < names.length && mayStart()) {
      const batch = names.slice(index, index + MAX_NAMES_PER_DESCRIBE);
      let described: Awaited<ReturnType<EcrAdapter['describeRepositoriesByName']>>;
      try {
        // A whole batch of up to 100 repositories is at stake: one throttled call must not fail them all.
        described = await retrying(() => deps.ecr.describeRepositoriesByName(deps.registryId, batch), {
          withinBudget: true,
          slowDown: true,
        });
      } catch (error) {
        // The batch could not be read at all: each name is failed and counted, never skipped.
        for (const name of batch) {
          scanned += 1;
          deps.record(failedRecord({ repositoryName: name, registryId: deps.registryId }, error, options));
        }
        index += batch.length;
        continue;
      }
      for (const name of described.missing) {
        scanned += 1;
        deps.record(
          goneRecord(
            { repositoryName: name, registryId: deps.registryId },
            'repository does not exist',
            options,
          ),
        );
      }
      const byName = new Map(described.found.map((facts) => [facts.repositoryName, facts]));
      const ordered = batch.flatMap((name) => {
        const facts = byName.get(name);
        return facts === undefined ? [] : [facts];
      });
      const started = await decideAll(ordered);
      deps.onProgress?.({ scanned });
      if (started < ordered.length) {
        const notStarted = new Set(ordered.slice(started).map((facts) => facts.repositoryName));
        return [...batch.filter((name) => notStarted.has(name)), ...names.slice(index + batch.length)];
      }
      index += batch.length;
    }
    return names.slice(index);
  }

  /** A page we cannot read is not skipped: retried, then the invocation fails so the caller retries it. */
  function listPage(token: string | undefined) {
    return retrying(
      () =>
        deps.ecr.listRepositoryPage({
          registryId: deps.registryId,
          nextToken: token,
          pageSize: MAX_PAGE_SIZE,
        }),
      { withinBudget: false, slowDown: false },
    );
  }

  /** Repository creation templates decide how repositories ECR creates itself are born. */
  async function checkTemplates(): Promise<void> {
    let token: string | undefined;
    do {
      const page = await deps.ecr.listCreationTemplatePage({ registryId: deps.registryId, nextToken: token });
      for (const template of page.templates) {
        try {
          deps.record(await enforceTemplate(template, options));
        } catch (error) {
          deps.record(templateFailedRecord(template, error, options));
        }
      }
      token = page.nextToken;
    } while (token !== undefined);
  }

  type Position =
    | { readonly mode: 'all'; readonly from: string | null; readonly done: readonly string[] }
    | { readonly mode: 'names'; readonly pending: readonly string[] };
  const finish = (position: Position | undefined): SweepResult => ({
    scanned,
    nonCompliant,
    retriedErrors,
    nextToken:
      position === undefined
        ? undefined
        : encodeCursor({ ...position, dryRun: request.dryRun, trigger: request.trigger }),
  });

  // Checking given names (a backfill of a list, or its resumption): each distinct name decided once.
  const names =
    request.resume?.mode === 'names'
      ? request.resume.pending
      : request.resume === undefined && request.repositoryNames !== undefined
        ? [...new Set(request.repositoryNames)]
        : undefined;
  if (names !== undefined) {
    const rest = await decideNames(names);
    return finish(rest.length > 0 ? { mode: 'names', pending: rest } : undefined);
  }

  if (deps.checkCreationTemplates === true && request.resume === undefined) {
    try {
      await checkTemplates();
    } catch (error) {
      // Listing templates failed after retries: recorded, and the repository sweep still runs.
      deps.record(templatesUnlistedRecord(deps.registryId, error, options));
    }
  }

  // Listing the whole registry, 1000 repositories a page (the API maximum): ceil(N/1000) describes.
  // A resumed sweep lists the page it stopped in again and skips what it had decided there.
  let from = request.resume?.mode === 'all' ? request.resume.from : null;
  let done: ReadonlySet<string> = new Set(request.resume?.mode === 'all' ? request.resume.done : []);
  for (;;) {
    if (!mayStart() && scanned > 0) return finish({ mode: 'all', from, done: [...done] });
    const page = await listPage(from ?? undefined);
    const todo = page.repositories.filter((facts) => !done.has(nameDigest(facts.repositoryName)));
    const started = await decideAll(todo);
    deps.onProgress?.({ scanned });
    if (started < todo.length) {
      // Only this page's digests: bounded by the page size, whatever the names' lengths.
      const undecided = new Set(todo.slice(started).map((facts) => facts.repositoryName));
      const decided = page.repositories
        .filter((facts) => !undecided.has(facts.repositoryName))
        .map((facts) => nameDigest(facts.repositoryName));
      return finish({ mode: 'all', from, done: decided });
    }
    if (page.nextToken === undefined) return finish(undefined);
    from = page.nextToken;
    done = new Set();
  }
}
