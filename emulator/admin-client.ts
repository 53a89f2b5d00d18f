import type { DeliveryStats } from './cloudtrail/delivery.ts';
import type { OrganizationSeed } from './core/directory.ts';
import type { FaultConfig, FaultScope, ProbabilityThrottle } from './core/faults.ts';
import type { StatsScope, StatsSnapshot } from './core/stats.ts';
import { isJsonObject, type JsonObject } from './core/validate.ts';
import type { EcrOperation } from './ecr/operations.ts';
import type { SeedRequest, SeedResult } from './ecr/seed.ts';
import type { StoredEvent } from './events/events.ts';
import type { EVENTS_OPERATIONS } from './events/service.ts';
import type { ORGANIZATIONS_OPERATIONS } from './organizations/service.ts';
import type { S3_OPERATIONS } from './s3/service.ts';
import type { ExclusionVerdict } from './securityhub/config.ts';
import type { ControlEvaluation } from './securityhub/control.ts';
import type { SecurityHubOperation } from './securityhub/service.ts';
import type { STS_OPERATIONS } from './sts/service.ts';

/** Faults for one operation as the control route takes them (`burst` defaults to `tps`). */
export interface FaultSpecInput {
  readonly throttle?: { readonly tps: number; readonly burst?: number } | ProbabilityThrottle;
  readonly latencyMs?: number;
  readonly serverErrorProbability?: number;
  /** Refuse every call with the service's access-denied error. */
  readonly accessDenied?: boolean;
}

/** Every operation the emulator serves. */
export type EmulatorOperation =
  | EcrOperation
  | (typeof EVENTS_OPERATIONS)[number]
  | 'LookupEvents'
  | (typeof STS_OPERATIONS)[number]
  | (typeof ORGANIZATIONS_OPERATIONS)[number]
  | (typeof S3_OPERATIONS)[number]
  | SecurityHubOperation;

/** The body of `POST /_emulator/faults`; `{}` clears every fault. */
export type FaultInput = {
  readonly seed?: number;
  readonly visibilityDelayMs?: number;
} & { readonly [operation in EmulatorOperation | '*']?: FaultSpecInput };

/** An organisation seed with per-account-region registries (the seed file format; see emulator/README.md). */
export interface OrganizationSeedRequest extends OrganizationSeed {
  /** `POST /_emulator/seed` bodies; `account` defaults to the management account. */
  readonly registries?: readonly SeedRequest[];
}

/** What an organisation seed did. */
export interface OrganizationSeedResult {
  readonly accounts: number;
  readonly organizationalUnits: number;
  readonly roles: number;
  readonly registries: SeedResult[];
}

/** A repository as `GET /_emulator/repositories` lists it. */
export interface ListedRepository {
  readonly repositoryArn: string;
  readonly repositoryName: string;
  readonly imageTagMutability: string;
  readonly imageTagMutabilityExclusionFilters?: ReadonlyArray<{
    readonly filter: string;
    readonly filterType: string;
  }>;
  readonly tags: Readonly<Record<string, string>>;
  readonly imageCount: number;
}

