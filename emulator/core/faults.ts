/**
 * Fault injection: added latency, access denied, throttling (token bucket or probability) and server errors
 * per operation, deterministic for a given seed and call sequence; configured for the whole emulator or for
 * one account, one region, or one account in one region.
 */
import { AdminRequestError } from './errors.ts';
import { isJsonObject, type JsonObject } from './validate.ts';

/** Throttle to a sustained rate with a burst, like ECR's per-API token buckets. */
export interface RateThrottle {
  readonly tps: number;
  readonly burst: number;
}

/** Throttle each call with a probability. */
export interface ProbabilityThrottle {
  readonly probability: number;
}

/** Faults for one operation (or `"*"`, every operation). */
export interface FaultSpec {
  readonly throttle?: RateThrottle | ProbabilityThrottle;
  /** Delay before the call is handled. */
  readonly latencyMs?: number;
  /** Chance of a 5xx server error (after throttling). */
  readonly serverErrorProbability?: number;
  /** Every call is refused with the service's access-denied error (before throttling). */
  readonly accessDenied?: boolean;
}

/** The whole fault configuration, as `POST /_emulator/faults` takes and `GET` returns it. */
export interface FaultConfig {
  readonly seed: number;
  /** Overrides the emulator's visibility delay while set. */
  readonly visibilityDelayMs?: number;
  /** Per operation name, or `"*"`; an operation's own fields win over `"*"` field by field. */
  readonly operations: Readonly<Record<string, FaultSpec>>;
}

/** What to do with one call. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly fault: FaultKind;
}

/** The fault injected into one call. */
export type FaultKind = 'none' | 'throttle' | 'server-error' | 'access-denied';

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readNumber(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new AdminRequestError(`${path} must be a number from ${min} to ${max}`);
  }
  return value;
}

function checkKeys(value: JsonObject, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new AdminRequestError(`${path}.${key} is not a fault setting (use ${allowed.join(', ')})`);
  }
}

function readThrottle(value: unknown, path: string): RateThrottle | ProbabilityThrottle {
  if (!isJsonObject(value)) throw new AdminRequestError(`${path} must be {tps, burst?} or {probability}`);
  if ('probability' in value) {
    checkKeys(value, path, ['probability']);
    return { probability: readNumber(value.probability, `${path}.probability`, 0, 1) };
  }
  checkKeys(value, path, ['tps', 'burst']);
  const tps = readNumber(value.tps, `${path}.tps`, 0, 1_000_000);
  const burst =
    value.burst === undefined
      ? Math.max(1, Math.ceil(tps))
      : readNumber(value.burst, `${path}.burst`, 1, 1_000_000);
  return { tps, burst };
}

function readSpec(value: unknown, path: string): FaultSpec {
  if (!isJsonObject(value)) throw new AdminRequestError(`${path} must be an object`);
  checkKeys(value, path, ['throttle', 'latencyMs', 'serverErrorProbability', 'accessDenied']);
  if (value.accessDenied !== undefined && typeof value.accessDenied !== 'boolean')
    throw new AdminRequestError(`${path}.accessDenied must be true or false`);
  return {
    ...(value.accessDenied === true ? { accessDenied: true } : {}),
    ...(value.throttle === undefined ? {} : { throttle: readThrottle(value.throttle, `${path}.throttle`) }),
    ...(value.latencyMs === undefined
      ? {}
      : { latencyMs: readNumber(value.latencyMs, `${path}.latencyMs`, 0, 60_000) }),
    ...(value.serverErrorProbability === undefined
      ? {}
      : {
          serverErrorProbability: readNumber(
            value.serverErrorProbability,
            `${path}.serverErrorProbability`,
            0,
            1,
          ),
        }),
  };
}

/**
 * Parses a fault configuration body: `{ seed?, visibilityDelayMs?, <Operation or "*">: FaultSpec }`.
 * Unknown operations and settings are refused so that typos fail loudly.
 */
export function parseFaultConfig(
  body: unknown,
  operations: readonly string[],
  defaultSeed: number,
): FaultConfig {
  if (!isJsonObject(body)) throw new AdminRequestError('the fault configuration must be a JSON object');
  let seed = defaultSeed;
  let visibilityDelayMs: number | undefined;
  const specs: Record<string, FaultSpec> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'seed') {
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw new AdminRequestError('seed must be an integer');
      seed = value;
    } else if (key === 'visibilityDelayMs') {
      visibilityDelayMs = readNumber(value, key, 0, 3_600_000);
    } else if (key === '*' || operations.includes(key)) {
      specs[key] = readSpec(value, key);
    } else {
      throw new AdminRequestError(
        `'${key}' is not an operation the emulator serves (use "*" or one of ${operations.join(', ')})`,
      );
    }
  }
  return { seed, ...(visibilityDelayMs === undefined ? {} : { visibilityDelayMs }), operations: specs };
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Decides, call by call, which faults to inject. */
export class FaultInjector {
  private readonly defaultSeed: number;
  private config: FaultConfig;
  private random: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(defaultSeed: number) {
    this.defaultSeed = defaultSeed;
    this.config = { seed: defaultSeed, operations: {} };
    this.random = mulberry32(defaultSeed);
  }

