/**
 * The ECR adapter: the only place that talks to `@aws-sdk/client-ecr`. It takes a ready client
 * (so tests pass an `aws-sdk-client-mock`), uses modular commands, and translates SDK exceptions
 * into {@link AwsCallError} (lib/aws-call.ts) or the `gone` result at this boundary and nowhere else.
 * The IAM actions of its methods are `ECR_ACTIONS` of lib/iam-actions.ts, checked against them here.
 */

import { setTimeout } from 'node:timers/promises';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  type ECRClient,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  TagResourceCommand,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { translateAwsError } from './aws-call.ts';
import type { Sleep } from './aws-retry.ts';
import {
  filtersOf,
  missingNameFromMessage,
  mutabilityRequest,
  toRepositoryFacts,
  toTemplateFacts,
} from './ecr-facts.ts';
import { AwsCallError, errorCodeOf } from './errors.ts';
import { type ActionTable, ECR_ACTIONS } from './iam-actions.ts';
import { MAX_NAMES_PER_DESCRIBE, MAX_PAGE_SIZE } from './names.ts';
import { pageTokens, RepeatedPageTokenError } from './pagination.ts';
import type { RepositoryFacts, TargetSetting, TemplateFacts } from './policy.ts';
import type { UntaggedImage } from './push-history.ts';

const SERVICE = 'ecr';

/** Translates anything an ECR call threw into an {@link AwsCallError} naming the operation. */
const translateError = (operation: string, error: unknown) => translateAwsError(SERVICE, operation, error);

function isNotFound(error: unknown): boolean {
  return errorCodeOf(error) === 'RepositoryNotFoundException';
}

const realSleep: Sleep = (ms) => setTimeout(ms);

export interface EcrAdapterOptions {
  /**
   * Delays between describe attempts while a just-created repository is not yet visible.
   * ECR creates repositories asynchronously; a few seconds in all before concluding `gone`.
   */
  readonly creationRetryDelaysMs?: readonly number[];
  readonly sleep?: Sleep;
}

export interface RepositoryRef {
  readonly registryId?: string | undefined;
  readonly repositoryName: string;
}

/** A result, or `gone`: the repository (or template) was deleted before or while the call was made. */
type OrGone<Result> = Result | { readonly kind: 'gone' };

export type DescribeResult = OrGone<{ readonly kind: 'found'; readonly facts: RepositoryFacts }>;
export type SetResult = OrGone<{ readonly kind: 'set'; readonly facts: RepositoryFacts }>;
export type TagsResult = OrGone<{ readonly kind: 'tags'; readonly tags: Readonly<Record<string, string>> }>;
export type UntaggedImagesResult = OrGone<{
  readonly kind: 'images';
  readonly images: readonly UntaggedImage[];
}>;
export type SetTagsResult = OrGone<{ readonly kind: 'tagged' }>;
export type TemplateSetResult = OrGone<{ readonly kind: 'set'; readonly template: TemplateFacts }>;

export interface RepositoryPage {
  readonly repositories: readonly RepositoryFacts[];
  readonly nextToken: string | undefined;
}

export interface NamedDescribeResult {
  readonly found: readonly RepositoryFacts[];
  readonly missing: readonly string[];
}

/** What the rest of the project needs from ECR: each method's IAM actions are in `ECR_ACTIONS` (lib/iam-actions.ts). */
export interface EcrAdapter {
  /** Describes one repository; `gone` when it does not exist (after creation retries when `awaitCreation`). */
  describeRepository(ref: RepositoryRef, options?: { awaitCreation?: boolean }): Promise<DescribeResult>;
  /** One page of the whole registry, `pageSize` up to 1000. */
  listRepositoryPage(options: {
    registryId?: string | undefined;
    nextToken?: string | undefined;
    pageSize?: number;
  }): Promise<RepositoryPage>;
  /** Describes up to 100 names in one call; missing names are reported, never hide the others. */
  describeRepositoriesByName(
    registryId: string | undefined,
    names: readonly string[],
  ): Promise<NamedDescribeResult>;
  /** Writes the target setting; `gone` when the repository was deleted meanwhile. */
  setMutability(facts: RepositoryFacts, desired: TargetSetting): Promise<SetResult>;
  /** The repository's tags as a map; `gone` when the repository was deleted meanwhile. */
  listTags(facts: RepositoryFacts): Promise<TagsResult>;
  /** One page of repository creation templates. */
  listCreationTemplatePage(options: {
    registryId?: string | undefined;
    nextToken?: string | undefined;
  }): Promise<{ templates: TemplateFacts[]; nextToken: string | undefined }>;
  /** Writes the target setting on a template; `gone` when it was deleted meanwhile. */
  setTemplateMutability(template: TemplateFacts, desired: TargetSetting): Promise<TemplateSetResult>;
  /** Adds (or sets) resource tags on the repository; `gone` when it was deleted meanwhile. */
  tagRepository(facts: RepositoryFacts, tags: Readonly<Record<string, string>>): Promise<SetTagsResult>;
  /** Every image of the repository without a tag (all pages); `gone` when it was deleted meanwhile. */
  listUntaggedImages(facts: RepositoryFacts): Promise<UntaggedImagesResult>;
}

