/**
 * The ECR operations the emulator serves, one function each: validate the request as ECR does, act on the
 * store, and return the response body. Errors are thrown as {@link AwsError}s.
 */
import { AwsError, invalidParameter, serializationError } from '../core/errors.ts';
import {
  checkLength,
  checkRange,
  type JsonObject,
  type MemberReader,
  readMembers,
} from '../core/validate.ts';
import { accessDenied, callerRegistry, existing } from './access.ts';
import type { EcrContext } from './context.ts';
import { batchDeleteImage, batchGetImage, describeImages, putImage } from './image-operations.ts';
import { ImageSet } from './images.ts';
import {
  checkRepositoryName,
  MAX_TAGS,
  parseRepositoryArn,
  partitionOf,
  type Repository,
  readEncryptionConfiguration,
  readMutabilitySetting,
  readRepositoryName,
  readScanningConfiguration,
  readTagList,
  repositoryNotFound,
  toWireRepository,
} from './model.ts';
import type { RegionRegistry } from './store.ts';
import {
  createRepositoryCreationTemplate,
  deleteRepositoryCreationTemplate,
  describeRepositoryCreationTemplates,
  updateRepositoryCreationTemplate,
} from './templates.ts';

/** Operations of `AmazonEC2ContainerRegistry_V20150921` the emulator implements. */
export const ECR_OPERATIONS = [
  'CreateRepository',
  'DescribeRepositories',
  'DeleteRepository',
  'PutImageTagMutability',
  'ListTagsForResource',
  'TagResource',
  'UntagResource',
  'CreateRepositoryCreationTemplate',
  'DescribeRepositoryCreationTemplates',
  'UpdateRepositoryCreationTemplate',
  'DeleteRepositoryCreationTemplate',
  'PutImage',
  'DescribeImages',
  'BatchGetImage',
  'BatchDeleteImage',
] as const;
/** Name of an implemented ECR operation. */
export type EcrOperation = (typeof ECR_OPERATIONS)[number];

/** True when `name` is an implemented ECR operation. */
export function isEcrOperation(name: string): name is EcrOperation {
  return ECR_OPERATIONS.some((operation) => operation === name);
}

const DEFAULT_MAX_RESULTS = 100;

/** Runs one ECR operation on a decoded JSON request body and returns the response body. */
export function runEcrOperation(operation: EcrOperation, context: EcrContext, input: JsonObject): JsonObject {
  switch (operation) {
    case 'CreateRepository':
      return createRepository(context, input);
    case 'DescribeRepositories':
      return describeRepositories(context, input);
    case 'DeleteRepository':
      return deleteRepository(context, input);
    case 'PutImageTagMutability':
      return putImageTagMutability(context, input);
    case 'ListTagsForResource':
      return listTagsForResource(context, input);
    case 'TagResource':
      return tagResource(context, input);
    case 'UntagResource':
      return untagResource(context, input);
    case 'CreateRepositoryCreationTemplate':
      return createRepositoryCreationTemplate(context, input);
    case 'DescribeRepositoryCreationTemplates':
      return describeRepositoryCreationTemplates(context, input);
    case 'UpdateRepositoryCreationTemplate':
      return updateRepositoryCreationTemplate(context, input);
    case 'DeleteRepositoryCreationTemplate':
      return deleteRepositoryCreationTemplate(context, input);
    case 'PutImage':
      return putImage(context, input);
    case 'DescribeImages':
      return describeImages(context, input);
    case 'BatchGetImage':
      return batchGetImage(context, input);
    case 'BatchDeleteImage':
      return batchDeleteImage(context, input);
  }
}

/** CreateRepository: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html */
export function createRepository(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'CreateRepository', repositoryName);
  const setting = readMutabilitySetting(reader, 'MUTABLE');
  const tags = readTagList(reader.array('tags') ?? [], 'tags');
  const repository: Repository = {
    registryId: context.account,
    region: context.region,
    repositoryName,
    createdAtMs: context.nowMs,
    visibleAtMs: context.nowMs + context.visibilityDelayMs,
    imageTagMutability: setting.imageTagMutability,
    imageTagMutabilityExclusionFilters: setting.imageTagMutabilityExclusionFilters,
    imageScanningConfiguration: readScanningConfiguration(reader),
    encryptionConfiguration: readEncryptionConfiguration(reader),
    tags: new Map(tags),
    imageCount: 0,
    images: new ImageSet(),
  };
  if (!registry.insert(repository)) {
    throw new AwsError(
      'RepositoryAlreadyExistsException',
      `The repository with name '${repositoryName}' already exists in the registry with id '${context.account}'`,
    );
  }
  return { repository: toWireRepository(repository) };
}

/**
 * DescribeRepositories: by `repositoryNames` (1–100) or paged with `maxResults` (1–1000, default 100) and
 * `nextToken`, never both. https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
 */
