/**
 * Repository creation templates: their request rules and the four operations that manage them
 * (CreateRepositoryCreationTemplate, DescribeRepositoryCreationTemplates, UpdateRepositoryCreationTemplate,
 * DeleteRepositoryCreationTemplate). Constraints are those of the ECR service model
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryCreationTemplate.html).
 */
import { AwsError, invalidParameter, serializationError } from '../core/errors.ts';
import {
  checkEnum,
  checkLength,
  checkPattern,
  checkRange,
  type JsonObject,
  type MemberReader,
  readMembers,
} from '../core/validate.ts';
import type { EcrContext } from './context.ts';
import {
  APPLIED_FOR_VALUES,
  type AppliedFor,
  ENCRYPTION_TYPES,
  type ImageTagMutability,
  type MutabilitySetting,
  type RepositoryCreationTemplate,
  readExclusionFilters,
  readMutabilitySetting,
  readTagList,
} from './model.ts';
import { type TemplateSet, templateKey } from './store.ts';

/** `Prefix`: `ROOT`, or repository-name-like segments with an optional trailing `/` (1–256 characters). */
const PREFIX_SOURCE =
  '^([a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*\\/?|ROOT)$';
const PREFIX = new RegExp(PREFIX_SOURCE);
/** `KmsKeyForRepositoryCreationTemplate`: empty or a full KMS key ARN (the model's pattern, unanchored at the end). */
const KMS_KEY_SOURCE = '^$|arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\\/[a-z0-9-]+';
const KMS_KEY = new RegExp(KMS_KEY_SOURCE);
/** An IAM role ARN (a path is allowed); the account is checked against the registry's separately. */
const ROLE_ARN_SOURCE = '^arn:aws[-a-z0-9]*:iam::[0-9]{12}:role/.+$';
const ROLE_ARN = /^arn:aws[-a-z0-9]*:iam::([0-9]{12}):role\/.+$/;

const DESCRIPTION_MAX = 256;
const REPOSITORY_POLICY_MAX = 10_240;
const LIFECYCLE_POLICY_MAX = 30_720;
const CUSTOM_ROLE_ARN_MAX = 2048;
const DEFAULT_MAX_RESULTS = 100;
/** The page-token scope of DescribeRepositoryCreationTemplates. */
const TOKEN_SCOPE = 'templates';

/** Checks a template prefix (`ROOT` or a repository namespace, 1–256 characters). */
export function checkPrefix(value: string, field: string): string {
  checkLength(value, field, 1, 256);
  checkPattern(value, field, PREFIX, PREFIX_SOURCE);
  return value;
}

/** Reads the required `prefix` member. */
export function readPrefix(reader: MemberReader): string {
  return checkPrefix(reader.requiredString('prefix'), reader.path('prefix'));
}

/** Reads an `appliedFor` list: at least one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH; duplicates collapse. */
export function readAppliedFor(list: unknown[], field: string): AppliedFor[] {
  if (list.length < 1) throw invalidParameter(field, 'Member must have length greater than or equal to 1');
  const values = list.map((value, index) => {
    if (typeof value !== 'string') throw serializationError(`Expected a string at '${field}[${index}]'`);
    return checkEnum(value, `${field}[${index}]`, APPLIED_FOR_VALUES);
  });
  return [...new Set(values)];
}

function readText(reader: MemberReader, field: string, max: number): string | undefined {
  const value = reader.string(field);
  if (value !== undefined) checkLength(value, reader.path(field), 0, max);
  return value;
}

/**
 * ECR validates policy documents; the emulator checks what every valid one shares: it is a JSON object.
 * An empty string is allowed (the model's minimum length is 0) and clears the policy on update.
 */
function readPolicy(reader: MemberReader, field: string, max: number): string | undefined {
  const value = readText(reader, field, max);
  if (value === undefined || value === '') return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${reader.path(field)}': the policy is not a JSON object`,
    );
  }
  return value;
}

function readCustomRoleArn(reader: MemberReader, account: string): string | undefined {
  const value = readText(reader, 'customRoleArn', CUSTOM_ROLE_ARN_MAX);
  if (value === undefined || value === '') return value;
  const field = reader.path('customRoleArn');
  const [, roleAccount] = ROLE_ARN.exec(value) ?? [];
  if (roleAccount === undefined)
    throw invalidParameter(field, `must satisfy regular expression '${ROLE_ARN_SOURCE}'`);
  if (roleAccount !== account) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${field}': the role must be in the registry's account '${account}', not '${roleAccount}'`,
    );
  }
  return value;
}

/** `EncryptionConfigurationForRepositoryCreationTemplate`: the key, if any, must be a full KMS key ARN. */
function readTemplateEncryption(
  reader: MemberReader,
): RepositoryCreationTemplate['encryptionConfiguration'] | undefined {
  const value = reader.object('encryptionConfiguration');
  if (value === undefined) return undefined;
  const member = readMembers(value, `${reader.path('encryptionConfiguration')}.`);
  const encryptionType = checkEnum(
    member.requiredString('encryptionType'),
    member.path('encryptionType'),
    ENCRYPTION_TYPES,
  );
  const kmsKey = member.string('kmsKey');
  if (kmsKey === undefined || kmsKey === '') return { encryptionType };
  checkLength(kmsKey, member.path('kmsKey'), 0, 2048);
  checkPattern(kmsKey, member.path('kmsKey'), KMS_KEY, KMS_KEY_SOURCE);
  if (encryptionType === 'AES256') {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${member.path('kmsKey')}': a KMS key can only be given with encryptionType KMS or KMS_DSSE`,
    );
  }
  return { encryptionType, kmsKey };
}

