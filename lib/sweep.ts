/**
 * The sweep: a full pass over the registry (or over given names) that decides every repository
 * with the same policy as the guardrail and fixes drift. Bounded, adaptive concurrency
 * (lib/concurrency.ts); stops starting work before a deadline and returns a token
 * (lib/sweep-input.ts) that resumes exactly where it stopped. It talks to ECR only through the
 * {@link EcrAdapter} interface. See docs/architecture.md, "Sweep".
 *
 * One invocation is {@link runSweep}: its steps are the functions below, sharing a {@link SweepRun}.
 */
import {
  type AuditRecord,
  failedRecord,
  goneRecord,
  templateFailedRecord,
  templatesUnlistedRecord,
} from './audit.ts';
import { isRetryableAnswer, retry, type Sleep } from './aws-retry.ts';
import { ConcurrencyLimit } from './concurrency.ts';
import type { EcrAdapter } from './ecr.ts';
import { type EnforceOptions, enforceRepository, enforceTemplate } from './enforce.ts';
import { MAX_NAMES_PER_DESCRIBE, MAX_PAGE_SIZE } from './names.ts';
import { pageTokens } from './pagination.ts';
import type { Policy, RepositoryFacts } from './policy.ts';
import { encodeCursor, nameDigest, type SweepRequest } from './sweep-input.ts';

/** What the sweep core needs from its caller (the sweep Lambda, the CLI, the organisation runner). */
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
  readonly sleep?: Sleep;
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

/** The state one invocation's steps share: what it was asked, what it has, and what it counted. */
interface SweepRun {
  readonly request: SweepRequest;
  readonly deps: SweepDependencies;
  readonly options: EnforceOptions;
  readonly limit: ConcurrencyLimit;
  scanned: number;
  nonCompliant: number;
  retriedErrors: number;
}

/** Where the next invocation resumes: {@link SweepCursor} without what the request already carries. */
type Position =
  | { readonly mode: 'all'; readonly from: string | null; readonly done: readonly string[] }
  | { readonly mode: 'names'; readonly pending: readonly string[] };

/**
 * Runs one sweep invocation.
 *
 * Every repository listed in this invocation ends in exactly one record (compliant, remediated,
 * would-remediate, exempt, gone or failed) or in the returned token's `pending` list, never both.
 */
export async function runSweep(request: SweepRequest, deps: SweepDependencies): Promise<SweepResult> {
  const run = startRun(request, deps);
  const names = namesToCheck(request);
  if (names !== undefined) return finish(run, await sweepNames(run, names));
  if (deps.checkCreationTemplates === true && request.resume === undefined) await checkTemplates(run);
  return finish(run, await sweepRegistry(run));
}

function startRun(request: SweepRequest, deps: SweepDependencies): SweepRun {
  return {
    request,
    deps,
    options: {
      ecr: deps.ecr,
      policy: deps.policy,
      dryRun: request.dryRun,
      now: deps.now(),
      trigger: request.trigger,
      region: deps.region,
    },
    limit: new ConcurrencyLimit(deps.maxConcurrency),
    scanned: 0,
    nonCompliant: 0,
    retriedErrors: 0,
  };
}

/** The given names (a backfill of a list, or its resumption), each once; undefined for a full sweep. */
function namesToCheck(request: SweepRequest): readonly string[] | undefined {
  if (request.resume !== undefined)
    return request.resume.mode === 'names' ? request.resume.pending : undefined;
  return request.repositoryNames === undefined ? undefined : [...new Set(request.repositoryNames)];
}

function finish(run: SweepRun, position: Position | undefined): SweepResult {
  return {
    scanned: run.scanned,
    nonCompliant: run.nonCompliant,
    retriedErrors: run.retriedErrors,
    nextToken:
      position === undefined
        ? undefined
        : encodeCursor({ ...position, dryRun: run.request.dryRun, trigger: run.request.trigger }),
  };
}

const budgetLeft = (run: SweepRun) => run.deps.remainingMs() > run.deps.safetyMarginMs;

