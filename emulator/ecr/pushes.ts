/**
 * Past pushes in a seed (`pushes: [{ repositoryName, tag, digest | manifest, at, actor }]`): each becomes an
 * image in its repository and a PutImage call the composition root records in the trail, at its own time.
 */
import { AdminRequestError, AwsError } from '../core/errors.ts';
import { isJsonObject, type JsonObject, readMembers } from '../core/validate.ts';
import { applyPush } from './image-operations.ts';
import { checkRepositoryName, repositoryNotFound } from './model.ts';
import type { RepositoryStore } from './store.ts';

/** One past push, as a seed gives it. */
export interface SeedPush {
  readonly repositoryName: string;
  readonly tag?: string;
  /** The manifest pushed; default one made up for the push (so each push without one is a new image). */
  readonly manifest?: string;
  /** The image digest, when the seed names it instead of a manifest. */
  readonly digest?: string;
  /** When: an ISO 8601 date-time or epoch seconds. */
  readonly at: string | number;
  /** Who: an IAM user or assumed-role ARN; default the account's `emulator` user. */
  readonly actor?: string;
  readonly accessKeyId?: string;
  readonly sourceIPAddress?: string;
  /** `ImageTagAlreadyExistsException`: the push was refused (recorded as a failed call, nothing stored). */
  readonly errorCode?: 'ImageTagAlreadyExistsException';
}

/** A checked push. */
export interface ParsedPush {
  readonly repositoryName: string;
  readonly tag: string | undefined;
  readonly manifest: string;
  readonly digest: string | undefined;
  readonly atMs: number;
  readonly actor: string;
  readonly accessKeyId: string;
  readonly sourceIp: string;
  readonly refused: boolean;
}

/** The outcome of one seeded push, for the trail. */
export interface PushOutcome {
  readonly push: ParsedPush;
  readonly input: JsonObject;
  readonly output: JsonObject | undefined;
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const ACTOR = /^arn:[a-z-]+:(?:iam|sts)::[0-9]{12}:(?:user|assumed-role)\/.+$/;

function readAt(value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new AdminRequestError(
    `${path} must be an ISO 8601 date-time or epoch seconds, got ${JSON.stringify(value)}`,
  );
}

function madeUpManifest(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1469,
      digest: `sha256:${Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    },
    layers: [],
    annotations: { 'emulator.seed': seed },
  });
}

/** Checks a seed's `pushes` list; they are returned oldest first. */
export function readPushes(list: unknown, account: string): ParsedPush[] {
  if (!Array.isArray(list)) throw new AdminRequestError('pushes must be a list');
  const pushes = list.map((entry, index): ParsedPush => {
    const path = `pushes[${index}]`;
    if (!isJsonObject(entry)) throw new AdminRequestError(`${path} must be an object`);
    const allowed = [
      'repositoryName',
      'tag',
      'manifest',
      'digest',
      'at',
      'actor',
      'accessKeyId',
      'sourceIPAddress',
      'errorCode',
    ];
    for (const key of Object.keys(entry))
      if (!allowed.includes(key))
        throw new AdminRequestError(`${path}.${key} is not a push setting (use ${allowed.join(', ')})`);
    const reader = readMembers(entry, `${path}.`);
    const repositoryName = checkRepositoryName(
      reader.requiredString('repositoryName'),
      reader.path('repositoryName'),
    );
    const tag = reader.string('tag');
    const digest = reader.string('digest');
    if (digest !== undefined && !DIGEST.test(digest))
      throw new AdminRequestError(`${path}.digest '${digest}' is not sha256:<64 hex digits>`);
    const atMs = readAt(entry.at, `${path}.at`);
    const actor = reader.string('actor') ?? `arn:aws:iam::${account}:user/emulator`;
    if (!ACTOR.test(actor))
      throw new AdminRequestError(`${path}.actor '${actor}' is not an IAM user or assumed-role ARN`);
    const errorCode = reader.string('errorCode');
    if (errorCode !== undefined && errorCode !== 'ImageTagAlreadyExistsException')
      throw new AdminRequestError(
        `${path}.errorCode '${errorCode}' is not supported (use ImageTagAlreadyExistsException)`,
      );
    const given = reader.string('manifest');
    return {
      repositoryName,
      tag,
      manifest: given ?? madeUpManifest(digest ?? `${repositoryName}:${tag ?? ''}@${atMs}#${index}`),
      digest: given === undefined ? digest : undefined,
      atMs,
      actor,
      accessKeyId: reader.string('accessKeyId') ?? 'AKIAEMULATORSEEDED00',
      sourceIp: reader.string('sourceIPAddress') ?? '192.0.2.10',
      refused: errorCode !== undefined,
    };
  });
  return pushes
    .map((push, index) => ({ push, index }))
    .sort((a, b) => a.push.atMs - b.push.atMs || a.index - b.index)
    .map(({ push }) => push);
}

/**
 * Applies checked pushes to a registry (history: a tag moves whatever the repository's mutability is today)
 * and returns each as a PutImage call. A push into a missing repository is an error naming it.
 */
export function applyPushes(
  store: RepositoryStore,
  account: string,
  region: string,
  pushes: readonly ParsedPush[],
): PushOutcome[] {
  const registry = store.registry(account, region);
  for (const push of pushes) {
    if (registry.get(push.repositoryName) === undefined)
      throw new AdminRequestError(`pushes: ${repositoryNotFound(push.repositoryName, account).message}`);
  }
  return pushes.map((push) => {
    const repository = registry.get(push.repositoryName);
    const input: JsonObject = {
      repositoryName: push.repositoryName,
      ...(push.tag === undefined ? {} : { imageTag: push.tag }),
      registryId: account,
      imageManifest: push.manifest,
    };
    if (repository === undefined) {
      const missing = repositoryNotFound(push.repositoryName, account);
      return { push, input, output: undefined, error: { code: missing.code, message: missing.message } };
    }
    if (push.refused) {
      return {
        push,
        input,
        output: undefined,
        error: {
          code: 'ImageTagAlreadyExistsException',
          message: `The image tag '${push.tag ?? ''}' already exists in the '${push.repositoryName}' repository and cannot be overwritten because the repository is immutable.`,
        },
      };
    }
    try {
      const image = applyPush(repository, {
        manifest: push.manifest,
        ...(push.digest === undefined ? {} : { digest: push.digest }),
        ...(push.tag === undefined ? {} : { tag: push.tag }),
        nowMs: push.atMs,
        force: true,
      });
      const output = {
        image: {
          registryId: account,
          repositoryName: push.repositoryName,
          imageId: {
            imageDigest: image.imageDigest,
            ...(push.tag === undefined ? {} : { imageTag: push.tag }),
          },
          imageManifest: image.imageManifest,
          imageManifestMediaType: image.imageManifestMediaType,
        },
      };
      return { push, input, output, error: undefined };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return { push, input, output: undefined, error: { code: error.code, message: error.message } };
    }
  });
}
