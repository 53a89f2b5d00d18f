/**
 * Bulk seeding for `POST /_emulator/seed`: explicit repositories, or a generator that makes 100,000 in
 * well under a second, and repository creation templates. Seeded repositories are visible at once; nothing
 * seeded is counted in stats.
 */
import { AdminRequestError, AwsError } from '../core/errors.ts';
import { mulberry32 } from '../core/faults.ts';
import { isJsonObject, type JsonObject, type MemberReader, readMembers } from '../core/validate.ts';
import { ImageSet } from './images.ts';
import {
  type AppliedFor,
  checkRepositoryName,
  type ImageTagMutability,
  type MutabilitySetting,
  type Repository,
  type RepositoryCreationTemplate,
  readMutabilitySetting,
  readTagList,
} from './model.ts';
import type { SeedPush } from './pushes.ts';
import type { RepositoryStore } from './store.ts';
import { checkPrefix, newTemplate, readAppliedFor } from './templates.ts';

/** One repository to seed. */
export interface SeedRepository {
  readonly name: string;
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: ReadonlyArray<{
    readonly filter: string;
    readonly filterType: 'WILDCARD';
  }>;
  /** `{key: value}` or ECR's `[{Key, Value}]`. */
  readonly tags?:
    | Readonly<Record<string, string>>
    | ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
  /** Images held; a repository with images refuses DeleteRepository without `force`. */
  readonly imageCount?: number;
}

/** Generates `count` repositories named `<prefix>-<zero-padded index from 1>`. */
export interface SeedGenerator {
  readonly count: number;
  /** Default `repo`. */
  readonly prefix?: string;
  /** Every n-th repository is MUTABLE, the others IMMUTABLE. */
  readonly mutableEvery?: number;
  /** Each repository is MUTABLE with this probability (seeded), the others IMMUTABLE. */
  readonly mutableRatio?: number;
  /** Seed for `mutableRatio`; default 1. */
  readonly seed?: number;
  /** Mutability of all when neither `mutableEvery` nor `mutableRatio` is given; default MUTABLE. */
  readonly imageTagMutability?: ImageTagMutability;
  readonly tags?: SeedRepository['tags'];
  readonly imageCount?: number;
}

/** One repository creation template to seed; an existing template with the same prefix is replaced. */
export interface SeedTemplate {
  /** `ROOT` or a repository namespace prefix, as CreateRepositoryCreationTemplate takes it. */
  readonly prefix: string;
  /** Default MUTABLE. */
  readonly imageTagMutability?: ImageTagMutability;
  readonly imageTagMutabilityExclusionFilters?: SeedRepository['imageTagMutabilityExclusionFilters'];
  /** Default `['PULL_THROUGH_CACHE']`. */
  readonly appliedFor?: readonly AppliedFor[];
}

/** The body of `POST /_emulator/seed`. */
export interface SeedRequest {
  /** Default: the emulator's default region (`us-east-1`). */
  readonly region?: string;
  /** Default: the emulator's account. */
  readonly account?: string;
  readonly repositories?: readonly SeedRepository[];
  readonly generate?: SeedGenerator;
  readonly templates?: readonly SeedTemplate[];
  /** Past pushes (images and their PutImage records in the trail), applied after the repositories. */
  readonly pushes?: readonly SeedPush[];
}

/** Counts of one kind of seeded item. */
export interface SeedCounts {
  /** Items that did not exist before. */
  readonly created: number;
  /** Existing items replaced by the seed. */
  readonly replaced: number;
  /** Items in that registry afterwards. */
  readonly total: number;
}

/** What a seed request did; the top-level counts are repositories. */
export interface SeedResult extends SeedCounts {
  readonly account: string;
  readonly region: string;
  /** Present when the request seeded templates. */
  readonly templates?: SeedCounts;
  /** Present when the request seeded pushes: how many were recorded, and how many as failed calls. */
  readonly pushes?: { readonly recorded: number; readonly failed: number };
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-[0-9]+$/;
const ACCOUNT = /^[0-9]{12}$/;
const MAX_GENERATED = 1_000_000;

// Seeding reuses the API's validation; its AWS errors become control-route errors with the same message.
function asAdminError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof AwsError)
      throw new AdminRequestError(`${error.code}: ${error.message}`, { cause: error });
    throw error;
  }
}

function readTags(reader: MemberReader, value: unknown): Map<string, string> {
  const field = reader.path('tags');
  if (value === undefined || value === null) return new Map();
  const list = isJsonObject(value) ? Object.entries(value).map(([Key, Value]) => ({ Key, Value })) : value;
  if (!Array.isArray(list))
    throw new AdminRequestError(`${field} must be an object or a list of {Key, Value}`);
  return new Map(readTagList(list, field));
}

function readImageCount(reader: MemberReader): number {
  const imageCount = reader.integer('imageCount') ?? 0;
  if (imageCount < 0) throw new AdminRequestError(`${reader.path('imageCount')} must not be negative`);
  return imageCount;
}

interface Defaults {
  readonly account: string;
  readonly region: string;
  readonly nowMs: number;
}

function makeRepository(
  defaults: Defaults,
  name: string,
  setting: MutabilitySetting,
  tags: Map<string, string>,
  imageCount: number,
): Repository {
  return {
    registryId: defaults.account,
    region: defaults.region,
    repositoryName: name,
    createdAtMs: defaults.nowMs,
    visibleAtMs: defaults.nowMs,
    imageTagMutability: setting.imageTagMutability,
    imageTagMutabilityExclusionFilters: setting.imageTagMutabilityExclusionFilters,
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
    tags,
    imageCount,
    images: new ImageSet(),
  };
}

