/**
 * The emulator's state: the shared core (accounts and access keys, AssumeRole sessions, faults, stats, page
 * tokens, the clock) and each service's own data, wired into the services the server routes to.
 */
import { randomBytes } from 'node:crypto';
import { type DeliveryTarget, EventDelivery } from './cloudtrail/delivery.ts';
import { buildRecord, type CallFacts, type TrailRecord } from './cloudtrail/record.ts';
import { CLOUDTRAIL_LOOKUP_THROTTLE, cloudTrailService, type LookupThrottle } from './cloudtrail/service.ts';
import { Trail } from './cloudtrail/trail.ts';
import { Directory, type OrganizationSeed, parseOrganizationSeed } from './core/directory.ts';
import { AdminRequestError } from './core/errors.ts';
import { FaultBook } from './core/faults.ts';
import { type Caller, type CredentialScope, identifyCaller, SessionStore } from './core/identity.ts';
import { createPageTokens, type PageTokens } from './core/page-token.ts';
import type { ObservedCall } from './core/server.ts';
import { DEFAULT_REGION } from './core/server.ts';
import type { Service } from './core/service.ts';
import { ScopedStats } from './core/stats.ts';
import { repositoryArn } from './ecr/model.ts';
import { ecrService } from './ecr/service.ts';
import { RepositoryStore } from './ecr/store.ts';
import { EventSink } from './events/events.ts';
import { RuleStore } from './events/rules.ts';
import { eventsService } from './events/service.ts';
import { organizationsService } from './organizations/service.ts';
import { s3Service } from './s3/service.ts';
import { BucketStore, bucketNameProblem } from './s3/store.ts';
import {
  DEFAULT_SECURITY_HUB_CONFIG,
  parseSecurityHubConfig,
  type SecurityHubConfig,
} from './securityhub/config.ts';
import { type ControlEvaluation, evaluateEcr2 } from './securityhub/control.ts';
import { FindingStore } from './securityhub/findings.ts';
import { securityHubService } from './securityhub/service.ts';
import { stsService } from './sts/service.ts';

export { DEFAULT_REGION };

/** Options of {@link EmulatorState} (and of `startEmulator`). */
export interface EmulatorStateOptions {
  /** The account of every caller whose access key is not known; default `123456789012`. */
  readonly account?: string;
  /** Access key ID → account, to emulate several accounts side by side. */
  readonly accounts?: Readonly<Record<string, string>>;
  /** Accounts, organisation, OUs and roles (the organisation part of a seed file; see emulator/README.md). */
  readonly organization?: OrganizationSeed;
  /** Milliseconds a repository made by CreateRepository stays invisible to DescribeRepositories; default 0. */
  readonly visibilityDelayMs?: number;
  /** Default seed of the fault PRNG; default 1. */
  readonly seed?: number;
  /** Clock in epoch milliseconds; default `Date.now`. Tests may pass their own. */
  readonly now?: () => number;
  /**
   * Throttle LookupEvents per account and region: `true` for CloudTrail's documented 2 requests per second
   * (burst 2), or a rate of your own. Default off (the `LookupEvents` fault can throttle too).
   */
  readonly lookupEventsThrottle?: boolean | { readonly tps: number; readonly burst?: number };
  /**
   * Truncate a trail record's `requestParameters` or `responseElements` whose JSON is longer than this many
   * bytes to `{"omitted": true}`, as CloudTrail truncates a field over its (unpublished) maximum size;
   * default: never.
   */
  readonly trailFieldLimitBytes?: number;
  /** Deliver recorded calls as EventBridge events to a callback or a loopback URL (see emulator/README.md). */
  readonly delivery?: DeliveryTarget;
  /** S3 buckets that exist from the start (`account` defaults to the default account, `region` to us-east-1). */
  readonly buckets?: ReadonlyArray<{
    readonly name: string;
    readonly account?: string;
    readonly region?: string;
  }>;
  /** Security Hub: administrator and members, aggregation Region, the ECR.2 verdict (see emulator/README.md). */
  readonly securityHub?: Partial<SecurityHubConfig>;
}

function readThrottle(option: EmulatorStateOptions['lookupEventsThrottle']): LookupThrottle | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return CLOUDTRAIL_LOOKUP_THROTTLE;
  if (!Number.isFinite(option.tps) || option.tps <= 0)
    throw new TypeError('lookupEventsThrottle.tps must be a number > 0');
  const burst = option.burst ?? Math.max(1, Math.ceil(option.tps));
  if (!Number.isFinite(burst) || burst < 1) throw new TypeError('lookupEventsThrottle.burst must be >= 1');
  return { tps: option.tps, burst };
}

/** Default account of the emulator. */
export const DEFAULT_ACCOUNT = '123456789012';

const ACCOUNT = /^[0-9]{12}$/;

function checkAccount(account: string, source: string): string {
  if (!ACCOUNT.test(account))
    throw new TypeError(`${source} must be a 12-digit account ID, got '${account}'`);
  return account;
}