/** A repository creation template as `GET /_emulator/templates` lists it (ECR's wire shape, epoch seconds). */
export interface ListedTemplate {
  readonly prefix: string;
  readonly description?: string;
  readonly encryptionConfiguration: { readonly encryptionType: string; readonly kmsKey?: string };
  readonly resourceTags: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
  readonly imageTagMutability: string;
  readonly imageTagMutabilityExclusionFilters?: ReadonlyArray<{
    readonly filter: string;
    readonly filterType: string;
  }>;
  readonly repositoryPolicy?: string;
  readonly lifecyclePolicy?: string;
  readonly appliedFor: readonly string[];
  readonly customRoleArn?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const ORGANIZATION_SEED_KEYS = [
  'organization',
  'organizationalUnits',
  'accounts',
  'roles',
  'registries',
  'credentialLifetimeSeconds',
];

/**
 * True when a seed file is in the organisation format (it has `accounts`, `roles`, `registries`, … at the
 * top level); otherwise it is the single-account format: one `POST /_emulator/seed` body or a list of them.
 */
export function isOrganizationSeed(value: unknown): boolean {
  return isJsonObject(value) && ORGANIZATION_SEED_KEYS.some((key) => key in value);
}

/** The Security Hub configuration as `POST /_emulator/securityhub` takes it (see emulator/README.md). */
export interface SecurityHubSettings {
  readonly administrator?: string;
  readonly members?: readonly string[];
  readonly aggregationRegion?: string;
  readonly immutableWithExclusion?: ExclusionVerdict;
}

/** The Security Hub configuration in force (the administrator as it applies) and how many findings are stored. */
export interface SecurityHubSummary extends SecurityHubSettings {
  readonly immutableWithExclusion: ExclusionVerdict;
  readonly findings: number;
}

/** Typed client of the `/_emulator/*` control routes. */
export interface AdminClient {
  /** Call counts: all calls, or those of one account, region, or account in a region. */
  stats(scope?: StatsScope): Promise<AdminStats>;
  /** Clears repositories, repository creation templates, events, the trail, stats and faults. */
  reset(): Promise<void>;
  seed(request: SeedRequest): Promise<SeedResult>;
  /** Replaces the fault configuration (of one account / region / account-region when `scope` is given). */
  faults(config: FaultInput, scope?: FaultScope): Promise<FaultConfig>;
  /** Clears one scope's faults; without a scope, every fault. */
  clearFaults(scope?: FaultScope): Promise<FaultConfig>;
  /** Replaces accounts, OUs and roles, then seeds the registries. */
  organization(seed: OrganizationSeedRequest): Promise<OrganizationSeedResult>;
  /** PutEvents entries received so far. */
  events(): Promise<StoredEvent[]>;
  repositories(query?: {
    readonly region?: string;
    readonly account?: string;
    readonly limit?: number;
  }): Promise<{ readonly count: number; readonly repositories: ListedRepository[] }>;
  /** Repository creation templates of one registry, in prefix order. */
  templates(query?: {
    readonly region?: string;
    readonly account?: string;
  }): Promise<{ readonly count: number; readonly templates: ListedTemplate[] }>;
  /** CloudTrail records of one account and region, oldest first. */
  trail(query?: {
    readonly region?: string;
    readonly account?: string;
  }): Promise<{ readonly count: number; readonly records: JsonObject[] }>;
  /** Delivers recorded calls as EventBridge events to a loopback URL. */
  deliverTo(target: { readonly url: string; readonly includeReadOnly?: boolean }): Promise<JsonObject>;
  /** Stops delivering events. */
  stopDelivery(): Promise<JsonObject>;
  /** The Security Hub configuration in force. */
  securityHub(): Promise<SecurityHubSummary>;
  /** Replaces the Security Hub configuration. */
  configureSecurityHub(settings: SecurityHubSettings): Promise<SecurityHubSummary>;
  /** Evaluates control ECR.2 over the registries (all, or one account and/or Region), as Security Hub would. */
  evaluateControlFindings(scope?: StatsScope): Promise<ControlEvaluation[]>;
  /** Stored Security Hub findings (ASFF), of one account and/or Region. */
  findings(scope?: StatsScope): Promise<{ readonly count: number; readonly findings: JsonObject[] }>;
}

/** The body of `GET /_emulator/stats`: call counts and the event delivery counters. */
export interface AdminStats extends StatsSnapshot {
  readonly deliveries: DeliveryStats;
}

/**
 * Creates a client for the control routes of the emulator at `url` (e.g. `RunningEmulator.url`).
 * Non-2xx answers are thrown as errors carrying the route's message.
 */
export function emulatorAdmin(url: string): AdminClient {
  const base = url.replace(/\/+$/, '');
  const query = (values: Readonly<Record<string, string | number | undefined>>): string => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(values))
      if (value !== undefined) search.set(key, String(value));
    return search.toString();
  };
  const call = async (method: string, path: string, body?: unknown): Promise<JsonObject> => {
    const response = await fetch(`${base}/_emulator/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const value: unknown = await response.json();
    if (!isJsonObject(value)) throw new Error(`${method} /_emulator/${path} answered with non-object JSON`);
    if (!response.ok)
      throw new Error(`${method} /_emulator/${path} failed (${response.status}): ${String(value.error)}`);
    return value;
  };
  // The control routes are this module's own server; their shapes are the types below.
  return {
    stats: async (scope = {}) => (await call('GET', `stats?${query({ ...scope })}`)) as unknown as AdminStats,
    reset: async () => {
      await call('POST', 'reset');
    },
    seed: async (request) => (await call('POST', 'seed', request)) as unknown as SeedResult,
    faults: async (config, scope = {}) =>
      (await call('POST', `faults?${query({ ...scope })}`, config)) as unknown as FaultConfig,
    clearFaults: async (scope = {}) =>
      (await call('DELETE', `faults?${query({ ...scope })}`)) as unknown as FaultConfig,
    organization: async (seed) =>
      (await call('POST', 'organization', seed)) as unknown as OrganizationSeedResult,
    events: async () => {
      const { events } = await call('GET', 'events');
      return Array.isArray(events) ? (events as StoredEvent[]) : [];
    },
    repositories: async (filter = {}) => {
      const answer = await call('GET', `repositories?${query(filter)}`);
      return answer as unknown as { count: number; repositories: ListedRepository[] };
    },
    templates: async (filter = {}) => {
      const answer = await call('GET', `templates?${query(filter)}`);
      return answer as unknown as { count: number; templates: ListedTemplate[] };
    },
    trail: async (filter = {}) => {
      const answer = await call('GET', `trail?${query(filter)}`);
      return answer as unknown as { count: number; records: JsonObject[] };
    },
    deliverTo: (target) => call('POST', 'delivery', target),
    stopDelivery: () => call('DELETE', 'delivery'),
    securityHub: async () => (await call('GET', 'securityhub')) as unknown as SecurityHubSummary,
    configureSecurityHub: async (settings) =>
      (await call('POST', 'securityhub', settings)) as unknown as SecurityHubSummary,
    evaluateControlFindings: async (scope = {}) => {
      const { evaluations } = await call('POST', 'securityhub/control-findings', scope);
      return Array.isArray(evaluations) ? (evaluations as ControlEvaluation[]) : [];
    },
    findings: async (scope = {}) => {
      const answer = await call('GET', `securityhub/findings?${query({ ...scope })}`);
      return answer as unknown as { count: number; findings: JsonObject[] };
    },
  };
}
