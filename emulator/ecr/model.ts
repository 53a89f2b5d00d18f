/**
 * The ECR data model: repository records, their wire shape, and the request-member rules ECR applies to
 * them, from the API reference (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/).
 */
import { AwsError, invalidParameter } from '../core/errors.ts';
import {
  checkEnum,
  checkLength,
  checkPattern,
  isJsonObject,
  type JsonObject,
  type MemberReader,
  readMembers,
} from '../core/validate.ts';
import type { ImageSet } from './images.ts';

/** Values of `imageTagMutability` (API_Repository). */
export const IMAGE_TAG_MUTABILITIES = [
  'MUTABLE',
  'IMMUTABLE',
  'IMMUTABLE_WITH_EXCLUSION',
  'MUTABLE_WITH_EXCLUSION',
] as const;
/** A repository's tag mutability setting. */
export type ImageTagMutability = (typeof IMAGE_TAG_MUTABILITIES)[number];

/** Values of `encryptionConfiguration.encryptionType`. */
export const ENCRYPTION_TYPES = ['AES256', 'KMS', 'KMS_DSSE'] as const;
/** A repository's encryption type. */
export type EncryptionType = (typeof ENCRYPTION_TYPES)[number];

/** One entry of `imageTagMutabilityExclusionFilters` (API_ImageTagMutabilityExclusionFilter). */
export interface ExclusionFilter {
  readonly filter: string;
  readonly filterType: 'WILDCARD';
}

/** A repository as the emulator stores it. */
export interface Repository {
  readonly registryId: string;
  readonly region: string;
  readonly repositoryName: string;
  readonly createdAtMs: number;
  /** Before this instant DescribeRepositories does not see the repository (eventual consistency). */
  readonly visibleAtMs: number;
  imageTagMutability: ImageTagMutability;
  imageTagMutabilityExclusionFilters: readonly ExclusionFilter[] | undefined;
  readonly imageScanningConfiguration: { readonly scanOnPush: boolean };
  readonly encryptionConfiguration: { readonly encryptionType: EncryptionType; readonly kmsKey?: string };
  /** Tags in insertion order. */
  readonly tags: Map<string, string>;
  /** Images counted by a seed without being stored; DeleteRepository without `force` refuses when > 0. */
  readonly imageCount: number;
  /** Images put by PutImage or seeded pushes. */
  readonly images: ImageSet;
}

/** Values of `appliedFor` (RCTAppliedFor): the repository creation scenarios a template applies to. */
export const APPLIED_FOR_VALUES = ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'] as const;
/** One repository creation scenario. */
export type AppliedFor = (typeof APPLIED_FOR_VALUES)[number];

/**
 * A repository creation template (API_RepositoryCreationTemplate) as the emulator stores it. Optional text
 * members are `undefined` when unset; `prefix` is kept as given (see `templateKey` for its identity).
 */
export interface RepositoryCreationTemplate {
  readonly prefix: string;
  description: string | undefined;
  encryptionConfiguration: Repository['encryptionConfiguration'];
  /** Tags in insertion order. */
  resourceTags: Map<string, string>;
  imageTagMutability: ImageTagMutability;
  imageTagMutabilityExclusionFilters: readonly ExclusionFilter[] | undefined;
  repositoryPolicy: string | undefined;
  lifecyclePolicy: string | undefined;
  appliedFor: readonly AppliedFor[];
  customRoleArn: string | undefined;
  readonly createdAtMs: number;
  updatedAtMs: number;
}

/** Most tags a repository may carry. */
export const MAX_TAGS = 50;

const REPOSITORY_NAME_SOURCE = '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${REPOSITORY_NAME_SOURCE}$`);
const REGISTRY_ID = /^[0-9]{12}$/;
const EXCLUSION_FILTER_SOURCE = '^[0-9a-zA-Z._*-]{1,128}$';
const EXCLUSION_FILTER = new RegExp(EXCLUSION_FILTER_SOURCE);
// The general AWS tag character set (letters, spaces, digits and _ . : / = + - @).
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const REPOSITORY_ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):ecr:([a-z0-9-]+):([0-9]{12}):repository\/(.+)$/;

