/**
 * Fault injection: added latency, throttling (token bucket or probability) and server errors per operation,
 * deterministic for a given seed and call sequence.
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
  readonly fault: 'none' | 'throttle' | 'server-error';
}

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
  checkKeys(value, path, ['throttle', 'latencyMs', 'serverErrorProbability']);
  return {
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

  /** The faults for one call of `operation` at `nowMs`; consumes a token when a rate throttle applies. */
  decide(operation: string, nowMs: number): FaultDecision {
    const spec: FaultSpec = { ...this.config.operations['*'], ...this.config.operations[operation] };
    const latencyMs = spec.latencyMs ?? 0;
    const { throttle } = spec;
    if (throttle !== undefined) {
      const throttled =
        'probability' in throttle
          ? this.random() < throttle.probability
          : !this.take(operation, throttle, nowMs);
      if (throttled) return { latencyMs, fault: 'throttle' };
    }
    const serverError = spec.serverErrorProbability;
    if (serverError !== undefined && this.random() < serverError) return { latencyMs, fault: 'server-error' };
    return { latencyMs, fault: 'none' };
  }

  // One bucket per operation, as ECR rate-limits each API separately; it starts full.
  private take(operation: string, rate: RateThrottle, nowMs: number): boolean {
    const bucket = this.buckets.get(operation) ?? { tokens: rate.burst, updatedMs: nowMs };
    bucket.tokens = Math.min(
      rate.burst,
      bucket.tokens + (Math.max(0, nowMs - bucket.updatedMs) / 1000) * rate.tps,
    );
    bucket.updatedMs = nowMs;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
