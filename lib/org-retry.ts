/**
 * A run that sweeps only the account-regions that failed in an earlier organisation sweep: their list is read
 * from that run's Distributed Map ResultWriter output (lib/org-results.ts), and the current scope is narrowed
 * to them, so an account suspended or excluded since, or a Region no longer swept, is not swept again but
 * reported. Used by the scope function (`retryFailedFrom` in the execution input) and the CLI
 * (`--retry-failed-from`). A Map Run redrive cannot do this: the Map state tolerates every failed child and
 * succeeds, so a redrive re-enters only the execution's final Fail state (docs/architecture.md, "Organisation
 * deployment").
 */
import { InvalidInputError } from './errors.ts';
import { failedAccountRegions, readResults } from './org-results.ts';
import type { Scope, ScopeTarget } from './scope.ts';
import type { ResultReader } from './scope-items.ts';

/** A ResultWriter manifest under the results prefix of the organisation sweep (`results/<map run>/manifest.json`). */
export const RETRY_MANIFEST_KEY = /^results\/\S+\/manifest\.json$/;

/** The same, as an S3 URI (the CLI's `--retry-failed-from`). */
const MANIFEST_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+)$/;

/** What a retry did to the scope. */
export interface RetryAnswer {
  /** The manifest the failures were read from. */
  readonly from: string;
  /** Account-regions that failed in that run. */
  readonly failedAccountRegions: number;
  /** Failed account-regions the scope no longer holds (account skipped since, Region no longer swept): not swept. */
  readonly notInScope: readonly ScopeTarget[];
  /** Failed children whose input named no account-region: they cannot be retried. */
  readonly unidentified: number;
}

/**
 * `s3://<bucket>/results/<map run>/manifest.json` as bucket and key.
 * @throws InvalidInputError naming the flag and what was written.
 */
export function parseManifestUri(
  text: string,
  name = '--retry-failed-from',
): { bucket: string; key: string } {
  const match = MANIFEST_URI.exec(text);
  const bucket = match?.[1];
  const key = match?.[2];
  if (bucket === undefined || key === undefined || !RETRY_MANIFEST_KEY.test(key)) {
    throw new InvalidInputError([
      `${name}: must be the ResultWriter manifest of an earlier organisation sweep, s3://<results bucket>/results/<map run>/manifest.json, got '${text}'`,
    ]);
  }
  return { bucket, key };
}

/** The scope narrowed to the account-regions that failed in the run whose ResultWriter manifest is `at`. */
export async function narrowToFailures(
  scope: Scope,
  reader: ResultReader,
  at: { readonly bucket: string; readonly key: string },
): Promise<{ readonly scope: Scope; readonly retry: RetryAnswer }> {
  const { files } = await readResults(reader, at);
  const failed = failedAccountRegions(files);
  const narrowed = narrowScope(scope, failed.targets);
  return {
    scope: narrowed.scope,
    retry: {
      from: at.key,
      failedAccountRegions: failed.targets.length,
      notInScope: narrowed.dropped,
      unidentified: failed.unidentified,
    },
  };
}

/**
 * The scope narrowed to the given account-regions (a retry of the ones that failed): its targets that are
 * among them, and the accounts those belong to; `dropped` lists the given account-regions the scope no
 * longer holds (an account since suspended or excluded, a region no longer swept), so none goes unreported.
 */
export function narrowScope(
  scope: Scope,
  wanted: readonly ScopeTarget[],
): { readonly scope: Scope; readonly dropped: readonly ScopeTarget[] } {
  const keyOf = (target: ScopeTarget) => `${target.accountId}/${target.region}`;
  const wantedKeys = new Set(wanted.map(keyOf));
  const targets = scope.targets.filter((target) => wantedKeys.has(keyOf(target)));
  const kept = new Set(targets.map(keyOf));
  const accountIds = new Set(targets.map((target) => target.accountId));
  const dropped = [...new Map(wanted.map((target) => [keyOf(target), target])).values()].filter(
    (target) => !kept.has(keyOf(target)),
  );
  return {
    scope: {
      accounts: scope.accounts.filter((account) => accountIds.has(account.accountId)),
      skipped: scope.skipped,
      regions: scope.regions,
      targets,
    },
    dropped,
  };
}
