/**
 * Images of a repository: what PutImage stores, DescribeImages / BatchGetImage read and BatchDeleteImage
 * removes, and the tag mutability rule PutImage enforces.
 * @see https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 */
import { createHash } from 'node:crypto';

/** One image (manifest) of a repository. */
export interface StoredImage {
  readonly imageDigest: string;
  readonly imageManifest: string;
  readonly imageManifestMediaType: string;
  /** `config.mediaType` of the manifest, when it has one. */
  readonly artifactMediaType: string | undefined;
  readonly imageSizeInBytes: number;
  readonly pushedAtMs: number;
  /** Tags in the order they were put. */
  readonly tags: Set<string>;
  /** Push order within the repository: the DescribeImages order and its paging position. */
  readonly sequence: number;
}

/** The media type ECR assumes for a manifest that names none. */
export const DEFAULT_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

/** `sha256:` + the hex SHA-256 of the manifest's UTF-8 bytes, as ECR computes an image digest. */
export function manifestDigest(manifest: string): string {
  return `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
}

/** What a manifest says about itself: its media type, its config's media type and its size. */
export interface ManifestFacts {
  readonly mediaType: string | undefined;
  readonly artifactMediaType: string | undefined;
  /** Config plus layer sizes when the manifest lists them, else the manifest's own length. */
  readonly sizeInBytes: number;
}

function sizeOf(value: unknown): number {
  if (typeof value !== 'object' || value === null || !('size' in value)) return 0;
  return typeof value.size === 'number' && Number.isFinite(value.size) ? value.size : 0;
}

/** Reads a manifest; undefined when it is not a JSON object (ECR refuses those). */
export function readManifest(manifest: string): ManifestFacts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const mediaType =
    'mediaType' in parsed && typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined;
  const config = 'config' in parsed ? parsed.config : undefined;
  const artifactMediaType =
    typeof config === 'object' &&
    config !== null &&
    'mediaType' in config &&
    typeof config.mediaType === 'string'
      ? config.mediaType
      : undefined;
  const layers = 'layers' in parsed && Array.isArray(parsed.layers) ? parsed.layers : [];
  const listed = sizeOf(config) + layers.reduce((total: number, layer: unknown) => total + sizeOf(layer), 0);
  return { mediaType, artifactMediaType, sizeInBytes: listed > 0 ? listed : Buffer.byteLength(manifest) };
}

/**
 * ECR's WILDCARD filter: `*` matches any run of characters (none included), everything else matches
 * itself, and the whole tag must match. Filters use only `[0-9a-zA-Z._*-]`, so nothing else is special.
 */
export function matchesWildcard(filter: string, tag: string): boolean {
  const parts = filter.split('*');
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (parts.length === 1) return tag === filter;
  if (!tag.startsWith(first) || tag.length < first.length + last.length || !tag.endsWith(last)) return false;
  let position = first.length;
  const end = tag.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = tag.indexOf(middle, position);
    if (found < 0 || found + middle.length > end) return false;
    position = found + middle.length;
  }
  return true;
}

/**
 * Whether a tag may not be moved to another image: always under IMMUTABLE, never under MUTABLE; under
 * IMMUTABLE_WITH_EXCLUSION every tag except those matching a filter, under MUTABLE_WITH_EXCLUSION only the
 * tags matching a filter (the user guide's "Preventing image tags from being overwritten").
 */
export function isTagImmutable(
  mutability: 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION',
  filters: ReadonlyArray<{ readonly filter: string }> | undefined,
  tag: string,
): boolean {
  const matched = (filters ?? []).some((filter) => matchesWildcard(filter.filter, tag));
  switch (mutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matched;
    case 'MUTABLE_WITH_EXCLUSION':
      return matched;
  }
}

/** The images of one repository, by digest in push order, with a tag index. */
export class ImageSet {
  private readonly byDigest = new Map<string, StoredImage>();
  private readonly byTag = new Map<string, StoredImage>();
  private nextSequence = 1;

  get size(): number {
    return this.byDigest.size;
  }

  byImageDigest(digest: string): StoredImage | undefined {
    return this.byDigest.get(digest);
  }

  byImageTag(tag: string): StoredImage | undefined {
    return this.byTag.get(tag);
  }

  /** Adds an image without tags (or returns the one with that digest). */
  add(fields: Omit<StoredImage, 'tags' | 'sequence'>): StoredImage {
    const existing = this.byDigest.get(fields.imageDigest);
    if (existing !== undefined) return existing;
    const image: StoredImage = { ...fields, tags: new Set(), sequence: this.nextSequence++ };
    this.byDigest.set(image.imageDigest, image);
    return image;
  }

  /** Points `tag` at `image`, taking it off the image it was on (which stays, untagged if it was its last). */
  tag(image: StoredImage, tag: string): void {
    const previous = this.byTag.get(tag);
    if (previous === image) return;
    previous?.tags.delete(tag);
    image.tags.add(tag);
    this.byTag.set(tag, image);
  }

  /** Takes `tag` off its image; an image left without tags is deleted, as BatchDeleteImage does. */
  untag(tag: string): void {
    const image = this.byTag.get(tag);
    if (image === undefined) return;
    image.tags.delete(tag);
    this.byTag.delete(tag);
    if (image.tags.size === 0) this.byDigest.delete(image.imageDigest);
  }

  /** Deletes an image and every tag on it. */
  delete(image: StoredImage): void {
    for (const tag of image.tags) this.byTag.delete(tag);
    this.byDigest.delete(image.imageDigest);
  }

  /** Images in push order. */
  list(): StoredImage[] {
    return [...this.byDigest.values()];
  }
}