/**
 * Whether another repository may start. Always at least one per invocation, so a resumed sweep makes
 * progress even when the safety margin is (mis)configured larger than the time the function has.
 */
function mayStart(run: SweepRun): boolean {
  const quotaLeft = run.request.maxRepositories === undefined || run.scanned < run.request.maxRepositories;
  return (budgetLeft(run) || run.scanned === 0) && quotaLeft;
}

/**
 * Runs `call`, retrying ECR throttling and server errors that outlasted the SDK's own retries
 * (lib/aws-retry.ts); a call that went unanswered already had its one time limit and is not retried
 * again. No retry starts once the deadline nears; `slowDown` also halves the concurrency.
 */
function retrying<T>(run: SweepRun, call: () => Promise<T>, { slowDown }: { slowDown: boolean }): Promise<T> {
  return retry(call, {
    retries: run.deps.repositoryRetries ?? 3,
    sleep: run.deps.sleep,
    isRetryable: isRetryableAnswer,
    canRetry: () => budgetLeft(run),
    onRetry: () => {
      run.retriedErrors += 1;
      if (slowDown) run.limit.onThrottled();
    },
  });
}

/** Decides one repository; a failure that outlasted the retries is its `failed` record. */
async function decideOne(run: SweepRun, facts: RepositoryFacts): Promise<void> {
  try {
    const record = await retrying(run, () => enforceRepository(facts, run.options), { slowDown: true });
    if (record.outcome === 'remediated' || record.outcome === 'would-remediate') run.nonCompliant += 1;
    run.deps.record(record);
    run.limit.onSuccess();
  } catch (error) {
    run.nonCompliant += 1;
    run.deps.record(failedRecord(facts, error, run.options));
  }
}

/**
 * Decides `repositories` in order with at most `limit.current` in flight. Returns how many were
 * started; those all finished. The rest were never touched and belong in the resume token.
 */
async function decideAll(run: SweepRun, repositories: readonly RepositoryFacts[]): Promise<number> {
  let started = 0;
  const inflight = new Set<Promise<void>>();
  // Stryker disable next-line EqualityOperator,LogicalOperator,ConditionalExpression: equivalent when it lets the loop go on (`<=`, `||`, `true`): the checks inside stop it; `false` would decide nothing and fail every sweep test.
  while (started < repositories.length && mayStart(run)) {
    while (inflight.size >= run.limit.current) await Promise.race(inflight);
    if (!mayStart(run)) break;
    const facts = repositories[started];
    if (facts === undefined) break;
    started += 1;
    run.scanned += 1;
    const task: Promise<void> = decideOne(run, facts).finally(() => inflight.delete(task));
    inflight.add(task);
  }
  await Promise.all(inflight);
  return started;
}

/** Describes given names in batches of 100 and decides them; the position holds the names not started. */
async function sweepNames(run: SweepRun, names: readonly string[]): Promise<Position | undefined> {
  const { deps } = run;
  let index = 0;
  while (index < names.length && mayStart(run)) {
    const batch = names.slice(index, index + MAX_NAMES_PER_DESCRIBE);
    let described: Awaited<ReturnType<EcrAdapter['describeRepositoriesByName']>>;
    try {
      // A whole batch of up to 100 repositories is at stake: one throttled call must not fail them all.
      described = await retrying(run, () => deps.ecr.describeRepositoriesByName(deps.registryId, batch), {
        slowDown: true,
      });
    } catch (error) {
      // The batch could not be read at all: each name is failed and counted, never skipped.
      for (const name of batch) {
        run.scanned += 1;
        deps.record(failedRecord({ repositoryName: name, registryId: deps.registryId }, error, run.options));
      }
      index += batch.length;
      continue;
    }
    for (const name of described.missing) {
      run.scanned += 1;
      deps.record(
        goneRecord(
          { repositoryName: name, registryId: deps.registryId },
          'repository does not exist',
          run.options,
        ),
      );
    }
    const byName = new Map(described.found.map((facts) => [facts.repositoryName, facts]));
    const ordered = batch.flatMap((name) => {
      const facts = byName.get(name);
      return facts === undefined ? [] : [facts];
    });
    const started = await decideAll(run, ordered);
    deps.onProgress?.({ scanned: run.scanned });
    if (started < ordered.length) {
      const notStarted = new Set(ordered.slice(started).map((facts) => facts.repositoryName));
      const pending = [...batch.filter((name) => notStarted.has(name)), ...names.slice(index + batch.length)];
      return { mode: 'names', pending };
    }
    index += batch.length;
  }
  const rest = names.slice(index);
  return rest.length > 0 ? { mode: 'names', pending: rest } : undefined;
}