/** The AWS partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** `arn:<partition>:ecr:<region>:<account>:repository/<name>`. */
export function repositoryArn(region: string, account: string, name: string): string {
  return `arn:${partitionOf(region)}:ecr:${region}:${account}:repository/${name}`;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<name>` (`.com.cn` in China regions). */
export function repositoryUri(region: string, account: string, name: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${suffix}/${name}`;
}

/** The `Repository` structure as ECR returns it; `createdAt` in epoch seconds. */
export function toWireRepository(repository: Repository): JsonObject {
  const { region, registryId, repositoryName } = repository;
  return {
    repositoryArn: repositoryArn(region, registryId, repositoryName),
    registryId,
    repositoryName,
    repositoryUri: repositoryUri(region, registryId, repositoryName),
    createdAt: repository.createdAtMs / 1000,
    imageTagMutability: repository.imageTagMutability,
    ...(repository.imageTagMutabilityExclusionFilters === undefined
      ? {}
      : { imageTagMutabilityExclusionFilters: repository.imageTagMutabilityExclusionFilters }),
    imageScanningConfiguration: repository.imageScanningConfiguration,
    encryptionConfiguration: repository.encryptionConfiguration,
  };
}

/** The message ECR gives for a repository that does not exist. */
export function repositoryNotFound(name: string, registryId: string): AwsError {
  return new AwsError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  );
}

/** Checks a repository name: 2–256 characters matching ECR's pattern. */
export function checkRepositoryName(value: string, field: string): string {
  checkLength(value, field, 2, 256);
  checkPattern(value, field, REPOSITORY_NAME, REPOSITORY_NAME_SOURCE);
  return value;
}

/** Reads the required `repositoryName` member. */
export function readRepositoryName(reader: MemberReader): string {
  return checkRepositoryName(reader.requiredString('repositoryName'), reader.path('repositoryName'));
}

/** Reads the optional `registryId` member (a 12-digit account ID). */
export function readRegistryId(reader: MemberReader): string | undefined {
  const value = reader.string('registryId');
  if (value !== undefined) checkPattern(value, reader.path('registryId'), REGISTRY_ID, '[0-9]{12}');
  return value;
}

/** A mutability setting with its filters, checked together. */
export interface MutabilitySetting {
  readonly imageTagMutability: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters: readonly ExclusionFilter[] | undefined;
}

/**
 * Reads `imageTagMutability` and `imageTagMutabilityExclusionFilters`. Filters (1–5) are required for the
 * `*_WITH_EXCLUSION` values and refused for the others. Without `fallback` the mutability is required.
 */
export function readMutabilitySetting(
  reader: MemberReader,
  fallback?: ImageTagMutability,
): MutabilitySetting {
  const field = reader.path('imageTagMutability');
  const raw = reader.string('imageTagMutability');
  let imageTagMutability: ImageTagMutability;
  if (raw !== undefined) imageTagMutability = checkEnum(raw, field, IMAGE_TAG_MUTABILITIES);
  else if (fallback !== undefined) imageTagMutability = fallback;
  else throw invalidParameter(field, 'must not be null');
  const filtersField = reader.path('imageTagMutabilityExclusionFilters');
  const list = reader.array('imageTagMutabilityExclusionFilters');
  const filters = list === undefined ? undefined : readExclusionFilters(list, filtersField);
  const withExclusion = imageTagMutability.endsWith('_WITH_EXCLUSION');
  if (withExclusion && filters === undefined) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${filtersField}': exclusion filters are required when imageTagMutability is ${imageTagMutability}`,
    );
  }
  if (!withExclusion && filters !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${filtersField}': exclusion filters are only allowed when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not ${imageTagMutability}`,
    );
  }
  return { imageTagMutability, imageTagMutabilityExclusionFilters: filters };
}

/** Reads an `imageTagMutabilityExclusionFilters` list: 1–5 WILDCARD filters of `[0-9a-zA-Z._*-]{1,128}`. */
export function readExclusionFilters(list: unknown[], field: string): ExclusionFilter[] {
  if (list.length < 1 || list.length > 5)
    throw invalidParameter(field, 'Member must have length between 1 and 5');
  return list.map((entry, index) => {
    const path = `${field}[${index}]`;
    if (!isJsonObject(entry)) throw invalidParameter(path, 'must be a structure');
    const member = readMembers(entry, `${path}.`);
    const filter = member.requiredString('filter');
    checkPattern(filter, member.path('filter'), EXCLUSION_FILTER, EXCLUSION_FILTER_SOURCE);
    const filterType = checkEnum(member.requiredString('filterType'), member.path('filterType'), [
      'WILDCARD',
    ]);
    return { filter, filterType };
  });
}