/** Everything the emulator holds in memory; exposed by `startEmulator` for direct assertions. */
export class EmulatorState {
  readonly account: string;
  readonly store = new RepositoryStore();
  readonly events = new EventSink();
  /** EventBridge rules and their targets, per account and region. */
  readonly rules = new RuleStore();
  /** S3 buckets and their objects. */
  readonly buckets = new BucketStore();
  /** Security Hub findings (imported, or evaluated from the registries by {@link evaluateControlFindings}). */
  readonly findings = new FindingStore();
  /** Every ECR call served (and every seeded push), per account and region. */
  readonly trail = new Trail();
  /** Delivery of recorded calls as EventBridge events. */
  readonly delivery: EventDelivery;
  readonly stats = new ScopedStats();
  readonly sessions = new SessionStore();
  readonly faults: FaultBook;
  readonly tokens: PageTokens;
  readonly now: () => number;
  readonly services: readonly Service[];
  private readonly baseVisibilityDelayMs: number;
  private readonly legacyKeys: ReadonlyMap<string, string>;
  private currentDirectory: Directory;
  private readonly initialBuckets: NonNullable<EmulatorStateOptions['buckets']>;
  private securityHubSettings: SecurityHubConfig = DEFAULT_SECURITY_HUB_CONFIG;
  private readonly trailFieldLimitBytes: number | undefined;

  constructor(options: EmulatorStateOptions = {}) {
    this.account = checkAccount(options.account ?? DEFAULT_ACCOUNT, 'account');
    this.legacyKeys = new Map(
      Object.entries(options.accounts ?? {}).map(([key, account]) => [
        key,
        checkAccount(account, `accounts.${key}`),
      ]),
    );
    const limit = options.trailFieldLimitBytes;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new TypeError('trailFieldLimitBytes must be a positive integer');
    this.trailFieldLimitBytes = limit;
    const delay = options.visibilityDelayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError('visibilityDelayMs must be a number >= 0');
    this.baseVisibilityDelayMs = delay;
    this.faults = new FaultBook(options.seed ?? 1);
    // A fresh secret per emulator: tokens cannot be forged, nor reused across emulator instances.
    this.tokens = createPageTokens(randomBytes(32).toString('hex'));
    this.now = options.now ?? Date.now;
    this.delivery = new EventDelivery(options.delivery);
    this.currentDirectory = new Directory({ accessKeys: this.legacyKeys });
    if (options.organization !== undefined) {
      try {
        this.seedOrganization(options.organization);
      } catch (error) {
        if (error instanceof AdminRequestError) throw new TypeError(`organization: ${error.message}`);
        throw error;
      }
    }
    if (options.securityHub !== undefined) {
      try {
        this.configureSecurityHub(options.securityHub);
      } catch (error) {
        if (error instanceof AdminRequestError) throw new TypeError(`securityHub: ${error.message}`);
        throw error;
      }
    }
    const directory = (): Directory => this.currentDirectory;
    this.services = [
      ecrService({
        store: this.store,
        tokens: this.tokens,
        visibilityDelayMs: (account, region) => this.visibilityDelayFor(account, region),
      }),
      eventsService({ sink: this.events, rules: this.rules, tokens: this.tokens }),
      stsService({ directory, sessions: this.sessions }),
      organizationsService({ directory, tokens: this.tokens }),
      cloudTrailService({
        trail: this.trail,
        tokens: this.tokens,
        throttle: readThrottle(options.lookupEventsThrottle),
      }),
      s3Service({ buckets: this.buckets }),
      securityHubService({
        findings: this.findings,
        tokens: this.tokens,
        directory,
        config: () => this.securityHubSettings,
      }),
    ];
    this.initialBuckets = options.buckets ?? [];
    for (const bucket of this.initialBuckets) this.createBucket(bucket);
  }

  /**
   * Creates an empty S3 bucket (seeding: no call is counted); an existing one of the same owner and region
   * is kept with its objects.
   * @throws TypeError for an invalid name or a name another account or region holds.
   */
  createBucket(bucket: { readonly name: string; readonly account?: string; readonly region?: string }): void {
    const account = checkAccount(bucket.account ?? this.account, `bucket ${bucket.name} account`);
    const region = bucket.region ?? DEFAULT_REGION;
    const problem = bucketNameProblem(bucket.name);
    if (problem !== undefined) throw new TypeError(`bucket name '${bucket.name}' ${problem}`);
    const existing = this.buckets.get(bucket.name);
    if (existing === undefined) this.buckets.create(bucket.name, account, region, this.now());
    else if (existing.account !== account || existing.region !== region)
      throw new TypeError(`bucket ${bucket.name} already exists in ${existing.account} ${existing.region}`);
  }

  /** The Security Hub configuration in force. */
  get securityHub(): SecurityHubConfig {
    return this.securityHubSettings;
  }