ECR_ACTIONS satisfies ActionTable<EcrAdapter, typeof ECR_ACTIONS>;

/** DescribeImages' page limit (API_DescribeImages `maxResults`, 1-1000). */
const MAX_IMAGE_PAGE = 1000;

const DEFAULT_CREATION_RETRY_DELAYS_MS = [250, 500, 1000, 2000] as const;

/** Creates the adapter over a ready `ECRClient` (configure retries, e.g. `retryMode: 'adaptive'`, on the client). */
export function createEcrAdapter(client: ECRClient, options: EcrAdapterOptions = {}): EcrAdapter {
  const sleep = options.sleep ?? realSleep;
  const creationDelays = options.creationRetryDelaysMs ?? DEFAULT_CREATION_RETRY_DELAYS_MS;

  async function describeOnce(ref: RepositoryRef): Promise<DescribeResult> {
    try {
      const output = await client.send(
        new DescribeRepositoriesCommand({
          registryId: ref.registryId,
          repositoryNames: [ref.repositoryName],
        }),
      );
      // Stryker disable next-line ArrayDeclaration: equivalent, whatever stands in for the missing list maps to no facts (toRepositoryFacts refuses an entry without a name, ARN or registry), so the answer is gone either way
      const facts = (output.repositories ?? [])
        .map(toRepositoryFacts)
        .find((f) => f?.repositoryName === ref.repositoryName);
      if (facts === undefined) return { kind: 'gone' };
      return { kind: 'found', facts };
    } catch (error) {
      if (isNotFound(error)) return { kind: 'gone' };
      throw translateError('DescribeRepositories', error);
    }
  }

  return {
    async describeRepository(ref, describeOptions) {
      let result = await describeOnce(ref);
      if (!describeOptions?.awaitCreation) return result;
      for (const delay of creationDelays) {
        if (result.kind === 'found') return result;
        await sleep(delay);
        result = await describeOnce(ref);
      }
      return result;
    },

    async listRepositoryPage({ registryId, nextToken, pageSize = MAX_PAGE_SIZE }) {
      try {
        const output = await client.send(
          new DescribeRepositoriesCommand({
            registryId,
            nextToken,
            maxResults: Math.min(pageSize, MAX_PAGE_SIZE),
          }),
        );
        const repositories: RepositoryFacts[] = [];
        for (const repository of output.repositories ?? []) {
          const facts = toRepositoryFacts(repository);
          if (facts !== undefined) repositories.push(facts);
        }
        return { repositories, nextToken: output.nextToken || undefined };
      } catch (error) {
        throw translateError('DescribeRepositories', error);
      }
    },

    async describeRepositoriesByName(registryId, names) {
      if (names.length > MAX_NAMES_PER_DESCRIBE) {
        throw new RangeError(`at most ${MAX_NAMES_PER_DESCRIBE} names per call, got ${names.length}`);
      }
      // ECR fails the whole call when one name is missing and names only that one: drop it and ask again,
      // so one deleted repository never hides the others.
      let pending = [...new Set(names)];
      const missing: string[] = [];
      while (pending.length > 0) {
        try {
          const output = await client.send(
            new DescribeRepositoriesCommand({ registryId, repositoryNames: pending }),
          );
          const found: RepositoryFacts[] = [];
          for (const repository of output.repositories ?? []) {
            const facts = toRepositoryFacts(repository);
            if (facts !== undefined) found.push(facts);
          }
          const seen = new Set(found.map((facts) => facts.repositoryName));
          for (const name of pending) if (!seen.has(name)) missing.push(name);
          return { found, missing };
        } catch (error) {
          if (!isNotFound(error)) throw translateError('DescribeRepositories', error);
          // Stryker disable next-line StringLiteral: equivalent, a not-found that is no Error has no message, and any text without "repository with name '…'" (the mutant's as '') names no repository
          const message = error instanceof Error ? error.message : '';
          const name = missingNameFromMessage(message);
          if (name === undefined || !pending.includes(name)) {
            // Cannot tell which one is missing: fall back to one call per name.
            if (pending.length === 1) {
              missing.push(...pending);
              return { found: [], missing };
            }
            const found: RepositoryFacts[] = [];
            for (const single of pending) {
              const result = await describeOnce({ registryId, repositoryName: single });
              if (result.kind === 'found') found.push(result.facts);
              else missing.push(single);
            }
            return { found, missing };
          }
          missing.push(name);
          pending = pending.filter((candidate) => candidate !== name);
        }
      }
      return { found: [], missing };
    },

    async setMutability(facts, desired) {
      try {
        const output = await client.send(
          new PutImageTagMutabilityCommand({
            registryId: facts.registryId,
            repositoryName: facts.repositoryName,
            ...mutabilityRequest(desired),
          }),
        );
        return {
          kind: 'set',
          facts: {
            ...facts,
            setting: {
              mutability: output.imageTagMutability ?? desired.mutability,
              exclusionFilters: output.imageTagMutabilityExclusionFilters
                ? filtersOf(output.imageTagMutabilityExclusionFilters)
                : [...desired.exclusionFilters],
            },
          },
        };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'gone' };
        throw translateError('PutImageTagMutability', error);
      }
    },

    async listCreationTemplatePage({ registryId, nextToken }) {
      try {
        const output = await client.send(
          new DescribeRepositoryCreationTemplatesCommand({ nextToken, maxResults: 100 }),
        );
        const owner = output.registryId ?? registryId ?? '';
        const templates: TemplateFacts[] = [];
        for (const template of output.repositoryCreationTemplates ?? []) {
          const facts = toTemplateFacts(template, owner);
          if (facts !== undefined) templates.push(facts);
        }
        return { templates, nextToken: output.nextToken || undefined };
      } catch (error) {
        throw translateError('DescribeRepositoryCreationTemplates', error);
      }
    },

    async setTemplateMutability(template, desired) {
      try {
        const output = await client.send(
          new UpdateRepositoryCreationTemplateCommand({
            prefix: template.prefix,
            ...mutabilityRequest(desired),
          }),
        );
        const updated = output.repositoryCreationTemplate
          ? toTemplateFacts(output.repositoryCreationTemplate, template.registryId)
          : undefined;
        return { kind: 'set', template: updated ?? { ...template, setting: desired } };
      } catch (error) {
        if (errorCodeOf(error) === 'TemplateNotFoundException') return { kind: 'gone' };
        throw translateError('UpdateRepositoryCreationTemplate', error);
      }
    },

    async tagRepository(facts, tags) {
      try {
        await client.send(
          new TagResourceCommand({
            resourceArn: facts.repositoryArn,
            tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return { kind: 'tagged' };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'gone' };
        throw translateError('TagResource', error);
      }
    },

    async listUntaggedImages(facts) {
      const images: UntaggedImage[] = [];
      const tokens = pageTokens('ECR DescribeImages');
      let nextToken: string | undefined;
      try {
        do {
          const output = await client.send(
            new DescribeImagesCommand({
              registryId: facts.registryId,
              repositoryName: facts.repositoryName,
              filter: { tagStatus: 'UNTAGGED' },
              maxResults: MAX_IMAGE_PAGE,
              nextToken,
            }),
          );
          for (const image of output.imageDetails ?? []) {
            if (!image.imageDigest) continue;
            images.push({ digest: image.imageDigest, pushedAt: image.imagePushedAt?.toISOString() });
          }
          nextToken = tokens.next(output.nextToken);
        } while (nextToken !== undefined);
        return { kind: 'images', images };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'gone' };
        if (error instanceof RepeatedPageTokenError) {
          throw new AwsCallError(SERVICE, 'DescribeImages', 'RepeatedNextToken', false, { cause: error });
        }
        throw translateError('DescribeImages', error);
      }
    },

    async listTags(facts) {
      try {
        const output = await client.send(
          new ListTagsForResourceCommand({ resourceArn: facts.repositoryArn }),
        );
        const tags: Record<string, string> = Object.create(null);
        for (const tag of output.tags ?? []) {
          if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
        }
        return { kind: 'tags', tags };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'gone' };
        throw translateError('ListTagsForResource', error);
      }
    },
  };
}
