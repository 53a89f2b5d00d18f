/**
 * EventBridge rules and their targets on the default event bus, per account and region: PutRule, DescribeRule,
 * EnableRule, DisableRule, DeleteRule, PutTargets, ListTargetsByRule and RemoveTargets, with the constraints and
 * error codes of the EventBridge API reference
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Operations.html). Rules are stored, not run:
 * no event is matched against a pattern or delivered to a target.
 */
import { AwsError } from '../core/errors.ts';
import type { PageTokens } from '../core/page-token.ts';
import { isJsonObject, type JsonObject, type MemberReader, readMembers } from '../core/validate.ts';

/** `State` of a rule. */
export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** A target as PutTargets stores it (the members this emulator reads; others are kept as given). */
export interface StoredTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly [member: string]: unknown;
}

export interface StoredRule {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly eventPattern: string | undefined;
  readonly scheduleExpression: string | undefined;
  readonly state: RuleState;
  readonly description: string | undefined;
  readonly roleArn: string | undefined;
  /** By target id, in the order they were first put. */
  readonly targets: Map<string, StoredTarget>;
}

/** The only bus modelled: every account and region has it; custom buses are not modelled. */
export const DEFAULT_BUS = 'default';
/** Targets one rule may have (EventBridge quotas: 5 per rule). */
export const MAX_TARGETS_PER_RULE = 5;
const RULE_NAME = /^[.\-_A-Za-z0-9]+$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]+$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]+)$/;
const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;

/** The rules of every account and region. */
export class RuleStore {
  private readonly rules = new Map<string, StoredRule>();

  private static key(account: string, region: string, name: string): string {
    return `${account}/${region}/${name}`;
  }

  get(account: string, region: string, name: string): StoredRule | undefined {
    return this.rules.get(RuleStore.key(account, region, name));
  }

  set(rule: StoredRule): void {
    this.rules.set(RuleStore.key(rule.account, rule.region, rule.name), rule);
  }

  delete(account: string, region: string, name: string): void {
    this.rules.delete(RuleStore.key(account, region, name));
  }

  clear(): void {
    this.rules.clear();
  }
}

/** What one rules call runs against. */
export interface RulesContext {
  readonly rules: RuleStore;
  readonly tokens: PageTokens;
  readonly account: string;
  readonly region: string;
}

/** EventBridge's wording for a member that breaks a modelled constraint. */
function validation(value: unknown, member: string, constraint: string): AwsError {
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

function checkText(
  value: string,
  member: string,
  min: number,
  max: number,
  pattern?: { readonly regex: RegExp; readonly source: string },
): string {
  if (value.length < min)
    throw validation(value, member, `Member must have length greater than or equal to ${min}`);
  if (value.length > max)
    throw validation(value, member, `Member must have length less than or equal to ${max}`);
  if (pattern !== undefined && !pattern.regex.test(value))
    throw validation(value, member, `Member must satisfy regular expression pattern: ${pattern.source}`);
  return value;
}

const RULE_NAME_PATTERN = { regex: RULE_NAME, source: '[\\.\\-_A-Za-z0-9]+' };

function readRuleName(reader: MemberReader, member = 'Name'): string {
  const name = reader.string(member);
  if (name === undefined)
    throw validation('null', reader.path(member.toLowerCase()), 'Member must not be null');
  return checkText(name, reader.path(member.toLowerCase()), 1, 64, RULE_NAME_PATTERN);
}

/** The bus named by `EventBusName` (a name or an ARN of the caller's account and region): only `default` exists. */
function readBus(context: RulesContext, reader: MemberReader): string {
  const given = reader.string('EventBusName');
  if (given === undefined) return DEFAULT_BUS;
  checkText(given, 'eventBusName', 1, 1600);
  const arn = BUS_ARN.exec(given);
  const name = arn === null ? given : (arn[3] ?? '');
  if (arn !== null && (arn[1] !== context.region || arn[2] !== context.account)) {
    throw new AwsError('ResourceNotFoundException', `Event bus ${given} does not exist.`);
  }
  if (name !== DEFAULT_BUS)
    throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
  return name;
}

function ruleArn(context: RulesContext, name: string): string {
  return `arn:aws:events:${context.region}:${context.account}:rule/${name}`;
}

function existingRule(context: RulesContext, name: string, bus: string): StoredRule {
  const rule = context.rules.get(context.account, context.region, name);
  if (rule === undefined)
    throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
  return rule;
}

/** Event patterns must be JSON objects whose leaves are arrays or nested patterns (content filters not checked). */
function checkPattern(text: string): void {
  checkText(text, 'eventPattern', 0, 4096);
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new AwsError('InvalidEventPatternException', 'Event pattern is not valid. Reason: not valid JSON');
  }
  const check = (value: unknown, path: string): void => {
    if (!isJsonObject(value) || Object.keys(value).length === 0)
      throw new AwsError(
        'InvalidEventPatternException',
        `Event pattern is not valid. Reason: ${path === '' ? 'Filter is not an object' : `"${path}" must be an object or an array`}`,
      );
    for (const [key, member] of Object.entries(value)) {
      if (Array.isArray(member)) continue;
      check(member, path === '' ? key : `${path}.${key}`);
    }
  };
  check(pattern, '');
}

