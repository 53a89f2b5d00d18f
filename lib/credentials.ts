/**
 * Member-account credentials: the only place that talks to `@aws-sdk/client-sts`. One `sts:AssumeRole` into
 * `arn:<partition>:iam::<account>:role/<name>` per account per run, shared by all of that account's regions
 * (concurrent callers share one in-flight request) and cached until shortly before the credentials expire,
 * so a sweep longer than the session refreshes them instead of failing. The caller's own account uses its
 * own credentials.
 *
 * Takes a ready `STSClient` (built with `retryMode: 'adaptive'`, in the caller's region: regional STS
 * endpoints issue session tokens valid in every region, opt-in ones included,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html).
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import * as z from 'zod/mini';
import { callWithRetries } from './aws-call.ts';
import type { RetryOptions } from './aws-retry.ts';
import { AwsCallError, InvalidInputError } from './errors.ts';
import { accountIdSchema, regionSchema } from './scope.ts';
import { formatIssues } from './validation.ts';

export const DEFAULT_MEMBER_ROLE_NAME = 'EcrImmutabilityGuardMember';

/**
 * IAM role names: 1-64 of `[\w+=,.@-]`
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
 */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** STS `ExternalId`: 2-1224 of `[\w+=,.@:/-]` (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/** STS `RoleSessionName`: 2-64 of `[\w+=,.@-]`. */
export const SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const SESSION_NAME_PREFIX = 'ecr-immutability-guard';

export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b' | 'aws-iso-e' | 'aws-iso-f';

/**
 * The partition of a region, for ARNs (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
 */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/** `arn:<partition>:iam::<account>:role/<name>`. */
export function memberRoleArn(partition: Partition, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** The resource of the caller's `sts:AssumeRole` grant: the member role in any account of the partition. */
export function memberRoleArnPattern(partition: Partition, roleName: string): string {
  return memberRoleArn(partition, '*', roleName);
}

/**
 * A recognisable session name, `ecr-immutability-guard-<run id>`: it appears in the member account's
 * CloudTrail as the actor of every change. Characters STS rejects become `-`; at most 64 characters.
 */
export function sessionNameFor(runId: string): string {
  const id = runId.replace(/[^\w+=,.@-]/g, '-').slice(0, 64 - SESSION_NAME_PREFIX.length - 1);
  return id.length === 0 ? SESSION_NAME_PREFIX : `${SESSION_NAME_PREFIX}-${id}`;
}

/** What the SDK accepts as a client's `credentials` (structurally the SDK's `AwsCredentialIdentityProvider`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
  readonly accountId?: string | undefined;
}
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

const OptionsSchema = z.object({
  ownAccountId: accountIdSchema,
  region: regionSchema,
  roleName: z.optional(
    z
      .string()
      .check(z.regex(ROLE_NAME_PATTERN, 'must be an IAM role name: 1-64 of letters, digits and +=,.@_-')),
  ),
  externalId: z.optional(
    z.string().check(z.regex(EXTERNAL_ID_PATTERN, 'must be 2-1224 of letters, digits and +=,.@:/_-')),
  ),
  durationSeconds: z.optional(z.int().check(z.gte(900), z.lte(43_200))),
  refreshBeforeMs: z.optional(z.int().check(z.gte(0))),
  failureTtlMs: z.optional(z.int().check(z.gte(0))),
});

export interface MemberCredentialsOptions extends RetryOptions {
  /** The account the caller's own credentials belong to: never assumed into. */
  readonly ownAccountId: string;
  /** The caller's region: decides the partition of the role ARNs. */
  readonly region: string;
  /** Default {@link DEFAULT_MEMBER_ROLE_NAME}. */
  readonly roleName?: string | undefined;
  /** Passed to AssumeRole when the member role's trust policy requires one. */
  readonly externalId?: string | undefined;
  /** Names the session, see {@link sessionNameFor}. */
  readonly runId: string;
  /** Session length asked for (default 3600, the default maximum of a role). */
  readonly durationSeconds?: number | undefined;
  /**
   * Assume again this long before `Expiration` (default 5 minutes: the SDK asks its provider again
   * within 5 minutes of expiry, and must then get fresh credentials).
   */
  readonly refreshBeforeMs?: number | undefined;
  /** A failed AssumeRole is remembered this long, so an account's regions do not each repeat it (default 60 s). */
  readonly failureTtlMs?: number | undefined;
  /** Credentials for the caller's own account; undefined leaves the SDK's default chain. */
  readonly ownCredentials?: AwsCredentialsProvider | undefined;
  /** Epoch milliseconds; injectable so tests can move time. */
  readonly now?: (() => number) | undefined;
}

/** Credentials for every account of a run. */
export interface MemberCredentials {
  readonly partition: Partition;
  readonly roleName: string;
  readonly sessionName: string;
  /** The member role this run assumes in `accountId`. */
  roleArnFor(accountId: string): string;
  /**
   * The `credentials` for an SDK client acting in `accountId`: a cached AssumeRole provider for a
   * member account, {@link MemberCredentialsOptions.ownCredentials} (undefined: the default chain) for
   * the caller's own account.
   */
  providerFor(accountId: string): AwsCredentialsProvider | undefined;
  /**
   * Resolves the account's credentials now (no call for the caller's own account), so a role that cannot
   * be assumed fails its account before any ECR call.
   *
   * @throws AwsCallError with STS's code (`AccessDenied`, `RegionDisabledException`, …).
   */
  ensure(accountId: string): Promise<void>;
  /** AssumeRole requests sent so far, our own retries included (the SDK's are not visible here). */
  readonly assumeRoleCalls: number;
}

interface CacheEntry {
  readonly promise: Promise<AwsCredentials>;
  /** Epoch ms from which this entry is stale; Infinity while pending. */
  staleAt: number;
  pending: boolean;
}

const DEFAULTS = { durationSeconds: 3600, refreshBeforeMs: 5 * 60_000, failureTtlMs: 60_000 } as const;

/**
 * Creates the credentials cache of one run over a ready `STSClient`.
 *
 * @throws InvalidInputError naming each bad option (role name, external id, account, region, duration).
 */
export function createMemberCredentials(
  sts: STSClient,
  options: MemberCredentialsOptions,
): MemberCredentials {
  const parsed = OptionsSchema.safeParse({
    ownAccountId: options.ownAccountId,
    region: options.region,
    roleName: options.roleName,
    externalId: options.externalId,
    durationSeconds: options.durationSeconds,
    refreshBeforeMs: options.refreshBeforeMs,
    failureTtlMs: options.failureTtlMs,
  });
  if (!parsed.success) throw new InvalidInputError(formatIssues(parsed.error));
  const partition = partitionOf(options.region);
  const roleName = options.roleName ?? DEFAULT_MEMBER_ROLE_NAME;
  const sessionName = sessionNameFor(options.runId);
  const durationSeconds = options.durationSeconds ?? DEFAULTS.durationSeconds;
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULTS.refreshBeforeMs;
  const failureTtlMs = options.failureTtlMs ?? DEFAULTS.failureTtlMs;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const providers = new Map<string, AwsCredentialsProvider>();
  let assumeRoleCalls = 0;

  async function assume(accountId: string): Promise<AwsCredentials> {
    const roleArn = memberRoleArn(partition, accountId, roleName);
    const output = await callWithRetries(
      'sts',
      'AssumeRole',
      () => {
        assumeRoleCalls += 1;
        return sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName,
            ExternalId: options.externalId,
            DurationSeconds: durationSeconds,
          }),
        );
      },
      options,
    );
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = output.Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey || !SessionToken) {
      throw new AwsCallError('sts', 'AssumeRole', 'IncompleteCredentials', false, {
        cause: new Error(`AssumeRole of ${roleArn} returned no complete credentials`),
      });
    }
    return {
      accessKeyId: AccessKeyId,
      secretAccessKey: SecretAccessKey,
      sessionToken: SessionToken,
      expiration: Expiration,
      accountId,
    };
  }

  /** Usable until `refreshBeforeMs` before expiry; credentials without an expiry last the run. */
  const staleAtOf = (credentials: AwsCredentials) =>
    credentials.expiration === undefined
      ? Number.POSITIVE_INFINITY
      : credentials.expiration.getTime() - refreshBeforeMs;

  function resolve(accountId: string): Promise<AwsCredentials> {
    const current = cache.get(accountId);
    if (current !== undefined && (current.pending || now() < current.staleAt)) return current.promise;
    const previous = current;
    const entry: CacheEntry = {
      // Stryker disable next-line BooleanLiteral: `false` is equivalent, a pending entry's staleAt is +Infinity, so it is served either way, and both handlers set pending false before the entry can become a later `previous`.
      pending: true,
      staleAt: Number.POSITIVE_INFINITY,
      promise: assume(accountId).then(
        (credentials) => {
          entry.pending = false;
          entry.staleAt = staleAtOf(credentials);
          return credentials;
        },
        async (error: unknown) => {
          entry.pending = false;
          entry.staleAt = now() + failureTtlMs;
          // A refresh that fails while the previous credentials are still valid keeps using them; it is
          // tried again after failureTtlMs (or at expiry, whichever comes first).
          const fallback =
            previous?.pending === false ? await previous.promise.catch(() => undefined) : undefined;
          const expiresAt = fallback?.expiration?.getTime() ?? Number.NEGATIVE_INFINITY;
          if (fallback !== undefined && now() < expiresAt) {
            entry.staleAt = Math.min(entry.staleAt, expiresAt);
            return fallback;
          }
          throw error;
        },
      ),
    };
    cache.set(accountId, entry);
    return entry.promise;
  }

  const isOwn = (accountId: string) => accountId === options.ownAccountId;

  function checkAccount(accountId: string): void {
    const result = accountIdSchema.safeParse(accountId);
    if (!result.success) throw new InvalidInputError(formatIssues(result.error, ['accountId']));
  }

  return {
    partition,
    roleName,
    sessionName,
    roleArnFor: (accountId) => memberRoleArn(partition, accountId, roleName),
    providerFor(accountId) {
      checkAccount(accountId);
      if (isOwn(accountId)) return options.ownCredentials;
      let provider = providers.get(accountId);
      if (provider === undefined) {
        provider = () => resolve(accountId);
        providers.set(accountId, provider);
      }
      return provider;
    },
    async ensure(accountId) {
      checkAccount(accountId);
      if (!isOwn(accountId)) await resolve(accountId);
    },
    get assumeRoleCalls() {
      return assumeRoleCalls;
    },
  };
}