  /** Replaces the configuration and restarts the PRNG and token buckets. */
  configure(config: FaultConfig): void {
    this.config = config;
    this.random = mulberry32(config.seed);
    this.buckets.clear();
  }

  /** Removes every fault. */
  clear(): void {
    this.configure({ seed: this.defaultSeed, operations: {} });
  }

  current(): FaultConfig {
    return this.config;
  }

  /** The visibility delay override, when one is configured. */
  get visibilityDelayMs(): number | undefined {
    return this.config.visibilityDelayMs;
  }

  /**
   * The faults for one call of `operation` at `nowMs`; consumes a token when a rate throttle applies.
   * `bucket` names the token bucket (default: the operation).
   */
  decide(operation: string, nowMs: number, bucket = operation): FaultDecision {
    const spec: FaultSpec = { ...this.config.operations['*'], ...this.config.operations[operation] };
    const latencyMs = spec.latencyMs ?? 0;
    if (spec.accessDenied === true) return { latencyMs, fault: 'access-denied' };
    const { throttle } = spec;
    if (throttle !== undefined) {
      const throttled =
        'probability' in throttle
          ? this.random() < throttle.probability
          : !this.take(bucket, throttle, nowMs);
      if (throttled) return { latencyMs, fault: 'throttle' };
    }
    const serverError = spec.serverErrorProbability;
    if (serverError !== undefined && this.random() < serverError) return { latencyMs, fault: 'server-error' };
    return { latencyMs, fault: 'none' };
  }

  // One bucket per operation (and account-region, see FaultBook), as ECR rate-limits each API separately; it starts full.
  private take(key: string, rate: RateThrottle, nowMs: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: rate.burst, updatedMs: nowMs };
    bucket.tokens = Math.min(
      rate.burst,
      bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) / 1000) * rate.tps,
    );
    bucket.updatedMs = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** Where a fault configuration applies: everywhere, one account, one region, or one account in one region. */
export interface FaultScope {
  readonly account?: string;
  readonly region?: string;
}

function scopeKey(scope: FaultScope): string {
  return `${scope.account ?? '*'}/${scope.region ?? '*'}`;
}

/**
 * The fault configurations of the whole emulator: a global one and any number scoped to an account, a region
 * or both. A call follows the most specific configuration that exists for its account and region
 * (account+region, then account, then region, then global); configurations are not merged. Token buckets are
 * kept per account, region and operation, as AWS rate limits are per account and region.
 */
export class FaultBook {
  private readonly defaultSeed: number;
  readonly global: FaultInjector;
  private readonly scoped = new Map<string, FaultInjector>();

  constructor(defaultSeed: number) {
    this.defaultSeed = defaultSeed;
    this.global = new FaultInjector(defaultSeed);
  }

  /** The global configuration (what `GET /_emulator/faults` returns without a scope). */
  current(scope: FaultScope = {}): FaultConfig {
    return this.injector(scope)?.current() ?? { seed: this.defaultSeed, operations: {} };
  }

  /** Replaces the configuration of one scope (the global one when the scope is empty). */
  configure(config: FaultConfig, scope: FaultScope = {}): void {
    if (scope.account === undefined && scope.region === undefined) {
      this.global.configure(config);
      return;
    }
    const injector = new FaultInjector(this.defaultSeed);
    injector.configure(config);
    this.scoped.set(scopeKey(scope), injector);
  }

  /** Clears one scope's configuration; without a scope, every configuration. */
  clear(scope: FaultScope = {}): void {
    if (scope.account === undefined && scope.region === undefined) {
      this.global.clear();
      this.scoped.clear();
      return;
    }
    this.scoped.delete(scopeKey(scope));
  }

  /** Every scoped configuration, keyed `account/region` with `*` for "any". */
  scopes(): Record<string, FaultConfig> {
    return Object.fromEntries([...this.scoped].map(([key, injector]) => [key, injector.current()]));
  }

  /** The visibility delay override in force for an account and region, if any. */
  visibilityDelayMs(account: string, region: string): number | undefined {
    return this.pick(account, region).visibilityDelayMs;
  }

  /** The faults for one call of `operation` by `account` in `region`. */
  decide(operation: string, account: string, region: string, nowMs: number): FaultDecision {
    return this.pick(account, region).decide(operation, nowMs, `${account}/${region}/${operation}`);
  }

  private injector(scope: FaultScope): FaultInjector | undefined {
    if (scope.account === undefined && scope.region === undefined) return this.global;
    return this.scoped.get(scopeKey(scope));
  }

  private pick(account: string, region: string): FaultInjector {
    if (this.scoped.size === 0) return this.global;
    return (
      this.scoped.get(`${account}/${region}`) ??
      this.scoped.get(`${account}/*`) ??
      this.scoped.get(`*/${region}`) ??
      this.global
    );
  }
}