/**
 * Checks (and fixes) every repository creation template: they decide how the repositories ECR
 * creates itself are born. A template that cannot be set is its `failed` record; when the templates
 * cannot be listed, that is one `failed` record and the repository sweep still runs.
 */
async function checkTemplates(run: SweepRun): Promise<void> {
  const { deps } = run;
  try {
    // Stryker disable next-line StringLiteral: equivalent, the label is only in the error's message, and the templatesUnlistedRecord that catches it keeps the error's name (RepeatedPageTokenError), not its message.
    const tokens = pageTokens('ECR DescribeRepositoryCreationTemplates');
    let token: string | undefined;
    do {
      const page = await deps.ecr.listCreationTemplatePage({ registryId: deps.registryId, nextToken: token });
      for (const template of page.templates) {
        try {
          deps.record(await enforceTemplate(template, run.options));
        } catch (error) {
          deps.record(templateFailedRecord(template, error, run.options));
        }
      }
      token = tokens.next(page.nextToken);
    } while (token !== undefined);
  } catch (error) {
    deps.record(templatesUnlistedRecord(deps.registryId, error, run.options));
  }
}

/**
 * A page we cannot read is not skipped: retried while the deadline allows, then the invocation fails
 * (before the deadline, with its error) so the caller retries it.
 */
function listPage(run: SweepRun, token: string | undefined) {
  const { deps } = run;
  return retrying(
    run,
    () =>
      deps.ecr.listRepositoryPage({ registryId: deps.registryId, nextToken: token, pageSize: MAX_PAGE_SIZE }),
    { slowDown: false },
  );
}

/**
 * Lists the whole registry, 1000 repositories a page (the API maximum): ceil(N/1000) describes.
 * A resumed sweep lists the page it stopped in again and skips what it had decided there.
 */
async function sweepRegistry(run: SweepRun): Promise<Position | undefined> {
  const { resume } = run.request;
  let from = resume?.mode === 'all' ? resume.from : null;
  // Stryker disable next-line ArrayDeclaration: equivalent, a string that is not an 11-character digest never matches one.
  let done: ReadonlySet<string> = new Set(resume?.mode === 'all' ? resume.done : []);
  const tokens = pageTokens('ECR DescribeRepositories', from ?? undefined);
  for (;;) {
    // mayStart is false only once something was decided: an invocation never returns empty-handed.
    // Stryker disable next-line ArrayDeclaration: equivalent, reached only after a whole page, when `done` is empty.
    if (!mayStart(run)) return { mode: 'all', from, done: [...done] };
    const page = await listPage(run, from ?? undefined);
    const todo = page.repositories.filter((facts) => !done.has(nameDigest(facts.repositoryName)));
    const started = await decideAll(run, todo);
    run.deps.onProgress?.({ scanned: run.scanned });
    if (started < todo.length) {
      // Only this page's digests: bounded by the page size, whatever the names' lengths.
      const undecided = new Set(todo.slice(started).map((facts) => facts.repositoryName));
      const decided = page.repositories
        .filter((facts) => !undecided.has(facts.repositoryName))
        .map((facts) => nameDigest(facts.repositoryName));
      return { mode: 'all', from, done: decided };
    }
    const next = tokens.next(page.nextToken);
    if (next === undefined) return undefined;
    from = next;
    done = new Set();
  }
}
