/**
 * The image operations: PutImage, DescribeImages, BatchGetImage and BatchDeleteImage, from the ECR API
 * reference (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/).
 */
import { AwsError, invalidParameter, serializationError } from '../core/errors.ts';
import {
  checkEnum,
  checkLength,
  checkRange,
  isJsonObject,
  type JsonObject,
  readMembers,
} from '../core/validate.ts';
import { callerRegistry, existing } from './access.ts';
import type { EcrContext } from './context.ts';
import {
  DEFAULT_MANIFEST_MEDIA_TYPE,
  type ImageSet,
  isTagImmutable,
  manifestDigest,
  readManifest,
  type StoredImage,
} from './images.ts';
import { type Repository, readRepositoryName } from './model.ts';

const DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;
const MAX_MANIFEST = 4 * 1024 * 1024;
const DEFAULT_MAX_RESULTS = 100;
const TAG_STATUSES = ['TAGGED', 'UNTAGGED', 'ANY'] as const;

/** An `ImageIdentifier` as a request gives it. */
interface ImageId {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

function readImageIds(list: unknown[] | undefined, field: string): ImageId[] {
  if (list === undefined) throw invalidParameter(field, 'must not be null');
  if (list.length < 1 || list.length > 100)
    throw invalidParameter(field, 'Member must have length between 1 and 100');
  return list.map((entry, index) => {
    if (!isJsonObject(entry)) throw serializationError(`Expected a structure at '${field}[${index}]'`);
    const member = readMembers(entry, `${field}[${index}].`);
    const imageDigest = member.string('imageDigest');
    const imageTag = member.string('imageTag');
    if (imageTag !== undefined) checkLength(imageTag, member.path('imageTag'), 1, 300);
    return {
      ...(imageDigest === undefined ? {} : { imageDigest }),
      ...(imageTag === undefined ? {} : { imageTag }),
    };
  });
}

function wireImageId(id: ImageId): JsonObject {
  return { ...id };
}

/** `{imageDigest:'…', imageTag:'…'}` as ECR prints an image id in messages (`null` when absent). */
function printImageId(id: ImageId): string {
  return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
}

type Lookup =
  | { readonly image: StoredImage }
  | { readonly failureCode: string; readonly failureReason: string };

/** Finds the image an id names, or the failure BatchGetImage / BatchDeleteImage report for it. */
function lookup(images: ImageSet, id: ImageId): Lookup {
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    return {
      failureCode: 'MissingDigestAndTag',
      failureReason: 'Invalid request parameters: both tag and digest cannot be null',
    };
  }
  if (id.imageDigest !== undefined && !DIGEST.test(id.imageDigest)) {
    return {
      failureCode: 'InvalidImageDigest',
      failureReason:
        "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    };
  }
  const byDigest = id.imageDigest === undefined ? undefined : images.byImageDigest(id.imageDigest);
  const byTag = id.imageTag === undefined ? undefined : images.byImageTag(id.imageTag);
  if (id.imageDigest !== undefined && id.imageTag !== undefined) {
    if (byDigest !== undefined && byTag !== undefined && byDigest !== byTag) {
      return {
        failureCode: 'ImageTagDoesNotMatchDigest',
        failureReason: 'Invalid request parameters: given tag does not map to the given digest',
      };
    }
    if (byDigest !== undefined && byTag !== undefined) return { image: byDigest };
  } else {
    const image = byDigest ?? byTag;
    if (image !== undefined) return { image };
  }
  return { failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
}

function imageDetail(repository: Repository, image: StoredImage): JsonObject {
  return {
    registryId: repository.registryId,
    repositoryName: repository.repositoryName,
    imageDigest: image.imageDigest,
    ...(image.tags.size === 0 ? {} : { imageTags: [...image.tags] }),
    imageSizeInBytes: image.imageSizeInBytes,
    imagePushedAt: image.pushedAtMs / 1000,
    imageManifestMediaType: image.imageManifestMediaType,
    ...(image.artifactMediaType === undefined ? {} : { artifactMediaType: image.artifactMediaType }),
  };
}

function wireImage(repository: Repository, image: StoredImage, tag: string | undefined): JsonObject {
  return {
    registryId: repository.registryId,
    repositoryName: repository.repositoryName,
    imageId: { imageDigest: image.imageDigest, ...(tag === undefined ? {} : { imageTag: tag }) },
    imageManifest: image.imageManifest,
    imageManifestMediaType: image.imageManifestMediaType,
  };
}

/** What a push puts: the manifest (or, for a seeded push, a digest standing for one) and an optional tag. */
export interface Push {
  readonly manifest: string;
  /** Defaults to the manifest's digest; a seed may name a digest of its own. */
  readonly digest?: string;
  readonly mediaType?: string;
  readonly tag?: string;
  readonly nowMs: number;
  /** True for seeded history: the tag moves whatever the repository's mutability says today. */
  readonly force?: boolean;
}

/**
 * Applies one push to a repository as PutImage does: a tag already on this digest is
 * `ImageAlreadyExistsException`; a tag on another digest moves unless it is immutable
 * (`ImageTagAlreadyExistsException`). Returns the image and the tag it now carries.
 */
export function applyPush(repository: Repository, push: Push): StoredImage {
  const facts = readManifest(push.manifest);
  if (facts === undefined) {
    throw new AwsError(
      'InvalidParameterException',
      "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    );
  }
  const digest = push.digest ?? manifestDigest(push.manifest);
  const { images, repositoryName, registryId } = repository;
  const current = images.byImageDigest(digest);
  const holder = push.tag === undefined ? undefined : images.byImageTag(push.tag);
  if (current !== undefined && (push.tag === undefined || holder === current)) {
    const tagPart = push.tag === undefined ? '' : ` and tag '${push.tag}'`;
    throw new AwsError(
      'ImageAlreadyExistsException',
      `Image with digest '${digest}'${tagPart} already exists in the repository with name '${repositoryName}' in registry with id '${registryId}'`,
    );
  }
  if (
    push.tag !== undefined &&
    holder !== undefined &&
    push.force !== true &&
    isTagImmutable(repository.imageTagMutability, repository.imageTagMutabilityExclusionFilters, push.tag)
  ) {
    throw new AwsError(
      'ImageTagAlreadyExistsException',
      `The image tag '${push.tag}' already exists in the '${repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
    );
  }
  const image = images.add({
    imageDigest: digest,
    imageManifest: push.manifest,
    imageManifestMediaType: push.mediaType ?? facts.mediaType ?? DEFAULT_MANIFEST_MEDIA_TYPE,
    artifactMediaType: facts.artifactMediaType,
    imageSizeInBytes: facts.sizeInBytes,
    pushedAtMs: push.nowMs,
  });
  if (push.tag !== undefined) images.tag(image, push.tag);
  return image;
}

/** PutImage: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html */
export function putImage(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'PutImage', repositoryName);
  const manifest = reader.requiredString('imageManifest');
  checkLength(manifest, 'imageManifest', 1, MAX_MANIFEST);
  const mediaType = reader.string('imageManifestMediaType');
  const tag = reader.string('imageTag');
  if (tag !== undefined) checkLength(tag, 'imageTag', 1, 300);
  const givenDigest = reader.string('imageDigest');
  const repository = existing(registry, repositoryName);
  const computed = manifestDigest(manifest);
  if (givenDigest !== undefined && givenDigest !== computed) {
    throw new AwsError(
      'ImageDigestDoesNotMatchException',
      `The specified image digest '${givenDigest}' does not match the digest of the manifest ('${computed}')`,
    );
  }
  const image = applyPush(repository, {
    manifest,
    ...(mediaType === undefined ? {} : { mediaType }),
    ...(tag === undefined ? {} : { tag }),
    nowMs: context.nowMs,
  });
  return { image: wireImage(repository, image, tag) };
}

/**
 * DescribeImages: by `imageIds` (1–100; an unknown one is `ImageNotFoundException`) or paged in push order
 * with `maxResults` (1–1000, default 100), `nextToken` and `filter.tagStatus` (TAGGED, UNTAGGED, ANY).
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 */
export function describeImages(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'DescribeImages', repositoryName);
  const idList = reader.array('imageIds');
  const maxResults = reader.integer('maxResults');
  const nextToken = reader.string('nextToken');
  const filter = reader.object('filter');
  const tagStatusText = filter === undefined ? undefined : readMembers(filter, 'filter.').string('tagStatus');
  const tagStatus =
    tagStatusText === undefined ? 'ANY' : checkEnum(tagStatusText, 'filter.tagStatus', TAG_STATUSES);
  const repository = existing(registry, repositoryName);
  if (idList !== undefined) {
    if (maxResults !== undefined || nextToken !== undefined) {
      throw new AwsError(
        'InvalidParameterException',
        "Invalid parameter: 'imageIds' cannot be combined with 'maxResults' or 'nextToken'",
      );
    }
    const seen = new Set<StoredImage>();
    const details: JsonObject[] = [];
    for (const id of readImageIds(idList, 'imageIds')) {
      const found = lookup(repository.images, id);
      if (!('image' in found)) {
        if (found.failureCode !== 'ImageNotFound' && found.failureCode !== 'ImageTagDoesNotMatchDigest')
          throw new AwsError('InvalidParameterException', found.failureReason);
        throw new AwsError(
          'ImageNotFoundException',
          `The image with imageId ${printImageId(id)} does not exist within the repository with name '${repositoryName}' in the registry with id '${registry.account}'`,
        );
      }
      if (seen.has(found.image)) continue;
      seen.add(found.image);
      details.push(imageDetail(repository, found.image));
    }
    return { imageDetails: details };
  }
  const limit = maxResults ?? DEFAULT_MAX_RESULTS;
  checkRange(limit, 'maxResults', 1, 1000);
  const scope = `images/${repositoryName}/${tagStatus}`;
  const after =
    nextToken === undefined
      ? 0
      : Number(context.tokens.decode(nextToken, context.account, context.region, scope));
  const page: StoredImage[] = [];
  let more = false;
  for (const image of repository.images.list()) {
    if (image.sequence <= after) continue;
    if (tagStatus === 'TAGGED' && image.tags.size === 0) continue;
    if (tagStatus === 'UNTAGGED' && image.tags.size > 0) continue;
    if (page.length === limit) {
      more = true;
      break;
    }
    page.push(image);
  }
  const last = page.at(-1);
  return {
    imageDetails: page.map((image) => imageDetail(repository, image)),
    ...(more && last !== undefined
      ? {
          nextToken: context.tokens.encode({
            account: context.account,
            region: context.region,
            after: String(last.sequence),
            scope,
          }),
        }
      : {}),
  };
}

/** BatchGetImage: the manifests of the images named; each unknown one is a failure of its own. */
export function batchGetImage(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'BatchGetImage', repositoryName);
  const ids = readImageIds(reader.array('imageIds'), 'imageIds');
  const accepted = reader.array('acceptedMediaTypes');
  if (accepted !== undefined && (accepted.length < 1 || accepted.length > 100))
    throw invalidParameter('acceptedMediaTypes', 'Member must have length between 1 and 100');
  const repository = existing(registry, repositoryName);
  const images: JsonObject[] = [];
  const failures: JsonObject[] = [];
  for (const id of ids) {
    const found = lookup(repository.images, id);
    if ('image' in found) {
      if (accepted !== undefined && !accepted.includes(found.image.imageManifestMediaType)) {
        failures.push({
          imageId: wireImageId(id),
          failureCode: 'UnsupportedImageType',
          failureReason: `The image manifest media type '${found.image.imageManifestMediaType}' is not in acceptedMediaTypes`,
        });
      } else {
        images.push(wireImage(repository, found.image, id.imageTag));
      }
    } else {
      failures.push({ imageId: wireImageId(id), ...found });
    }
  }
  return { images, failures };
}

/**
 * BatchDeleteImage: an id with a digest deletes the image and all its tags; an id with only a tag removes
 * that tag, and the image with it when it was its last tag. Ids that cannot be deleted are `failures` with
 * ECR's failure codes (MissingDigestAndTag, InvalidImageDigest, ImageTagDoesNotMatchDigest, ImageNotFound).
 */
export function batchDeleteImage(context: EcrContext, input: JsonObject): JsonObject {
  const reader = readMembers(input);
  const repositoryName = readRepositoryName(reader);
  const registry = callerRegistry(context, reader, 'BatchDeleteImage', repositoryName);
  const ids = readImageIds(reader.array('imageIds'), 'imageIds');
  const repository = existing(registry, repositoryName);
  const deleted: JsonObject[] = [];
  const failures: JsonObject[] = [];
  for (const id of ids) {
    const found = lookup(repository.images, id);
    if (!('image' in found)) {
      failures.push({ imageId: wireImageId(id), ...found });
      continue;
    }
    const { image } = found;
    if (id.imageDigest === undefined && id.imageTag !== undefined) {
      repository.images.untag(id.imageTag);
      deleted.push({ imageDigest: image.imageDigest, imageTag: id.imageTag });
      continue;
    }
    const tags = [...image.tags];
    repository.images.delete(image);
    if (tags.length === 0) deleted.push({ imageDigest: image.imageDigest });
    for (const tag of tags) deleted.push({ imageDigest: image.imageDigest, imageTag: tag });
  }
  return { imageIds: deleted, failures };
}