export function describeRepositories(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const registry = callerRegistry(context, reader, 'DescribeRepositories');
  const names = reader.array('repositoryNames');
  const maxResults = reader.integer('maxResults');
  const nextToken = reader.string('nextToken');
  if (names !== undefined) {
    if (maxResults !== undefined || nextToken !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "Invalid parameter: 'repositoryNames' cannot be combined with 'maxResults' or 'nextToken'",
      );
    }
    return { repositories: describeByName(context, registry, names) };
  }
  const limit = maxResults ?? DEFAULT_MAX_RESULTS;
  checkRange(limit, 'maxResults', 1, 1000);
  const after =
    nextToken === undefined ? undefined : context.tokens.decode(nextToken, context.account, context.region);
  const page = registry.page(after, limit, context.nowMs);
  const last = page.repositories.at(-1);
  return {
    repositories: page.repositories.map(toWireRepository),
    ...(page.more && last !== undefined
      ? {
          nextToken: context.tokens.encode({
            account: context.account,
            region: context.region,
            after: last.repositoryName,
          }),
        }
      : {}),
  };
}

function describeByName(context: EcrContext, registry: RegionRegistry, names: unknown[]): JsonObject[] {
  if (names.length < 1 || names.length > 100) {
    throw invalidParameter('repositoryNames', 'Member must have length between 1 and 100');
  }
  const wanted = names.map((name, index) => {
    if (typeof name !== 'string')
      throw serializationError(`Expected a string at 'repositoryNames[${index}]'`);
    return checkRepositoryName(name, `repositoryNames[${index}]`);
  });
  return [...new Set(wanted)].map((name) => {
    const repository = registry.get(name);
    // A repository inside its visibility delay is not found yet, as right after CreateRepository in ECR.
    if (repository === undefined || repository.visibleAtMs > context.nowMs) {
      throw repositoryNotFound(name, registry.account);
    }
    return toWireRepository(repository);
  });
}

/** DeleteRepository: refuses a repository that still holds images unless `force` is true. */
export function deleteRepository(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'DeleteRepository', repositoryName);
  const force = reader.boolean('force') ?? false;
  const repository = existing(registry, repositoryName);
  if ((repository.imageCount > 0 || repository.images.size > 0) && !force) {
    throw new AwsError(
      'RepositoryNotEmptyException',
      `The repository with name '${repositoryName}' in registry with id '${registry.account}' cannot be deleted because it still contains images`,
    );
  }
  registry.remove(repositoryName);
  return { repository: toWireRepository(repository) };
}

/** PutImageTagMutability: sets the mutability; a value without `_WITH_EXCLUSION` clears the filters. */
export function putImageTagMutability(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'PutImageTagMutability', repositoryName);
  const setting = readMutabilitySetting(reader);
  const repository = existing(registry, repositoryName);
  repository.imageTagMutability = setting.imageTagMutability;
  repository.imageTagMutabilityExclusionFilters = setting.imageTagMutabilityExclusionFilters;
  return {
    registryId: registry.account,
    repositoryName,
    imageTagMutability: setting.imageTagMutability,
    ...(setting.imageTagMutabilityExclusionFilters === undefined
      ? {}
      : { imageTagMutabilityExclusionFilters: setting.imageTagMutabilityExclusionFilters }),
  };
}

type TagOperation = 'ListTagsForResource' | 'TagResource' | 'UntagResource';

function repositoryByArn(context: EcrContext, reader: MemberReader, operation: TagOperation): Repository {
  const field = reader.path('resourceArn');
  const arn = parseRepositoryArn(reader.requiredString('resourceArn'), field);
  if (arn.account !== context.account)
    throw accessDenied(context, operation, arn.account, arn.repositoryName);
  const partition = partitionOf(context.region);
  if (arn.region !== context.region || arn.partition !== partition) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${field}': the ARN is in ${arn.partition}/${arn.region} but the request was sent to ${partition}/${context.region}`,
    );
  }
  return existing(context.store.registry(context.account, context.region), arn.repositoryName);
}

/** ListTagsForResource: the repository's tags as `[{Key, Value}]`. */
export function listTagsForResource(context: EcrContext, input: JsonObject): JsonObject {
  const repository = repositoryByArn(context, readMembers(input), 'ListTagsForResource');
  return { tags: [...repository.tags].map(([Key, Value]) => ({ Key, Value })) };
}

/** TagResource: adds or overwrites tags; the result may hold at most {@link MAX_TAGS} tags. */
export function tagResource(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repository = repositoryByArn(context, reader, 'TagResource');
  const list = reader.array('tags');
  if (list === undefined) throw invalidParameter('tags', 'must not be null');
  const tags = readTagList(list, 'tags');
  const merged = new Map(repository.tags);
  for (const [key, value] of tags) merged.set(key, value);
  if (merged.size > MAX_TAGS) {
    throw new AwsError(
      'TooManyTagsException',
      `A repository can have at most ${MAX_TAGS} tags; this request would leave '${repository.repositoryName}' with ${merged.size}`,
    );
  }
  for (const [key, value] of tags) repository.tags.set(key, value);
  return {};
}

/** UntagResource: removes the given tag keys (absent keys are ignored). */
export function untagResource(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repository = repositoryByArn(context, reader, 'UntagResource');
  const keys = reader.array('tagKeys');
  if (keys === undefined) throw invalidParameter('tagKeys', 'must not be null');
  if (keys.length > MAX_TAGS)
    throw invalidParameter('tagKeys', `Member must have length less than or equal to ${MAX_TAGS}`);
  const checked = keys.map((key, index) => {
    if (typeof key !== 'string') throw serializationError(`Expected a string at 'tagKeys[${index}]'`);
    checkLength(key, `tagKeys[${index}]`, 1, 128);
    return key;
  });
  for (const key of checked) repository.tags.delete(key);
  return {};
}
