/**
 * Reads an `exempt` audit record's reason back into its parts: the rule that exempted the repository, the
 * reason a person gave, and the expiry. The reasons are written by lib/policy.ts
 * (`rule exempt-name: repository name matches '<glob>'`, `rule exempt-tag: <key>='<value>'[ until <date>]`);
 * anything else is kept whole under the rule it names, or `unknown`. Pure.
 */

/** An exemption as auditors read it. */
export interface ExemptionFacts {
  /** The rule that exempted the repository: `exempt-name`, `exempt-tag <key>`, or what the reason names. */
  readonly rule: string;
  /** Why: the tag's value, or what the name rule matched. */
  readonly reason: string;
  /** The ISO date (or date-time) after which the exemption no longer holds; absent: no expiry. */
  readonly expiry?: string;
}

const NAME_RULE = /^rule exempt-name: (.*)$/s;
const TAG_RULE = /^rule exempt-tag: (.+?)='(.*)'(?: until (\S+))?$/s;
const TAG_VALUE = /^(.*)'(?: until (\S+))?$/s;
const ANY_RULE = /^rule ([\w-]+): (.*)$/s;

/**
 * The parts of an exemption reason. `tagKey` (the policy's exemption tag key) reads a key that itself
 * contains `='` exactly; without it the key ends at the first `='`.
 */
export function readExemption(reason: string, tagKey?: string): ExemptionFacts {
  const name = NAME_RULE.exec(reason);
  if (name !== null) return { rule: 'exempt-name', reason: name[1] ?? '' };
  const tag = tagParts(reason, tagKey);
  if (tag !== undefined) {
    const { key, value, expiry } = tag;
    return { rule: `exempt-tag ${key}`, reason: value, ...(expiry === undefined ? {} : { expiry }) };
  }
  const any = ANY_RULE.exec(reason);
  if (any !== null) return { rule: any[1] ?? 'unknown', reason: any[2] ?? '' };
  return { rule: 'unknown', reason };
}

/** The key, value and expiry of an `exempt-tag` reason: after the known key when given, else up to the first `='`. */
function tagParts(
  reason: string,
  tagKey: string | undefined,
): { key: string; value: string; expiry: string | undefined } | undefined {
  const prefix = `rule exempt-tag: ${tagKey ?? ''}='`;
  if (tagKey !== undefined && reason.startsWith(prefix)) {
    const rest = TAG_VALUE.exec(reason.slice(prefix.length));
    if (rest !== null) return { key: tagKey, value: rest[1] ?? '', expiry: rest[2] };
  }
  const tag = TAG_RULE.exec(reason);
  if (tag === null) return undefined;
  return { key: tag[1] ?? '', value: tag[2] ?? '', expiry: tag[3] };
}
