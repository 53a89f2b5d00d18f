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
