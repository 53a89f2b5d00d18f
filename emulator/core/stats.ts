/** Calls and outcomes of one operation (or of all of them). */
export interface CallCounts {
  calls: number;
  ok: number;
  /** Per AWS error code. */
  errors: Record<string, number>;
}

/** The body of `GET /_emulator/stats`. */
export interface StatsSnapshot {
  readonly operations: Record<string, CallCounts>;
  readonly total: CallCounts;
}

function emptyCounts(): CallCounts {
  return { calls: 0, ok: 0, errors: {} };
}

function count(counts: CallCounts, errorCode: string | undefined): void {
  counts.calls += 1;
  if (errorCode === undefined) counts.ok += 1;
  else counts.errors[errorCode] = (counts.errors[errorCode] ?? 0) + 1;
}

/** Counts API calls per operation and outcome (control routes and seeding are not counted). */
export class CallStats {
  private operations = new Map<string, CallCounts>();
  private total = emptyCounts();

  /** Records one call; `errorCode` is undefined for a success. */
  record(operation: string, errorCode: string | undefined): void {
    let counts = this.operations.get(operation);
    if (counts === undefined) {
      counts = emptyCounts();
      this.operations.set(operation, counts);
    }
    count(counts, errorCode);
    count(this.total, errorCode);
  }

  /** A deep copy, safe to hand out. */
  snapshot(): StatsSnapshot {
    return structuredClone({ operations: Object.fromEntries(this.operations), total: this.total });
  }

  clear(): void {
    this.operations = new Map();
    this.total = emptyCounts();
  }
}

/** Where calls are counted: all of them, one account, one region, or one account in one region. */
export interface StatsScope {
  readonly account?: string;
  readonly region?: string;
}

/**
 * {@link CallStats} overall and per account, per region and per account-region, so a test can ask what one
 * account (or one account in one region) was sent. Each call is counted in four places: O(1).
 */
export class ScopedStats {
  private readonly global = new CallStats();
  private scoped = new Map<string, CallStats>();

  record(operation: string, errorCode: string | undefined, account: string, region: string): void {
    this.global.record(operation, errorCode);
    for (const key of [`${account}/${region}`, `${account}/*`, `*/${region}`]) {
      let stats = this.scoped.get(key);
      if (stats === undefined) {
        stats = new CallStats();
        this.scoped.set(key, stats);
      }
      stats.record(operation, errorCode);
    }
  }

  /** The counts of one scope (all calls without one); an unused scope has zero counts. */
  snapshot(scope: StatsScope = {}): StatsSnapshot {
    if (scope.account === undefined && scope.region === undefined) return this.global.snapshot();
    const stats = this.scoped.get(`${scope.account ?? '*'}/${scope.region ?? '*'}`) ?? new CallStats();
    return stats.snapshot();
  }

  clear(): void {
    this.global.clear();
    this.scoped = new Map();
  }
}