function readResourceTags(reader: MemberReader): Map<string, string> | undefined {
  const list = reader.array('resourceTags');
  return list === undefined ? undefined : new Map(readTagList(list, reader.path('resourceTags')));
}

/** The members shared by Create and Update, read and checked; absent members are `undefined`. */
interface TemplateMembers {
  readonly description: string | undefined;
  readonly encryptionConfiguration: RepositoryCreationTemplate['encryptionConfiguration'] | undefined;
  readonly resourceTags: Map<string, string> | undefined;
  readonly repositoryPolicy: string | undefined;
  readonly lifecyclePolicy: string | undefined;
  readonly appliedFor: AppliedFor[] | undefined;
  readonly customRoleArn: string | undefined;
}

function readTemplateMembers(reader: MemberReader, account: string): TemplateMembers {
  const appliedFor = reader.array('appliedFor');
  return {
    description: readText(reader, 'description', DESCRIPTION_MAX),
    encryptionConfiguration: readTemplateEncryption(reader),
    resourceTags: readResourceTags(reader),
    repositoryPolicy: readPolicy(reader, 'repositoryPolicy', REPOSITORY_POLICY_MAX),
    lifecyclePolicy: readPolicy(reader, 'lifecyclePolicy', LIFECYCLE_POLICY_MAX),
    appliedFor: appliedFor === undefined ? undefined : readAppliedFor(appliedFor, reader.path('appliedFor')),
    customRoleArn: readCustomRoleArn(reader, account),
  };
}

