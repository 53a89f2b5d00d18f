/**
 * An EventBridge `PutEvents` sink (`AWSEvents.PutEvents`): validates entries as EventBridge does and keeps
 * the accepted ones for assertions. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import { randomUUID } from 'node:crypto';
import { AwsError, serializationError } from '../core/errors.ts';
import { isJsonObject, type JsonObject, readMembers } from '../core/validate.ts';

/** An event accepted by PutEvents. */
export interface StoredEvent {
  readonly eventId: string;
  readonly account: string;
  readonly region: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  /** `Detail`, parsed. */
  readonly detail: JsonObject;
  readonly resources: readonly string[];
  /** `Time` of the entry, or when it was received, as ISO 8601. */
  readonly time: string;
  readonly receivedAt: string;
}

/** Most entries in one PutEvents call. */
export const MAX_ENTRIES = 10;
/** Most bytes of all entries of one call, counted as EventBridge does. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** Received events, in arrival order. */
export class EventSink {
  private readonly events: StoredEvent[] = [];

  add(event: StoredEvent): void {
    this.events.push(event);
  }

  list(): readonly StoredEvent[] {
    return this.events;
  }

  clear(): void {
    this.events.length = 0;
  }
}

/** What one PutEvents call runs against. */
export interface EventsContext {
  readonly sink: EventSink;
  readonly account: string;
  readonly region: string;
  readonly nowMs: number;
}

// Entry size per https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
function entrySize(entry: JsonObject): number {
  const bytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce((total: number, resource: unknown) => total + bytes(resource), 0)
  );
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };
type Checked = { readonly result: EntryResult; readonly event?: StoredEvent };

function invalidArgument(member: string, reason: string): Checked {
  return {
    result: {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${member} is not valid. Reason: ${reason}`,
    },
  };
}

/** Checks one entry; throws only for wrong JSON types, which fail the whole call before anything is stored. */
function checkEntry(context: EventsContext, entry: JsonObject, index: number): Checked {
  const reader = readMembers(entry, `Entries[${index}].`);
  const source = reader.string('Source');
  const detailType = reader.string('DetailType');
  const detailText = reader.string('Detail');
  const eventBusName = reader.string('EventBusName') ?? 'default';
  const resources = (reader.array('Resources') ?? []).map((resource, position) => {
    if (typeof resource !== 'string')
      throw serializationError(`Expected a string at 'Entries[${index}].Resources[${position}]'`);
    return resource;
  });
  const time = entry.Time;
  if (time !== undefined && time !== null && typeof time !== 'number') {
    throw serializationError(`Expected a timestamp at 'Entries[${index}].Time'`);
  }
  if (source === undefined || source === '')
    return invalidArgument('Source', 'Source is a required argument.');
  if (source.length > 256) return invalidArgument('Source', 'Source must be at most 256 characters.');
  if (detailType === undefined || detailType === '') {
    return invalidArgument('DetailType', 'DetailType is a required argument.');
  }
  if (detailType.length > 128)
    return invalidArgument('DetailType', 'DetailType must be at most 128 characters.');
  if (detailText === undefined || detailText === '') {
    return invalidArgument('Detail', 'Detail is a required argument.');
  }
  if (eventBusName.length < 1 || eventBusName.length > 1600) {
    return invalidArgument('EventBusName', 'EventBusName must be 1 to 1600 characters.');
  }
  let detail: unknown;
  try {
    detail = JSON.parse(detailText);
  } catch {
    detail = undefined;
  }
  if (!isJsonObject(detail))
    return { result: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
  const eventId = randomUUID();
  const event: StoredEvent = {
    eventId,
    account: context.account,
    region: context.region,
    eventBusName,
    source,
    detailType,
    detail,
    resources,
    time: new Date(typeof time === 'number' ? time * 1000 : context.nowMs).toISOString(),
    receivedAt: new Date(context.nowMs).toISOString(),
  };
  return { result: { EventId: eventId }, event };
}

/**
 * PutEvents: 1–10 entries of at most 256 KiB in total (else a `ValidationException` for the whole call);
 * an entry without Source, DetailType or Detail, or whose Detail is not a JSON object, fails on its own
 * and is counted in `FailedEntryCount`, as in EventBridge.
 */
export function putEvents(context: EventsContext, input: JsonObject): JsonObject {
  const entries = readMembers(input).array('Entries');
  if (entries === undefined || entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
    );
  }
  const objects = entries.map((entry, index) => {
    if (!isJsonObject(entry)) throw serializationError(`Expected a structure at 'Entries[${index}]'`);
    return entry;
  });
  const total = objects.reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > MAX_REQUEST_BYTES) {
    throw new AwsError(
      'ValidationException',
      `Total size of the entries in the request is over the limit (${total} > ${MAX_REQUEST_BYTES} bytes).`,
    );
  }
  const checked = objects.map((entry, index) => checkEntry(context, entry, index));
  for (const { event } of checked) if (event !== undefined) context.sink.add(event);
  return {
    FailedEntryCount: checked.filter(({ result }) => 'ErrorCode' in result).length,
    Entries: checked.map(({ result }) => result),
  };
}
