/**
 * The pass over several accounts (`--org`, or `--account` lists): the scope (lib/scope.ts) resolved once,
 * then lib/sweep.ts unchanged in every account-region through lib/org-sweep.ts, with the member role's
 * credentials (lib/credentials.ts). Exit codes keep their meaning over the whole scope: a failure in
 * any account-region (a role that cannot be assumed, access denied, a failed repository) is exit 1.
 */

import { S3Client } from '@aws-sdk/client-s3';
import { createOrgAccess } from '../../functions/shared/org-access.ts';
import { type AuditRecord, emptyCounts, type OutcomeCounts } from '../../lib/audit.ts';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { failFastWhenUnreachable } from '../../lib/ecr.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { scopeRequestOf } from '../../lib/org-config.ts';
import { narrowToFailures, parseManifestUri } from '../../lib/org-retry.ts';
import {
  type AccountRegionSummary,
  type OrgRunSummary,
  runOverScope,
  summarize,
  sweepJob,
} from '../../lib/org-sweep.ts';
import { resolveScope, type ScopeTarget } from '../../lib/scope.ts';
import { createResultReader } from '../../lib/scope-items.ts';
import type { SweepRequest } from '../../lib/sweep-input.ts';
import { regionsOf } from '../context.ts';
import type { CommonOptions } from '../options.ts';
import type { Reporter } from '../output.ts';
import { EXIT, exitCodeOf } from './run-pass.ts';

const keyOf = (target: ScopeTarget) => `${target.accountId}/${target.region}`;

/** The exit code of an organisation run: any failed account-region is 1, then as for one account. */
export function orgExitCodeOf(
  summary: OrgRunSummary,
  missing: ReadonlyMap<string, readonly string[]>,
): number {
  if (summary.statusCounts.failed > 0) return EXIT.failures;
  return exitCodeOf(
    summary.accountRegions.map((line) => ({
      region: line.region,
      counts: line.counts,
      templates: line.templateCounts,
      missing: missing.get(keyOf(line)) ?? [],
      scanned: line.scanned,
      seconds: line.seconds,
    })),
  );
}

export async function runOrgPass(
  request: Omit<SweepRequest, 'resume' | 'maxRepositories'>,
  options: CommonOptions,
  config: GuardConfig,
  reporter: Reporter,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<number> {
  if (options.registryId !== undefined) {
    throw new InvalidInputError([
      '--registry-id: not with --org or --account (each account-region is swept in its own registry)',
    ]);
  }
  const interrupted = () => signal?.aborted === true;
  const regions = await regionsOf(options, env);
  const [home] = regions;
  if (home === undefined) throw new InvalidInputError(['--region: name at least one region']);
  // Validated before any AWS call: bad flags are usage errors naming what was written.
  const scopeRequest = scopeRequestOf(config.organization, regions);
  const retryFrom =
    options.retryFailedFrom === undefined ? undefined : parseManifestUri(options.retryFailedFrom);
  const access = await createOrgAccess(config, {
    region: home,
    runId: `cli-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`,
    client: { profile: options.profile, endpoint: options.endpointUrl, defaultMaxAttempts: 8 },
    onEcrClient: (client) => failFastWhenUnreachable(client),
  });
  const finished: AccountRegionSummary[] = [];
  const missing = new Map<string, string[]>();
  const running = new Map<string, OutcomeCounts>();
  let stopped = false;
  try {
    // The caller's own account needs no member role, the management account included.
    let scope = await resolveScope(scopeRequest, access.lister, { callerAccountId: access.ownAccountId });
    if (retryFrom !== undefined) {
      const s3 = new S3Client({
        ...awsClientConfig(config.sdk, {
          region: home,
          profile: options.profile,
          endpoint: options.endpointUrl,
          defaultMaxAttempts: 8,
        }),
        followRegionRedirects: true,
      });
      try {
        const narrowed = await narrowToFailures(scope, createResultReader(s3), retryFrom);
        scope = narrowed.scope;
        for (const { accountId, region } of narrowed.retry.notInScope)
          reporter.error(
            `${accountId} ${region} failed in that run but is no longer in the scope: not swept`,
          );
      } finally {
        s3.destroy();
      }
    }
    const abort = new Promise<'interrupted'>((resolve) => {
      if (interrupted()) resolve('interrupted');
      signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const job = sweepJob({ ...request, resume: undefined, maxRepositories: undefined }, (target) => ({
      deps: {
        ecr: access.ecrFor(target),
        region: target.region,
        policy: config.policy,
        now: () => new Date(),
        remainingMs: () => (interrupted() ? 0 : Number.POSITIVE_INFINITY),
        safetyMarginMs: 0,
        maxConcurrency: config.sweepConcurrency,
        checkCreationTemplates: config.checkCreationTemplates,
        onProgress: (progress) =>
          reporter.progress(
            `${target.accountId} ${target.region}`,
            progress.scanned,
            running.get(keyOf(target)) ?? emptyCounts(),
          ),
      },
    }));
    const run = runOverScope(scope, job, {
      maxParallel: config.organization.parallelism,
      // One AssumeRole per account (cached), so a role that cannot be assumed fails with STS's code.
      prepareAccount: (accountId) => access.credentials.ensure(accountId),
      record: (entry) => {
        if (stopped) return;
        const key = keyOf(entry);
        const counts = running.get(key) ?? emptyCounts();
        running.set(key, counts);
        if (entry.templatePrefix === undefined) counts[entry.outcome] += 1;
        // A name the user gave that does not exist in this account-region must not pass a CI gate.
        if (request.repositoryNames !== undefined && entry.outcome === 'gone' && entry.repositoryName) {
          missing.set(key, [...(missing.get(key) ?? []), entry.repositoryName]);
        }
        reporter.record(entry satisfies AuditRecord);
      },
      onFinish: (line) => {
        if (stopped) return;
        finished.push(line);
        reporter.accountRegion(line);
      },
    });
    const outcome = await Promise.race([run, abort]);
    stopped = true;
    if (outcome === 'interrupted') {
      run.catch(() => {});
      reporter.orgSummary(summarize(finished), { interrupted: true });
      return EXIT.interrupted;
    }
    reporter.orgSummary(outcome, { interrupted: false });
    for (const [key, names] of missing) {
      for (const name of names)
        reporter.error(`repository '${name}' does not exist in ${key.replace('/', ' ')}`);
    }
    return orgExitCodeOf(outcome, missing);
  } finally {
    stopped = true;
    access.destroy();
  }
}
