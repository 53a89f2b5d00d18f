/**
 * The event history of each account and region, in time order, and the LookupEvents query over it.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
import type { TrailRecord } from './record.ts';

/** LookupEvents' attribute keys. */
export const LOOKUP_ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** One lookup: at most one attribute, a time range, a page size and where the previous page stopped. */
export interface TrailQuery {
  readonly attribute: { readonly key: LookupAttributeKey; readonly value: string } | undefined;
  readonly startMs: number;
  readonly endMs: number;
  readonly limit: number;
  /** The (time, sequence) of the last record returned, newest first. */
  readonly after: { readonly timeMs: number; readonly sequence: number } | undefined;
}

function matches(record: TrailRecord, attribute: TrailQuery['attribute']): boolean {
  if (attribute === undefined) return true;
  const { key, value } = attribute;
  switch (key) {
    case 'EventId':
      return record.eventId === value;
    case 'EventName':
      return record.eventName === value;
    case 'ReadOnly':
      return String(record.readOnly) === value;
    case 'Username':
      return record.username === value;
    case 'ResourceType':
      return record.resources.some((resource) => resource.ResourceType === value);
    case 'ResourceName':
      return record.resources.some((resource) => resource.ResourceName === value);
    case 'EventSource':
      return record.eventSource === value;
    case 'AccessKeyId':
      return record.accessKeyId === value;
  }
}

/** True when `a` sorts before `b` in time order (ties by sequence). */
function before(a: { timeMs: number; sequence: number }, b: { timeMs: number; sequence: number }): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.sequence < b.sequence);
}

/** The records of one account in one region, sorted by (time, sequence). */
class RegionTrail {
  readonly records: TrailRecord[] = [];

  insert(record: TrailRecord): void {
    const key = { timeMs: record.eventTimeMs, sequence: record.sequence };
    let index = this.records.length;
    // Live calls arrive in order (append); seeded history may be older (binary search).
    const last = this.records.at(-1);
    if (last !== undefined && before(key, { timeMs: last.eventTimeMs, sequence: last.sequence })) {
      let low = 0;
      let high = this.records.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const current = this.records[middle];
        if (current !== undefined && before({ timeMs: current.eventTimeMs, sequence: current.sequence }, key))
          low = middle + 1;
        else high = middle;
      }
      index = low;
    }
    this.records.splice(index, 0, record);
  }

  /** The last index whose record sorts before `limit` (exclusive), or at/before `endMs` when no limit. */
  private lastIndex(query: TrailQuery): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const current = this.records[middle];
      if (current === undefined) break;
      const key = { timeMs: current.eventTimeMs, sequence: current.sequence };
      const inRange =
        current.eventTimeMs <= query.endMs && (query.after === undefined || before(key, query.after));
      if (inRange) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  /** Newest first: up to `limit` matching records, and whether more follow. */
  lookup(query: TrailQuery): { records: TrailRecord[]; more: boolean } {
    const found: TrailRecord[] = [];
    for (let index = this.lastIndex(query); index >= 0; index--) {
      const record = this.records[index];
      if (record === undefined || record.eventTimeMs < query.startMs) break;
      if (!matches(record, query.attribute)) continue;
      if (found.length === query.limit) return { records: found, more: true };
      found.push(record);
    }
    return { records: found, more: false };
  }
}

/** Every account-region's event history. */
export class Trail {
  private readonly trails = new Map<string, RegionTrail>();
  private nextSequence = 1;

  private trail(account: string, region: string): RegionTrail {
    const key = `${account}/${region}`;
    let trail = this.trails.get(key);
    if (trail === undefined) {
      trail = new RegionTrail();
      this.trails.set(key, trail);
    }
    return trail;
  }

  /** Adds a record to its account and region's history. */
  add(record: TrailRecord): void {
    record.sequence = this.nextSequence++;
    this.trail(record.account, record.region).insert(record);
  }

  lookup(account: string, region: string, query: TrailQuery): { records: TrailRecord[]; more: boolean } {
    return this.trails.get(`${account}/${region}`)?.lookup(query) ?? { records: [], more: false };
  }

  /** The records of one account and region, oldest first. */
  list(account: string, region: string): readonly TrailRecord[] {
    return this.trails.get(`${account}/${region}`)?.records ?? [];
  }

  /** Records over all accounts and regions. */
  get size(): number {
    let total = 0;
    for (const trail of this.trails.values()) total += trail.records.length;
    return total;
  }

  clear(): void {
    this.trails.clear();
  }
}