function readExplicit(defaults: Defaults, list: unknown[]): Repository[] {
  return list.map((entry, index) => {
    const path = `repositories[${index}]`;
    if (!isJsonObject(entry)) throw new AdminRequestError(`${path} must be an object`);
    const reader = readMembers(entry, `${path}.`);
    const name = checkRepositoryName(reader.requiredString('name'), reader.path('name'));
    const setting = readMutabilitySetting(reader, 'MUTABLE');
    return makeRepository(defaults, name, setting, readTags(reader, entry.tags), readImageCount(reader));
  });
}

function readGenerated(defaults: Defaults, generator: JsonObject): Repository[] {
  const reader = readMembers(generator, 'generate.');
  const count = reader.integer('count');
  if (count === undefined || count < 1 || count > MAX_GENERATED) {
    throw new AdminRequestError(`generate.count must be an integer from 1 to ${MAX_GENERATED}`);
  }
  const prefix = reader.string('prefix') ?? 'repo';
  const mutableEvery = reader.integer('mutableEvery');
  if (mutableEvery !== undefined && mutableEvery < 1)
    throw new AdminRequestError('generate.mutableEvery must be >= 1');
  const mutableRatio = generator.mutableRatio;
  if (
    mutableRatio !== undefined &&
    (typeof mutableRatio !== 'number' || mutableRatio < 0 || mutableRatio > 1)
  ) {
    throw new AdminRequestError('generate.mutableRatio must be a number from 0 to 1');
  }
  const random = mulberry32(reader.integer('seed') ?? 1);
  const base = readMutabilitySetting(reader, 'MUTABLE');
  const tags = readTags(reader, generator.tags);
  const imageCount = readImageCount(reader);
  const width = String(count).length;
  const mutable: MutabilitySetting = {
    imageTagMutability: 'MUTABLE',
    imageTagMutabilityExclusionFilters: undefined,
  };
  const immutable: MutabilitySetting = {
    imageTagMutability: 'IMMUTABLE',
    imageTagMutabilityExclusionFilters: undefined,
  };
  const pick = (index: number): MutabilitySetting => {
    if (mutableEvery !== undefined) return index % mutableEvery === 0 ? mutable : immutable;
    if (typeof mutableRatio === 'number') return random() < mutableRatio ? mutable : immutable;
    return base;
  };
  const repositories: Repository[] = [];
  for (let index = 1; index <= count; index++) {
    const name = `${prefix}-${String(index).padStart(width, '0')}`;
    if (index === 1) checkRepositoryName(name, 'generate.prefix');
    repositories.push(makeRepository(defaults, name, pick(index), new Map(tags), imageCount));
  }
  return repositories;
}

const DEFAULT_SEED_APPLIED_FOR: readonly AppliedFor[] = ['PULL_THROUGH_CACHE'];

function readTemplates(defaults: Defaults, list: unknown[]): RepositoryCreationTemplate[] {
  return list.map((entry, index) => {
    const path = `templates[${index}]`;
    if (!isJsonObject(entry)) throw new AdminRequestError(`${path} must be an object`);
    const reader = readMembers(entry, `${path}.`);
    const prefix = checkPrefix(reader.requiredString('prefix'), reader.path('prefix'));
    const setting = readMutabilitySetting(reader, 'MUTABLE');
    const scenarios = reader.array('appliedFor');
    const appliedFor =
      scenarios === undefined
        ? DEFAULT_SEED_APPLIED_FOR
        : readAppliedFor(scenarios, reader.path('appliedFor'));
    return newTemplate(prefix, setting, appliedFor, defaults.nowMs);
  });
}

/** Seeds one registry from a {@link SeedRequest}-shaped body; invalid input is an {@link AdminRequestError}. */
export function seedRepositories(store: RepositoryStore, body: unknown, defaults: Defaults): SeedResult {
  if (!isJsonObject(body)) throw new AdminRequestError('the seed request must be a JSON object');
  return asAdminError(() => {
    const reader = readMembers(body);
    const region = reader.string('region') ?? defaults.region;
    if (!REGION.test(region)) throw new AdminRequestError(`region '${region}' is not a region name`);
    const account = reader.string('account') ?? defaults.account;
    if (!ACCOUNT.test(account))
      throw new AdminRequestError(`account '${account}' is not a 12-digit account ID`);
    const scoped: Defaults = { account, region, nowMs: defaults.nowMs };
    const explicit = reader.array('repositories');
    const generator = reader.object('generate');
    const templateList = reader.array('templates');
    if (
      explicit === undefined &&
      generator === undefined &&
      templateList === undefined &&
      body.pushes === undefined
    ) {
      throw new AdminRequestError(
        'the seed request needs "repositories", "generate", "templates" or "pushes"',
      );
    }
    const repositories = [
      ...(explicit === undefined ? [] : readExplicit(scoped, explicit)),
      ...(generator === undefined ? [] : readGenerated(scoped, generator)),
    ];
    const templates = templateList === undefined ? undefined : readTemplates(scoped, templateList);
    // Everything is read and checked before the registry changes, so a bad request seeds nothing.
    const registry = store.registry(account, region);
    const created = registry.upsertMany(repositories);
    const result = {
      account,
      region,
      created,
      replaced: repositories.length - created,
      total: registry.size,
    };
    if (templates === undefined) return result;
    let templatesCreated = 0;
    for (const template of templates) if (registry.templates.upsert(template)) templatesCreated += 1;
    return {
      ...result,
      templates: {
        created: templatesCreated,
        replaced: templates.length - templatesCreated,
        total: registry.templates.size,
      },
    };
  });
}
