/**
 * A small, offline EventBridge event-pattern matcher for tests, following the semantics of AWS's
 * Event Ruler (https://github.com/aws/event-ruler, the engine behind EventBridge) as documented in
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html:
 *
 * - An event is flattened into leaf values per dotted path; arrays are "crushed" (every element is a
 *   value of the same path) and `null` is a value. Objects are never leaves.
 * - A pattern field holds an array of matchers (OR); the fields of a pattern object are ANDed.
 * - `{ "exists": true | false }` tests whether the path has any leaf value (so it works on leaves
 *   only: a path holding an object "does not exist").
 * - `anything-but` needs a value to be present: a missing field never matches it, `null` does.
 * - `"$or": [p1, p2, ...]` (two or more objects) matches when any branch matches, ANDed with siblings.
 *
 * Supported operators: exact values (string, number, boolean, null), `prefix`, `suffix`,
 * `equals-ignore-case`, `exists`, `anything-but` (value, list, or `{ prefix }` / `{ suffix }`) and
 * `$or`. Anything else throws, so a test can never pass on an operator this helper ignores.
 * Limitation: matches on several fields inside the same array of objects are not checked for
 * array consistency (Event Ruler's `rulesForJSONEvent` does that); no pattern here relies on it.
 */

type Leaf = string | number | boolean | null;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** All leaf values at a path (crushing arrays at every level). */
function leavesAt(value: unknown, path: readonly string[]): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((element) => leavesAt(element, path));
  if (path.length === 0) {
    if (isObject(value)) return [];
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      return [value];
    }
    return [];
  }
  if (!isObject(value)) return [];
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(value, head)) return [];
  return leavesAt(value[head], rest);
}

function stringMatcher(operator: string, operand: unknown): (value: Leaf) => boolean {
  if (typeof operand !== 'string')
    throw new Error(`pattern: ${operator} needs a string, got ${JSON.stringify(operand)}`);
  switch (operator) {
    case 'prefix':
      return (value) => typeof value === 'string' && value.startsWith(operand);
    case 'suffix':
      return (value) => typeof value === 'string' && value.endsWith(operand);
    case 'equals-ignore-case':
      return (value) => typeof value === 'string' && value.toLowerCase() === operand.toLowerCase();
    default:
      throw new Error(`pattern: operator ${operator} is not supported by this test matcher`);
  }
}

/** A predicate over the values found at a path (an empty list means the field is absent). */
type FieldMatcher = (values: readonly Leaf[]) => boolean;

function compileMatcher(matcher: unknown): FieldMatcher {
  if (
    matcher === null ||
    typeof matcher === 'string' ||
    typeof matcher === 'number' ||
    typeof matcher === 'boolean'
  ) {
    return (values) => values.some((value) => value === matcher);
  }
  if (!isObject(matcher)) throw new Error(`pattern: unsupported matcher ${JSON.stringify(matcher)}`);
  const keys = Object.keys(matcher);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined) {
    throw new Error(`pattern: a matcher has exactly one operator, got ${JSON.stringify(matcher)}`);
  }
  const operand = matcher[operator];
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new Error('pattern: exists needs true or false');
      return (values) => values.length > 0 === operand;
    case 'anything-but': {
      let excluded: (value: Leaf) => boolean;
      if (Array.isArray(operand)) {
        excluded = (value) => operand.some((item) => item === value);
      } else if (isObject(operand)) {
        const [nested] = Object.keys(operand);
        if (Object.keys(operand).length !== 1 || nested === undefined) {
          throw new Error('pattern: anything-but takes one nested operator');
        }
        excluded = stringMatcher(nested, operand[nested]);
      } else {
        excluded = (value) => value === operand;
      }
      // Event Ruler: a missing field matches no anything-but; a present one matches when any value is not excluded.
      return (values) => values.length > 0 && values.some((value) => !excluded(value));
    }
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case': {
      const test = stringMatcher(operator, operand);
      return (values) => values.some(test);
    }
    default:
      throw new Error(`pattern: operator ${operator} is not supported by this test matcher`);
  }
}

function matchesAt(pattern: unknown, event: unknown, path: readonly string[]): boolean {
  if (!isObject(pattern)) throw new Error(`pattern: expected an object at ${path.join('.') || '(root)'}`);
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value) && value.length >= 2 && value.every(isObject)) {
      if (!value.some((branch) => matchesAt(branch, event, path))) return false;
      continue;
    }
    const fieldPath = [...path, key];
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`pattern: empty matcher list at ${fieldPath.join('.')}`);
      const values = leavesAt(event, fieldPath);
      if (!value.map(compileMatcher).some((matcher) => matcher(values))) return false;
    } else if (isObject(value)) {
      if (!matchesAt(value, event, fieldPath)) return false;
    } else {
      throw new Error(`pattern: ${fieldPath.join('.')} must be an array or an object`);
    }
  }
  return true;
}

/** True when the event (parsed JSON) matches the EventBridge event pattern. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return matchesAt(pattern, event, []);
}