export function putRule(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader);
  readBus(context, reader);
  const eventPattern = reader.string('EventPattern');
  const scheduleExpression = reader.string('ScheduleExpression');
  if (eventPattern === undefined && scheduleExpression === undefined) {
    throw new AwsError(
      'ValidationException',
      'Parameter(s) ScheduleExpression or EventPattern must be specified.',
    );
  }
  if (eventPattern !== undefined) checkPattern(eventPattern);
  if (scheduleExpression !== undefined) {
    checkText(scheduleExpression, 'scheduleExpression', 0, 256);
    if (!/^(rate|cron)\(.+\)$/.test(scheduleExpression))
      throw new AwsError('ValidationException', 'Parameter ScheduleExpression is not valid.');
  }
  const stateText = reader.string('State') ?? 'ENABLED';
  const state = RULE_STATES.find((candidate) => candidate === stateText);
  if (state === undefined)
    throw validation(stateText, 'state', `Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`);
  const description = reader.string('Description');
  if (description !== undefined) checkText(description, 'description', 0, 512);
  const roleArn = reader.string('RoleArn');
  if (roleArn !== undefined) checkText(roleArn, 'roleArn', 1, 1600);
  // Tags are accepted as the API takes them and not kept.
  reader.array('Tags');
  const existing = context.rules.get(context.account, context.region, name);
  // PutRule replaces the rule's settings and keeps its targets.
  context.rules.set({
    name,
    account: context.account,
    region: context.region,
    eventPattern,
    scheduleExpression,
    state,
    description,
    roleArn,
    targets: existing?.targets ?? new Map(),
  });
  return { RuleArn: ruleArn(context, name) };
}

export function describeRule(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader);
  const bus = readBus(context, reader);
  const rule = existingRule(context, name, bus);
  return {
    Name: rule.name,
    Arn: ruleArn(context, rule.name),
    State: rule.state,
    EventBusName: bus,
    CreatedBy: context.account,
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    ...(rule.roleArn === undefined ? {} : { RoleArn: rule.roleArn }),
  };
}

/** EnableRule / DisableRule: the rule's state, nothing else. */
export function setRuleState(context: RulesContext, input: JsonObject, state: RuleState): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader);
  const rule = existingRule(context, name, readBus(context, reader));
  context.rules.set({ ...rule, state });
  return {};
}

export function deleteRule(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader);
  readBus(context, reader);
  reader.boolean('Force');
  const rule = context.rules.get(context.account, context.region, name);
  // Deleting a rule that does not exist succeeds, as in EventBridge.
  if (rule === undefined) return {};
  if (rule.targets.size > 0)
    throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
  context.rules.delete(context.account, context.region, name);
  return {};
}

const RETRY_LIMITS = {
  MaximumRetryAttempts: [0, 185],
  MaximumEventAgeInSeconds: [60, 86_400],
} as const;

