import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  type CreateRepositoryCommandInput,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  type ImageDetail,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { matchesWildcard } from '../../emulator/ecr/images.ts';
import { manifestFor, sha256Digest, startTestEmulator, type TestEmulator } from './helpers.ts';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.admin.reset();
});

async function createRepository(
  input: Omit<CreateRepositoryCommandInput, 'repositoryName'> & { name: string },
) {
  const { name, ...rest } = input;
  await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: name, ...rest }));
}

function push(repositoryName: string, manifest: string, imageTag?: string) {
  return emulator.ecr.send(
    new PutImageCommand({
      repositoryName,
      imageManifest: manifest,
      ...(imageTag === undefined ? {} : { imageTag }),
    }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return { name: error.name, message: error.message };
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function allImages(
  repositoryName: string,
  tagStatus?: 'TAGGED' | 'UNTAGGED' | 'ANY',
  maxResults?: number,
) {
  const images: ImageDetail[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await emulator.ecr.send(
      new DescribeImagesCommand({
        repositoryName,
        ...(tagStatus === undefined ? {} : { filter: { tagStatus } }),
        ...(maxResults === undefined ? {} : { maxResults }),
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    images.push(...(page.imageDetails ?? []));
    nextToken = page.nextToken;
    pages += 1;
  } while (nextToken !== undefined);
  return { images, pages };
}

describe('PutImage', () => {
  it('names the image by sha256 of the manifest bytes and describes it with ECR fields', async () => {
    await createRepository({ name: 'app' });
    const manifest = manifestFor('one');
    const put = await push('app', manifest, 'v1');
    expect(put.image?.imageId).toEqual({ imageDigest: sha256Digest(manifest), imageTag: 'v1' });
    expect(put.image?.imageManifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const { imageDetails } = await emulator.ecr.send(new DescribeImagesCommand({ repositoryName: 'app' }));
    expect(imageDetails).toEqual([
      {
        registryId: '123456789012',
        repositoryName: 'app',
        imageDigest: sha256Digest(manifest),
        imageTags: ['v1'],
        imageSizeInBytes: 3345,
        imagePushedAt: expect.any(Date),
        imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        artifactMediaType: 'application/vnd.docker.container.image.v1+json',
      },
    ]);
  });

  it('refuses a manifest that is not JSON, and a digest that does not match the manifest', async () => {
    await createRepository({ name: 'app' });
    expect((await rejection(push('app', 'not json', 'v1'))).name).toBe('InvalidParameterException');
    const wrongDigest = emulator.ecr.send(
      new PutImageCommand({
        repositoryName: 'app',
        imageManifest: manifestFor('a'),
        imageDigest: sha256Digest('b'),
      }),
    );
    expect((await rejection(wrongDigest)).name).toBe('ImageDigestDoesNotMatchException');
  });

  it('answers ImageAlreadyExistsException for the same manifest under the same tag, and adds a new tag to it', async () => {
    await createRepository({ name: 'app', imageTagMutability: 'IMMUTABLE' });
    const manifest = manifestFor('same');
    await push('app', manifest, 'v1');
    const again = await rejection(push('app', manifest, 'v1'));
    expect(again.name).toBe('ImageAlreadyExistsException');
    expect(again.message).toContain(sha256Digest(manifest));
    await push('app', manifest, 'stable');
    const { images } = await allImages('app');
    expect(images.map((image) => image.imageTags)).toEqual([['v1', 'stable']]);
  });

  it('refuses to move a tag on an IMMUTABLE repository with ECR message, and leaves the tag where it was', async () => {
    await createRepository({ name: 'locked', imageTagMutability: 'IMMUTABLE' });
    const first = manifestFor('first');
    await push('locked', first, 'latest');
    const refused = await rejection(push('locked', manifestFor('second'), 'latest'));
    expect(refused).toEqual({
      name: 'ImageTagAlreadyExistsException',
      message:
        "The image tag 'latest' already exists in the 'locked' repository and cannot be overwritten because the repository is immutable.",
    });
    const { images } = await allImages('locked');
    expect(images.map((image) => [image.imageDigest, image.imageTags])).toEqual([
      [sha256Digest(first), ['latest']],
    ]);
  });

  it('moves a tag on a MUTABLE repository, leaving the old image untagged', async () => {
    await createRepository({ name: 'open' });
    await push('open', manifestFor('first'), 'latest');
    await push('open', manifestFor('second'), 'latest');
    const { images } = await allImages('open');
    expect(images.map((image) => [image.imageDigest, image.imageTags])).toEqual([
      [sha256Digest(manifestFor('first')), undefined],
      [sha256Digest(manifestFor('second')), ['latest']],
    ]);
  });

  it.each([
    // IMMUTABLE_WITH_EXCLUSION: immutable except the tags a filter matches.
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'latest', 'moves'],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'dev-feature-1', 'moves'],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'v1.2.3', 'refused'],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'latest-1', 'refused'],
    ['IMMUTABLE_WITH_EXCLUSION', ['*-snapshot'], 'v2-snapshot', 'moves'],
    // MUTABLE_WITH_EXCLUSION: mutable except the tags a filter matches.
    ['MUTABLE_WITH_EXCLUSION', ['release-*', 'prod'], 'release-2024', 'refused'],
    ['MUTABLE_WITH_EXCLUSION', ['release-*', 'prod'], 'prod', 'refused'],
    ['MUTABLE_WITH_EXCLUSION', ['release-*', 'prod'], 'latest', 'moves'],
    ['MUTABLE_WITH_EXCLUSION', ['release-*', 'prod'], 'production', 'moves'],
  ] as const)(
    '%s with filters %j: pushing another image as %s %s',
    async (mutability, filters, tag, outcome) => {
      await createRepository({
        name: 'filtered',
        imageTagMutability: mutability,
        imageTagMutabilityExclusionFilters: filters.map((filter) => ({ filter, filterType: 'WILDCARD' })),
      });
      await push('filtered', manifestFor('first'), tag);
      const second = push('filtered', manifestFor('second'), tag);
      if (outcome === 'refused') {
        expect((await rejection(second)).name).toBe('ImageTagAlreadyExistsException');
      } else {
        await second;
        const { imageDetails } = await emulator.ecr.send(
          new DescribeImagesCommand({ repositoryName: 'filtered', imageIds: [{ imageTag: tag }] }),
        );
        expect(imageDetails?.[0]?.imageDigest).toBe(sha256Digest(manifestFor('second')));
      }
    },
  );

  it('accepts a new tag on an immutable repository (immutability only stops moving a tag)', async () => {
    await createRepository({ name: 'locked', imageTagMutability: 'IMMUTABLE' });
    await push('locked', manifestFor('first'), 'v1');
    await push('locked', manifestFor('second'), 'v2');
    expect((await allImages('locked')).images).toHaveLength(2);
  });
});

describe('the WILDCARD exclusion filter matcher', () => {
  const filterCharacters = fc.constantFrom(...'ab.-_*'.split(''));
  const tagCharacters = fc.constantFrom(...'ab.-_'.split(''));
  it('matches exactly what an anchored regular expression with * as .* matches', () => {
    fc.assert(
      fc.property(
        fc.array(filterCharacters, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
        fc.array(tagCharacters, { maxLength: 10 }).map((parts) => parts.join('')),
        (filter, tag) => {
          const source = filter
            .split('*')
            .map((part) => part.replace(/[.\\-]/g, (character) => `\\${character}`))
            .join('.*');
          expect(matchesWildcard(filter, tag)).toBe(new RegExp(`^${source}$`).test(tag));
        },
      ),
    );
  });
});

describe('DescribeImages', () => {
  beforeEach(async () => {
    await createRepository({ name: 'many' });
    for (let index = 1; index <= 7; index++) await push('many', manifestFor(`m${index}`), `t${index}`);
    // Two untagged images: t1 and t2 move to new images.
    await push('many', manifestFor('m8'), 't1');
    await push('many', manifestFor('m9'), 't2');
  });

  it('pages in push order with maxResults and nextToken, returning every image once', async () => {
    const { images, pages } = await allImages('many', undefined, 2);
    expect(pages).toBe(5);
    expect(images.map((image) => image.imageDigest)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((index) => sha256Digest(manifestFor(`m${index}`))),
    );
  });

  it.each([
    ['TAGGED', 7],
    ['UNTAGGED', 2],
    ['ANY', 9],
  ] as const)('filters by tagStatus %s (%i images)', async (tagStatus, count) => {
    const { images } = await allImages('many', tagStatus, 3);
    expect(images).toHaveLength(count);
    for (const image of images) {
      if (tagStatus === 'TAGGED') expect(image.imageTags?.length).toBeGreaterThan(0);
      if (tagStatus === 'UNTAGGED') expect(image.imageTags).toBeUndefined();
    }
  });

  it('describes images by id, and answers ImageNotFoundException for an unknown one', async () => {
    const { imageDetails } = await emulator.ecr.send(
      new DescribeImagesCommand({
        repositoryName: 'many',
        imageIds: [{ imageTag: 't3' }, { imageDigest: sha256Digest(manifestFor('m3')) }, { imageTag: 't4' }],
      }),
    );
    expect(imageDetails?.map((image) => image.imageTags)).toEqual([['t3'], ['t4']]);
    const missing = await rejection(
      emulator.ecr.send(
        new DescribeImagesCommand({ repositoryName: 'many', imageIds: [{ imageTag: 'nope' }] }),
      ),
    );
    expect(missing.name).toBe('ImageNotFoundException');
    expect(missing.message).toContain("imageTag:'nope'");
  });

  it.each([0, 1001])('refuses maxResults %i', async (maxResults) => {
    const error = await rejection(
      emulator.ecr.send(new DescribeImagesCommand({ repositoryName: 'many', maxResults })),
    );
    expect(error.name).toBe('InvalidParameterException');
  });

  it('refuses a nextToken issued for another tagStatus', async () => {
    const page = await emulator.ecr.send(
      new DescribeImagesCommand({ repositoryName: 'many', maxResults: 1, filter: { tagStatus: 'TAGGED' } }),
    );
    const error = await rejection(
      emulator.ecr.send(
        new DescribeImagesCommand({
          repositoryName: 'many',
          maxResults: 1,
          filter: { tagStatus: 'UNTAGGED' },
          ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
        }),
      ),
    );
    expect(error.name).toBe('InvalidParameterException');
  });
});

describe('BatchGetImage and BatchDeleteImage', () => {
  it('returns manifests, with an ImageNotFound failure for an unknown tag', async () => {
    await createRepository({ name: 'app' });
    await push('app', manifestFor('a'), 'a');
    const answer = await emulator.ecr.send(
      new BatchGetImageCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'a' }, { imageTag: 'zz' }] }),
    );
    expect(answer.images?.map((image) => image.imageManifest)).toEqual([manifestFor('a')]);
    expect(answer.failures).toEqual([
      {
        imageId: { imageTag: 'zz' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
  });

  it('deletes by tag (the image goes with its last tag) and by digest, reporting each failure with its ECR code', async () => {
    await createRepository({ name: 'app' });
    const a = sha256Digest(manifestFor('a'));
    const b = sha256Digest(manifestFor('b'));
    await push('app', manifestFor('a'), 'a1');
    await push('app', manifestFor('a'), 'a2');
    await push('app', manifestFor('b'), 'b1');
    const answer = await emulator.ecr.send(
      new BatchDeleteImageCommand({
        repositoryName: 'app',
        imageIds: [
          { imageTag: 'a1' },
          { imageDigest: b },
          { imageTag: 'missing' },
          { imageDigest: 'not-a-digest' },
          {},
          { imageDigest: a, imageTag: 'b1' },
        ],
      }),
    );
    expect(answer.imageIds).toEqual([
      { imageDigest: a, imageTag: 'a1' },
      { imageDigest: b, imageTag: 'b1' },
    ]);
    expect(answer.failures?.map((failure) => [failure.imageId, failure.failureCode])).toEqual([
      [{ imageTag: 'missing' }, 'ImageNotFound'],
      [{ imageDigest: 'not-a-digest' }, 'InvalidImageDigest'],
      [{}, 'MissingDigestAndTag'],
      [{ imageDigest: a, imageTag: 'b1' }, 'ImageNotFound'],
    ]);
    expect((await allImages('app')).images.map((image) => image.imageTags)).toEqual([['a2']]);
    const last = await emulator.ecr.send(
      new BatchDeleteImageCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'a2' }] }),
    );
    expect(last.imageIds).toEqual([{ imageDigest: a, imageTag: 'a2' }]);
    expect((await allImages('app')).images).toEqual([]);
  });

  it('reports ImageTagDoesNotMatchDigest when a tag and a digest name different images', async () => {
    await createRepository({ name: 'app' });
    await push('app', manifestFor('a'), 'a');
    await push('app', manifestFor('b'), 'b');
    const answer = await emulator.ecr.send(
      new BatchDeleteImageCommand({
        repositoryName: 'app',
        imageIds: [{ imageDigest: sha256Digest(manifestFor('a')), imageTag: 'b' }],
      }),
    );
    expect(answer.failures?.[0]?.failureCode).toBe('ImageTagDoesNotMatchDigest');
    expect((await allImages('app')).images).toHaveLength(2);
  });
});

describe('DeleteRepository', () => {
  it('refuses a repository that still has images unless force is true', async () => {
    await createRepository({ name: 'full' });
    await push('full', manifestFor('a'), 'a');
    const refused = await rejection(
      emulator.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'full' })),
    );
    expect(refused.name).toBe('RepositoryNotEmptyException');
    await emulator.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'full', force: true }));
    expect((await emulator.admin.repositories()).count).toBe(0);
  });

  it('deletes a repository whose images were all deleted', async () => {
    await createRepository({ name: 'emptied' });
    await push('emptied', manifestFor('a'), 'a');
    await emulator.ecr.send(
      new BatchDeleteImageCommand({ repositoryName: 'emptied', imageIds: [{ imageTag: 'a' }] }),
    );
    await emulator.ecr.send(new DeleteRepositoryCommand({ repositoryName: 'emptied' }));
    expect((await emulator.admin.repositories()).count).toBe(0);
  });
});
