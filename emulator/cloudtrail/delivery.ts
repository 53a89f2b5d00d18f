/**
 * Delivers recorded calls as the EventBridge events CloudTrail produces ("AWS API Call via CloudTrail") to a
 * local target: an in-process callback or a loopback URL (HTTP POST of the event as JSON). Delivery runs after
 * the API response, one event at a time in record order, and never blocks or fails the API call.
 *
 * An enabled EventBridge rule matches CloudTrail management events except read-only ones (failed or not);
 * only a rule in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also gets the read-only ones
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html). So
 * write calls are delivered, succeeded or failed, and read-only calls only with `includeReadOnly`.
 */
import { AdminRequestError } from '../core/errors.ts';
import type { JsonObject } from '../core/validate.ts';
import { type TrailRecord, toEventBridgeEvent } from './record.ts';

/** Receives one event; a thrown error or rejected promise counts as a failed delivery. */
export type DeliveryCallback = (event: JsonObject) => unknown;

/** Where events go. */
export interface DeliveryTarget {
  /** An in-process callback, e.g. a wrapper around the built guardrail bundle's handler. */
  readonly callback?: DeliveryCallback;
  /** A loopback URL (`http://127.0.0.1:…`, `http://localhost:…`, `http://[::1]:…`) to POST each event to. */
  readonly url?: string;
  /** Deliver read-only calls too; default false (write calls only, succeeded or failed). */
  readonly includeReadOnly?: boolean;
}

/** Delivery counters, as `GET /_emulator/stats` reports them under `deliveries`. */
export interface DeliveryStats {
  delivered: number;
  failed: number;
  pending: number;
  /** The last failure's message, if any. */
  lastError?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Checks that a delivery URL is http(s) on loopback (the emulator sends nothing off the machine). */
export function checkDeliveryUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AdminRequestError(`delivery url '${url}' is not a URL`);
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new AdminRequestError(
      `delivery url '${url}' must be http(s) on loopback (127.0.0.1, localhost or [::1])`,
    );
  }
  return url;
}

/** The delivery queue. */
export class EventDelivery {
  private target: DeliveryTarget | undefined;
  private counters: DeliveryStats = { delivered: 0, failed: 0, pending: 0 };
  private tail: Promise<void> = Promise.resolve();
  private waiters: Array<() => void> = [];

  constructor(target?: DeliveryTarget) {
    this.configure(target);
  }

  /** Sets (or, with undefined, removes) the target. */
  configure(target: DeliveryTarget | undefined): void {
    if (target?.url !== undefined) checkDeliveryUrl(target.url);
    if (target !== undefined && target.url === undefined && target.callback === undefined)
      throw new AdminRequestError('a delivery target needs a url or a callback');
    this.target = target;
  }

  /** The current target, without its callback (for the control route). */
  describe(): JsonObject {
    const target = this.target;
    return target === undefined
      ? { target: null }
      : {
          target: {
            ...(target.url === undefined ? {} : { url: target.url }),
            ...(target.callback === undefined ? {} : { callback: true }),
            includeReadOnly: target.includeReadOnly === true,
          },
        };
  }

  /** True when the record would be delivered to the current target. */
  wants(record: TrailRecord): boolean {
    const target = this.target;
    if (target === undefined) return false;
    return !record.readOnly || target.includeReadOnly === true;
  }

  /** Queues a record's event (if the target wants it); returns at once. */
  offer(record: TrailRecord): void {
    const target = this.target;
    if (target === undefined || !this.wants(record)) return;
    const event = toEventBridgeEvent(record);
    this.counters.pending += 1;
    this.tail = this.tail.then(async () => {
      try {
        await send(target, event);
        this.counters.delivered += 1;
      } catch (error) {
        this.counters.failed += 1;
        this.counters.lastError = error instanceof Error ? error.message : String(error);
      } finally {
        this.counters.pending -= 1;
        if (this.counters.pending === 0) this.release();
      }
    });
  }

  /** Resolves once every queued event has been delivered or has failed. */
  idle(): Promise<void> {
    if (this.counters.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stats(): DeliveryStats {
    return { ...this.counters };
  }

  /** Zeroes the counters (events still queued keep being delivered). */
  clearStats(): void {
    this.counters = { delivered: 0, failed: 0, pending: this.counters.pending };
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

async function send(target: DeliveryTarget, event: JsonObject): Promise<void> {
  if (target.callback !== undefined) {
    await target.callback(structuredClone(event));
    return;
  }
  if (target.url === undefined) return;
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`POST ${target.url} answered HTTP ${response.status}`);
}
