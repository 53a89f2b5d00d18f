import { type AwsError, invalidParameter, serializationError } from './errors.ts';

/** A decoded JSON object whose members are not yet checked. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads members of a request object. Wrong JSON types are `SerializationException`s (the request
 * does not match the model's shape); `path` prefixes field names in messages, e.g. `tags[2].`.
 */
export interface MemberReader {
  string(field: string): string | undefined;
  requiredString(field: string): string;
  integer(field: string): number | undefined;
  boolean(field: string): boolean | undefined;
  array(field: string): unknown[] | undefined;
  object(field: string): JsonObject | undefined;
  /** The full path of a member, for messages. */
  path(field: string): string;
}

/** Creates a {@link MemberReader} over `input`; null members read as absent, as in the AWS JSON protocols. */
export function readMembers(input: JsonObject, prefix = ''): MemberReader {
  const path = (field: string): string => `${prefix}${field}`;
  const typeError = (field: string, expected: string): AwsError =>
    serializationError(`Expected ${expected} at '${path(field)}'`);
  const present = (field: string): unknown => {
    const value = input[field];
    return value === null ? undefined : value;
  };
  const reader: MemberReader = {
    path,
    string(field) {
      const value = present(field);
      if (value === undefined) return undefined;
      if (typeof value !== 'string') throw typeError(field, 'a string');
      return value;
    },
    requiredString(field) {
      const value = reader.string(field);
      if (value === undefined) throw invalidParameter(path(field), 'must not be null');
      return value;
    },
    integer(field) {
      const value = present(field);
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(field, 'an integer');
      return value;
    },
    boolean(field) {
      const value = present(field);
      if (value === undefined) return undefined;
      if (typeof value !== 'boolean') throw typeError(field, 'a boolean');
      return value;
    },
    array(field) {
      const value = present(field);
      if (value === undefined) return undefined;
      if (!Array.isArray(value)) throw typeError(field, 'a list');
      return value;
    },
    object(field) {
      const value = present(field);
      if (value === undefined) return undefined;
      if (!isJsonObject(value)) throw typeError(field, 'a structure');
      return value;
    },
  };
  return reader;
}

/** Checks a string's length (in UTF-16 code units, as the AWS models count). */
export function checkLength(value: string, field: string, min: number, max: number): void {
  if (value.length < min) throw invalidParameter(field, `must have length greater than or equal to ${min}`);
  if (value.length > max) throw invalidParameter(field, `must have length less than or equal to ${max}`);
}

/** Checks an integer range. */
export function checkRange(value: number, field: string, min: number, max: number): void {
  if (value < min) throw invalidParameter(field, `must be greater than or equal to ${min}`);
  if (value > max) throw invalidParameter(field, `must be less than or equal to ${max}`);
}

/** Checks a string against a pattern; `source` is the pattern as the API reference prints it. */
export function checkPattern(value: string, field: string, pattern: RegExp, source: string): void {
  if (!pattern.test(value)) throw invalidParameter(field, `must satisfy regular expression '${source}'`);
}

/** Checks that `value` is one of `values`, narrowing it to their union. */
export function checkEnum<T extends string>(value: string, field: string, values: readonly T[]): T {
  const found = values.find((candidate) => candidate === value);
  if (found === undefined) {
    throw invalidParameter(field, `Member must satisfy enum value set: [${values.join(', ')}]`);
  }
  return found;
}