/** Reads `imageScanningConfiguration` (default `{scanOnPush: false}`). */
export function readScanningConfiguration(reader: MemberReader): { scanOnPush: boolean } {
  const value = reader.object('imageScanningConfiguration');
  if (value === undefined) return { scanOnPush: false };
  return {
    scanOnPush:
      readMembers(value, `${reader.path('imageScanningConfiguration')}.`).boolean('scanOnPush') ?? false,
  };
}

/** Reads `encryptionConfiguration` (default AES256); a KMS key is only allowed with a KMS type. */
export function readEncryptionConfiguration(reader: MemberReader): Repository['encryptionConfiguration'] {
  const value = reader.object('encryptionConfiguration');
  if (value === undefined) return { encryptionType: 'AES256' };
  const member = readMembers(value, `${reader.path('encryptionConfiguration')}.`);
  const encryptionType = checkEnum(
    member.requiredString('encryptionType'),
    member.path('encryptionType'),
    ENCRYPTION_TYPES,
  );
  const kmsKey = member.string('kmsKey');
  if (kmsKey === undefined) return { encryptionType };
  checkLength(kmsKey, member.path('kmsKey'), 1, 2048);
  if (encryptionType === 'AES256') {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${member.path('kmsKey')}': a KMS key can only be given with encryptionType KMS or KMS_DSSE`,
    );
  }
  return { encryptionType, kmsKey };
}

function invalidTag(message: string): AwsError {
  return new AwsError('InvalidTagParameterException', message);
}

/**
 * Reads a `tags` list of `{Key, Value}` (ECR's capitalised members): key 1–128, value 0–256 characters of
 * the AWS tag character set, no `aws:` prefix, at most {@link MAX_TAGS} per request.
 */
export function readTagList(list: unknown[], field: string): Array<[string, string]> {
  if (list.length > MAX_TAGS) {
    throw new AwsError(
      'TooManyTagsException',
      `At most ${MAX_TAGS} tags can be given; '${field}' has ${list.length}`,
    );
  }
  return list.map((entry, index): [string, string] => {
    const path = `${field}[${index}]`;
    if (!isJsonObject(entry)) throw invalidTag(`Tag at '${path}' must be a structure with Key and Value`);
    const member = readMembers(entry, `${path}.`);
    const key = member.string('Key');
    const value = member.string('Value');
    if (key === undefined || value === undefined)
      throw invalidTag(`Tag at '${path}' must have both Key and Value`);
    checkTag(key, value, path);
    return [key, value];
  });
}

/** Checks one tag key and value. */
export function checkTag(key: string, value: string, path: string): void {
  if (key.length < 1 || key.length > 128) {
    throw invalidTag(`Tag key at '${path}.Key' must have length between 1 and 128`);
  }
  if (value.length > 256) throw invalidTag(`Tag value at '${path}.Value' must have length at most 256`);
  if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value)) {
    throw invalidTag(`Tag at '${path}' may only contain letters, digits, spaces and _ . : / = + - @`);
  }
  if (key.toLowerCase().startsWith('aws:'))
    throw invalidTag(`Tag key at '${path}.Key' uses the reserved prefix 'aws:'`);
}

/** The parts of a repository ARN. */
export interface RepositoryArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly repositoryName: string;
}

/** Parses `resourceArn` as an ECR repository ARN; anything else is an `InvalidParameterException`. */
export function parseRepositoryArn(arn: string, field: string): RepositoryArnParts {
  const match = REPOSITORY_ARN.exec(arn);
  const [, partition, region, account, repositoryName] = match ?? [];
  if (
    partition === undefined ||
    region === undefined ||
    account === undefined ||
    repositoryName === undefined
  ) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${field}': '${arn}' is not a repository ARN`,
    );
  }
  checkRepositoryName(repositoryName, field);
  return { partition, region, account, repositoryName };
}
