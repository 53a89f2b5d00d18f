import type { StoredEvent } from './events.ts';
import type { FaultConfig, ProbabilityThrottle } from './faults.ts';
import type { EcrOperation } from './operations.ts';
import type { SeedRequest, SeedResult } from './seed.ts';
import type { StatsSnapshot } from './stats.ts';
import { isJsonObject, type JsonObject } from './validate.ts';

/** Faults for one operation as the control route takes them (`burst` defaults to `tps`). */
export interface FaultSpecInput {
  readonly throttle?: { readonly tps: number; readonly burst?: number } | ProbabilityThrottle;
  readonly latencyMs?: number;
  readonly serverErrorProbability?: number;
}

/** The body of `POST /_emulator/faults`; `{}` clears every fault. */
export type FaultInput = {
  readonly seed?: number;
  readonly visibilityDelayMs?: number;
} & { readonly [operation in EcrOperation | 'PutEvents' | '*']?: FaultSpecInput };

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

/** Typed client of the `/_emulator/*` control routes. */
export interface AdminClient {
  stats(): Promise<StatsSnapshot>;
  /** Clears repositories, repository creation templates, events, stats and faults. */
  reset(): Promise<void>;
  seed(request: SeedRequest): Promise<SeedResult>;
  /** Replaces the fault configuration. */
  faults(config: FaultInput): Promise<FaultConfig>;
  clearFaults(): Promise<FaultConfig>;
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
    stats: async () => (await call('GET', 'stats')) as unknown as StatsSnapshot,
    reset: async () => {
      await call('POST', 'reset');
    },
    seed: async (request) => (await call('POST', 'seed', request)) as unknown as SeedResult,
    faults: async (config) => (await call('POST', 'faults', config)) as unknown as FaultConfig,
    clearFaults: async () => (await call('DELETE', 'faults')) as unknown as FaultConfig,
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
  };
}