/** An empty string clears an optional text member. */
function orUnset(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** The `RepositoryCreationTemplate` structure as ECR returns it; timestamps in epoch seconds. */
export function toWireTemplate(template: RepositoryCreationTemplate): JsonObject {
  const optional = (name: string, value: string | undefined): JsonObject =>
    value === undefined ? {} : { [name]: value };
  return {
    prefix: template.prefix,
    ...optional('description', template.description),
    encryptionConfiguration: template.encryptionConfiguration,
    resourceTags: [...template.resourceTags].map(([Key, Value]) => ({ Key, Value })),
    imageTagMutability: template.imageTagMutability,
    ...(template.imageTagMutabilityExclusionFilters === undefined
      ? {}
      : { imageTagMutabilityExclusionFilters: template.imageTagMutabilityExclusionFilters }),
    ...optional('repositoryPolicy', template.repositoryPolicy),
    ...optional('lifecyclePolicy', template.lifecyclePolicy),
    appliedFor: template.appliedFor,
    ...optional('customRoleArn', template.customRoleArn),
    createdAt: template.createdAtMs / 1000,
    updatedAt: template.updatedAtMs / 1000,
  };
}

/** A template with the given settings and ECR's defaults for the rest (seeding and Create). */
export function newTemplate(
  prefix: string,
  setting: MutabilitySetting,
  appliedFor: readonly AppliedFor[],
  nowMs: number,
): RepositoryCreationTemplate {
  return {
    prefix,
    description: undefined,
    encryptionConfiguration: { encryptionType: 'AES256' },
    resourceTags: new Map(),
    imageTagMutability: setting.imageTagMutability,
    imageTagMutabilityExclusionFilters: setting.imageTagMutabilityExclusionFilters,
    repositoryPolicy: undefined,
    lifecyclePolicy: undefined,
    appliedFor,
    customRoleArn: undefined,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
}

function templatesOf(context: EcrContext): TemplateSet {
  return context.store.registry(context.account, context.region).templates;
}

function templateNotFound(prefix: string, account: string): AwsError {
  return new AwsError(
    'TemplateNotFoundException',
    `The repository creation template with prefix '${prefix}' does not exist in the registry with id '${account}'`,
  );
}

function existingTemplate(
  context: EcrContext,
  templates: TemplateSet,
  prefix: string,
): RepositoryCreationTemplate {
  const template = templates.get(prefix);
  if (template === undefined) throw templateNotFound(prefix, context.account);
  return template;
}

function answer(context: EcrContext, template: RepositoryCreationTemplate): JsonObject {
  return { registryId: context.account, repositoryCreationTemplate: toWireTemplate(template) };
}

/**
 * CreateRepositoryCreationTemplate: `prefix` and `appliedFor` are required; mutability defaults to MUTABLE
 * and encryption to AES256. https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
 */
export function createRepositoryCreationTemplate(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const prefix = readPrefix(reader);
  const members = readTemplateMembers(reader, context.account);
  if (members.appliedFor === undefined) throw invalidParameter(reader.path('appliedFor'), 'must not be null');
  const setting = readMutabilitySetting(reader, 'MUTABLE');
  const template = newTemplate(prefix, setting, members.appliedFor, context.nowMs);
  template.description = orUnset(members.description);
  template.encryptionConfiguration = members.encryptionConfiguration ?? template.encryptionConfiguration;
  template.resourceTags = members.resourceTags ?? template.resourceTags;
  template.repositoryPolicy = orUnset(members.repositoryPolicy);
  template.lifecyclePolicy = orUnset(members.lifecyclePolicy);
  template.customRoleArn = orUnset(members.customRoleArn);
  if (!templatesOf(context).insert(template)) {
    throw new AwsError(
      'TemplateAlreadyExistsException',
      `The repository creation template with prefix '${prefix}' already exists in the registry with id '${context.account}'`,
    );
  }
  return answer(context, template);
}

/**
 * DescribeRepositoryCreationTemplates: all templates, or those of `prefixes` (prefixes without a template
 * are left out, not refused: the operation models no not-found error), paged by `maxResults` (1–1000,
 * default 100) and `nextToken` in prefix order.
 */
export function describeRepositoryCreationTemplates(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const prefixes = reader.array('prefixes');
  const wanted =
    prefixes === undefined || prefixes.length === 0
      ? undefined
      : new Set(
          prefixes.map((prefix, index) => {
            if (typeof prefix !== 'string')
              throw serializationError(`Expected a string at 'prefixes[${index}]'`);
            return templateKey(checkPrefix(prefix, `prefixes[${index}]`));
          }),
        );
  const limit = reader.integer('maxResults') ?? DEFAULT_MAX_RESULTS;
  checkRange(limit, reader.path('maxResults'), 1, 1000);
  const nextToken = reader.string('nextToken');
  const after =
    nextToken === undefined
      ? undefined
      : context.tokens.decode(nextToken, context.account, context.region, TOKEN_SCOPE);
  const page = templatesOf(context).page(after, limit, wanted);
  const last = page.templates.at(-1);
  return {
    registryId: context.account,
    repositoryCreationTemplates: page.templates.map(toWireTemplate),
    ...(page.more && last !== undefined
      ? {
          nextToken: context.tokens.encode({
            account: context.account,
            region: context.region,
            after: templateKey(last.prefix),
            scope: TOKEN_SCOPE,
          }),
        }
      : {}),
  };
}

/**
 * Reads the mutability members of an update before the template is looked up: a new `imageTagMutability`
 * is checked as PutImageTagMutability checks it; filters alone are resolved against the template later.
 */
function readMutabilityUpdate(
  reader: MemberReader,
): (current: RepositoryCreationTemplate) => MutabilitySetting {
  if (reader.string('imageTagMutability') !== undefined) {
    const setting = readMutabilitySetting(reader);
    return () => setting;
  }
  const list = reader.array('imageTagMutabilityExclusionFilters');
  if (list === undefined) return (current) => current;
  const field = reader.path('imageTagMutabilityExclusionFilters');
  const filters = readExclusionFilters(list, field);
  return (current) => {
    const mutability: ImageTagMutability = current.imageTagMutability;
    if (!mutability.endsWith('_WITH_EXCLUSION')) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at '${field}': exclusion filters are only allowed when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not ${mutability}`,
      );
    }
    return { imageTagMutability: mutability, imageTagMutabilityExclusionFilters: filters };
  };
}

/**
 * UpdateRepositoryCreationTemplate: changes the members given and keeps the others; an empty string clears
 * an optional text member. A mutability without `_WITH_EXCLUSION` clears the exclusion filters.
 */
export function updateRepositoryCreationTemplate(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const prefix = readPrefix(reader);
  const members = readTemplateMembers(reader, context.account);
  const mutability = readMutabilityUpdate(reader);
  const template = existingTemplate(context, templatesOf(context), prefix);
  const setting = mutability(template);
  if (members.description !== undefined) template.description = orUnset(members.description);
  if (members.encryptionConfiguration !== undefined)
    template.encryptionConfiguration = members.encryptionConfiguration;
  if (members.resourceTags !== undefined) template.resourceTags = members.resourceTags;
  if (members.repositoryPolicy !== undefined) template.repositoryPolicy = orUnset(members.repositoryPolicy);
  if (members.lifecyclePolicy !== undefined) template.lifecyclePolicy = orUnset(members.lifecyclePolicy);
  if (members.appliedFor !== undefined) template.appliedFor = members.appliedFor;
  if (members.customRoleArn !== undefined) template.customRoleArn = orUnset(members.customRoleArn);
  template.imageTagMutability = setting.imageTagMutability;
  template.imageTagMutabilityExclusionFilters = setting.imageTagMutabilityExclusionFilters;
  template.updatedAtMs = context.nowMs;
  return answer(context, template);
}

/** DeleteRepositoryCreationTemplate: removes the template and returns it. */
export function deleteRepositoryCreationTemplate(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const prefix = readPrefix(reader);
  const templates = templatesOf(context);
  const template = existingTemplate(context, templates, prefix);
  templates.remove(prefix);
  return answer(context, template);
}