function readTarget(value: unknown, index: number): StoredTarget {
  if (!isJsonObject(value))
    throw new AwsError('SerializationException', `Expected a structure at 'Targets[${index}]'`);
  const reader = readMembers(value, `Targets[${index}].`);
  const member = (name: string) => `targets.${index + 1}.member.${name}`;
  const id = reader.string('Id');
  if (id === undefined) throw validation('null', member('id'), 'Member must not be null');
  checkText(id, member('id'), 1, 64, { regex: TARGET_ID, source: '[\\.\\-_A-Za-z0-9]+' });
  const arn = reader.string('Arn');
  if (arn === undefined) throw validation('null', member('arn'), 'Member must not be null');
  checkText(arn, member('arn'), 1, 1600);
  if (!ARN.test(arn))
    throw new AwsError(
      'ValidationException',
      `Parameter ${arn} is not valid. Reason: Provided Arn is not in correct format.`,
    );
  const roleArn = reader.string('RoleArn');
  if (roleArn !== undefined) checkText(roleArn, member('roleArn'), 1, 1600);
  const retry = reader.object('RetryPolicy');
  if (retry !== undefined) {
    const retryReader = readMembers(retry, `Targets[${index}].RetryPolicy.`);
    for (const [name, [min, max]] of Object.entries(RETRY_LIMITS)) {
      const limit = retryReader.integer(name);
      if (limit === undefined) continue;
      const path = `targets.${index + 1}.member.retryPolicy.${name.charAt(0).toLowerCase()}${name.slice(1)}`;
      if (limit < min)
        throw validation(limit, path, `Member must have value greater than or equal to ${min}`);
      if (limit > max) throw validation(limit, path, `Member must have value less than or equal to ${max}`);
    }
  }
  const deadLetter = reader.object('DeadLetterConfig');
  if (deadLetter !== undefined) {
    const dlq = readMembers(deadLetter, `Targets[${index}].DeadLetterConfig.`).string('Arn');
    if (dlq !== undefined) checkText(dlq, member('deadLetterConfig.arn'), 1, 1600);
  }
  return { ...value, Id: id, Arn: arn };
}

/**
 * PutTargets: 1–10 targets, each added or replaced by its `Id`; a rule may hold at most
 * {@link MAX_TARGETS_PER_RULE} (`LimitExceededException` for the whole call).
 */
export function putTargets(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader, 'Rule');
  const rule = existingRule(context, name, readBus(context, reader));
  const list = reader.array('Targets');
  if (list === undefined || list.length < 1 || list.length > 10) {
    throw validation(
      list === undefined ? 'null' : `[${list.length} targets]`,
      'targets',
      'Member must have length less than or equal to 10 and greater than or equal to 1',
    );
  }
  const targets = list.map(readTarget);
  const after = new Set([...rule.targets.keys(), ...targets.map((target) => target.Id)]);
  if (after.size > MAX_TARGETS_PER_RULE) {
    throw new AwsError(
      'LimitExceededException',
      `The requested resource exceeds the maximum number allowed (${MAX_TARGETS_PER_RULE} targets per rule).`,
    );
  }
  for (const target of targets) rule.targets.set(target.Id, target);
  return { FailedEntryCount: 0, FailedEntries: [] };
}

export function listTargetsByRule(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader, 'Rule');
  const rule = existingRule(context, name, readBus(context, reader));
  const limit = reader.integer('Limit') ?? 100;
  if (limit < 1) throw validation(limit, 'limit', 'Member must have value greater than or equal to 1');
  if (limit > 100) throw validation(limit, 'limit', 'Member must have value less than or equal to 100');
  const listing = `events:targets:${name}`;
  const token = reader.string('NextToken');
  const targets = [...rule.targets.values()];
  let start = 0;
  if (token !== undefined) {
    const invalid = () => new AwsError('ValidationException', 'The NextToken provided is invalid.');
    start = Number(context.tokens.decode(token, context.account, context.region, listing, invalid));
    if (!Number.isInteger(start) || start < 0) throw invalid();
  }
  const end = start + limit;
  return {
    Targets: targets.slice(start, end),
    ...(end < targets.length
      ? {
          NextToken: context.tokens.encode({
            account: context.account,
            region: context.region,
            after: String(end),
            scope: listing,
          }),
        }
      : {}),
  };
}

/** RemoveTargets: an id the rule does not have fails alone, counted in `FailedEntryCount`. */
export function removeTargets(context: RulesContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const name = readRuleName(reader, 'Rule');
  const rule = existingRule(context, name, readBus(context, reader));
  reader.boolean('Force');
  const ids = reader.array('Ids');
  if (ids === undefined || ids.length < 1 || ids.length > 100) {
    throw validation(
      ids === undefined ? 'null' : `[${ids.length} ids]`,
      'ids',
      'Member must have length less than or equal to 100 and greater than or equal to 1',
    );
  }
  const failed: JsonObject[] = [];
  ids.forEach((id, index) => {
    if (typeof id !== 'string')
      throw new AwsError('SerializationException', `Expected a string at 'Ids[${index}]'`);
    checkText(id, `ids.${index + 1}.member`, 1, 64, { regex: TARGET_ID, source: '[\\.\\-_A-Za-z0-9]+' });
    if (!rule.targets.delete(id)) {
      failed.push({
        TargetId: id,
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Target ${id} does not exist on rule ${name}.`,
      });
    }
  });
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}