  /**
   * Replaces the Security Hub configuration (omitted settings take their defaults).
   * @throws AdminRequestError naming the setting and the value.
   */
  configureSecurityHub(body: unknown): SecurityHubConfig {
    this.securityHubSettings = parseSecurityHubConfig(body);
    return this.securityHubSettings;
  }

  /**
   * Evaluates control ECR.2 over the registries, as Config and Security Hub would: one finding per
   * repository (PASSED at IMMUTABLE), archived when its repository is gone. Every registry (and every
   * account-region holding findings) unless `scope` narrows it to an account, a Region, or both.
   */
  evaluateControlFindings(
    scope: { readonly account?: string; readonly region?: string } = {},
  ): ControlEvaluation[] {
    const places = new Map<string, { account: string; region: string }>();
    const add = (account: string, region: string) => {
      if (scope.account !== undefined && scope.account !== account) return;
      if (scope.region !== undefined && scope.region !== region) return;
      places.set(`${account}/${region}`, { account, region });
    };
    for (const registry of this.store.all()) add(registry.account, registry.region);
    for (const finding of this.findings.list()) add(finding.account, finding.region);
    if (scope.account !== undefined && scope.region !== undefined) add(scope.account, scope.region);
    const nowMs = this.now();
    const registries = new Map(
      this.store.all().map((registry) => [`${registry.account}/${registry.region}`, registry]),
    );
    return [...places.values()].map(({ account, region }) =>
      evaluateEcr2(this.findings, {
        account,
        region,
        nowMs,
        exclusionVerdict: this.securityHubSettings.immutableWithExclusion,
        repositories: (registries.get(`${account}/${region}`)?.list() ?? [])
          .filter((repository) => repository.visibleAtMs <= nowMs)
          .map((repository) => ({
            arn: repositoryArn(region, account, repository.repositoryName),
            name: repository.repositoryName,
            imageTagMutability: repository.imageTagMutability,
          })),
      }),
    );
  }

  /** Records an answered call in the trail (ECR calls only: CloudTrail's own lookups are not recorded). */
  observe(call: ObservedCall): void {
    if (call.service !== 'ecr') return;
    const { caller } = call;
    const session = this.sessions.get(caller.accessKeyId);
    this.record({
      eventSource: 'ecr.amazonaws.com',
      eventName: call.operation,
      account: caller.account,
      region: caller.region,
      actorArn: caller.arn,
      accessKeyId: caller.accessKeyId,
      principalId: session?.roleId ?? caller.userId,
      sourceIp: call.sourceIp,
      userAgent: call.userAgent,
      requestParameters: call.input,
      responseElements: call.output,
      error: call.error,
      requestId: call.requestId,
      nowMs: call.nowMs,
    });
  }

  /** Adds one call to the trail and offers it for delivery. */
  record(facts: CallFacts): TrailRecord {
    const record = buildRecord(facts, this.trailFieldLimitBytes);
    this.trail.add(record);
    this.delivery.offer(record);
    return record;
  }

  /** Accounts, organisation, roles and access keys in force. */
  get directory(): Directory {
    return this.currentDirectory;
  }

  /** Replaces the accounts, organisation, OUs and roles (the `accounts` option's access keys are kept). */
  seedOrganization(body: unknown): Directory {
    this.currentDirectory = parseOrganizationSeed(body, this.legacyKeys, this.now());
    return this.currentDirectory;
  }

  /** The global visibility delay in force: the fault override if set, else the option. */
  get visibilityDelayMs(): number {
    return this.faults.global.visibilityDelayMs ?? this.baseVisibilityDelayMs;
  }

  /** The visibility delay in force for one account and region (a scoped fault override wins). */
  visibilityDelayFor(account: string, region: string): number {
    return this.faults.visibilityDelayMs(account, region) ?? this.baseVisibilityDelayMs;
  }

  /** The account a long-term access key acts as (unknown keys act as the default account). */
  accountFor(accessKeyId: string): string {
    return this.currentDirectory.accessKeys.get(accessKeyId) ?? this.account;
  }

  /** The caller of a request with this credential scope and session token. */
  identify(scope: CredentialScope, sessionToken: string | undefined): Caller {
    return identifyCaller(
      scope,
      sessionToken,
      this.currentDirectory.accessKeys,
      this.sessions,
      this.account,
      this.now(),
    );
  }

  /**
   * Clears repositories, repository creation templates, S3 objects and buckets (those of the `buckets`
   * option are made again, empty), Security Hub findings, events, EventBridge rules, the trail, stats
   * (delivery counters included), faults and issued sessions; the accounts, organisation, roles, the Security
   * Hub configuration and the delivery target stay (they are configuration, like the `accounts` option).
   */
  reset(): void {
    this.store.clear();
    this.buckets.clear();
    this.findings.clear();
    for (const bucket of this.initialBuckets) this.createBucket(bucket);
    this.events.clear();
    this.rules.clear();
    this.trail.clear();
    this.delivery.clearStats();
    this.stats.clear();
    this.faults.clear();
    this.sessions.clear();
  }
}
