import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  RepositoryNotFoundException,
  TagResourceCommand,
  TemplateNotFoundException,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { translateAwsError } from '../../lib/aws-call.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { requiredEcrActions } from '../../lib/iam-actions.ts';
import { sdkError } from '../helpers/sdk-error.ts';

// The adapter's default sleep, recorded and answered at once (no test waits on the clock).
const timers = vi.hoisted(() => ({ setTimeout: vi.fn(async (_ms: number) => undefined) }));
vi.mock('node:timers/promises', () => timers);

const ecrMock = mockClient(ECRClient);
const noSleep = async () => {};
/** The adapter under test, over a fresh client the mock answers, sleeping no time between its retries. */
const adapter = () => createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep: noSleep });

function repository(name: string, mutability = 'MUTABLE') {
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
    registryId: '123456789012',
    imageTagMutability: mutability as 'MUTABLE',
  };
}

function notFound(name: string) {
  return new RepositoryNotFoundException({
    message: `The repository with name '${name}' does not exist in the registry with id '123456789012'`,
    $metadata: { httpStatusCode: 400 },
  });
}

describe('createEcrAdapter', () => {
  beforeEach(() => ecrMock.reset());

  it('describes one repository by name and passes the registry id through', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [repository('team/app')] });
    const result = await adapter().describeRepository({
      registryId: '123456789012',
      repositoryName: 'team/app',
    });
    expect(result).toMatchObject({
      kind: 'found',
      facts: { setting: { mutability: 'MUTABLE', exclusionFilters: [] } },
    });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, {
      registryId: '123456789012',
      repositoryNames: ['team/app'],
    });
  });

  it('returns gone when the repository was deleted', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound('team/app'));
    expect(await adapter().describeRepository({ repositoryName: 'team/app' })).toEqual({ kind: 'gone' });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 1);
  });

  it('retries a just-created repository that is not yet visible', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejectsOnce(notFound('new'))
      .rejectsOnce(notFound('new'))
      .resolves({ repositories: [repository('new')] });
    const result = await adapter().describeRepository({ repositoryName: 'new' }, { awaitCreation: true });
    expect(result.kind).toBe('found');
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
  });

  it('concludes gone after a bounded number of creation retries', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound('never'));
    const result = await adapter().describeRepository({ repositoryName: 'never' }, { awaitCreation: true });
    expect(result).toEqual({ kind: 'gone' });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 5);
  });

  it('sets IMMUTABLE and reports the resulting setting', async () => {
    ecrMock
      .on(PutImageTagMutabilityCommand)
      .resolves({ imageTagMutability: 'IMMUTABLE', repositoryName: 'x' });
    const facts = {
      repositoryName: 'x',
      repositoryArn: 'arn',
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    const result = await adapter().setMutability(facts, { mutability: 'IMMUTABLE', exclusionFilters: [] });
    expect(result).toMatchObject({ kind: 'set', facts: { setting: { mutability: 'IMMUTABLE' } } });
    expect(ecrMock).toHaveReceivedCommandWith(PutImageTagMutabilityCommand, {
      registryId: '123456789012',
      repositoryName: 'x',
      imageTagMutability: 'IMMUTABLE',
    });
  });

  it('sends exclusion filters as WILDCARD filters', async () => {
    ecrMock.on(PutImageTagMutabilityCommand).resolves({});
    const facts = {
      repositoryName: 'x',
      repositoryArn: 'arn',
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    await adapter().setMutability(facts, {
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    expect(ecrMock).toHaveReceivedCommandWith(PutImageTagMutabilityCommand, {
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
    });
  });

  it('returns gone when the repository disappears before the write', async () => {
    ecrMock.on(PutImageTagMutabilityCommand).rejects(notFound('x'));
    const facts = {
      repositoryName: 'x',
      repositoryArn: 'arn',
      registryId: '1',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    expect(await adapter().setMutability(facts, { mutability: 'IMMUTABLE', exclusionFilters: [] })).toEqual({
      kind: 'gone',
    });
  });

  it('finds the others when one of a batch of names is missing', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand, { repositoryNames: ['a', 'gone-1', 'b'] })
      .rejects(notFound('gone-1'))
      .on(DescribeRepositoriesCommand, { repositoryNames: ['a', 'b'] })
      .resolves({ repositories: [repository('a'), repository('b')] });
    const result = await adapter().describeRepositoriesByName(undefined, ['a', 'gone-1', 'b']);
    expect(result.found.map((facts) => facts.repositoryName)).toEqual(['a', 'b']);
    expect(result.missing).toEqual(['gone-1']);
  });

  it('lists a page of up to 1000 repositories with its token', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [repository('a')], nextToken: 'next' });
    const page = await adapter().listRepositoryPage({ nextToken: 'prev' });
    expect(page).toMatchObject({ nextToken: 'next', repositories: [{ repositoryName: 'a' }] });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, {
      maxResults: 1000,
      nextToken: 'prev',
    });
  });

  it('reads tags as a map', async () => {
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'team', Value: 'a' }] });
    const facts = {
      repositoryName: 'x',
      repositoryArn: 'arn:x',
      registryId: '1',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    expect(await adapter().listTags(facts)).toEqual({ kind: 'tags', tags: { team: 'a' } });
  });

  it('lists creation templates with their setting', async () => {
    ecrMock.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      registryId: '123456789012',
      repositoryCreationTemplates: [
        { prefix: 'ROOT', imageTagMutability: 'MUTABLE' },
        {
          prefix: 'ecr-public',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        },
      ],
    });
    const page = await adapter().listCreationTemplatePage({});
    expect(page).toEqual({
      nextToken: undefined,
      templates: [
        {
          prefix: 'ROOT',
          registryId: '123456789012',
          setting: { mutability: 'MUTABLE', exclusionFilters: [] },
        },
        {
          prefix: 'ecr-public',
          registryId: '123456789012',
          setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        },
      ],
    });
  });

  it('updates a template and reports gone for a deleted one', async () => {
    const template = {
      prefix: 'ROOT',
      registryId: '1',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    ecrMock
      .on(UpdateRepositoryCreationTemplateCommand)
      .resolvesOnce({ repositoryCreationTemplate: { prefix: 'ROOT', imageTagMutability: 'IMMUTABLE' } })
      .rejects(new TemplateNotFoundException({ message: 'no template', $metadata: {} }));
    const desired = { mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] };
    expect(await adapter().setTemplateMutability(template, desired)).toMatchObject({
      kind: 'set',
      template: { setting: { mutability: 'IMMUTABLE' } },
    });
    expect(ecrMock).toHaveReceivedCommandWith(UpdateRepositoryCreationTemplateCommand, {
      prefix: 'ROOT',
      imageTagMutability: 'IMMUTABLE',
    });
    expect(await adapter().setTemplateMutability(template, desired)).toEqual({ kind: 'gone' });
  });

  it.each([
    ['ThrottlingException', 400, 'client', true],
    ['ServerException', 500, 'server', true],
    ['AccessDeniedException', 400, 'client', false],
    ['InvalidParameterException', 400, 'client', false],
  ] as const)(
    'translates %s into an AwsCallError (retryable: %s)',
    async (name, status, fault, retryable) => {
      ecrMock.on(PutImageTagMutabilityCommand).rejects(sdkError(name, status, fault));
      const facts = {
        repositoryName: 'x',
        repositoryArn: 'arn',
        registryId: '1',
        setting: { mutability: 'MUTABLE', exclusionFilters: [] },
      };
      const error = await adapter()
        .setMutability(facts, { mutability: 'IMMUTABLE', exclusionFilters: [] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({
        code: name,
        retryable,
        service: 'ecr',
        operation: 'PutImageTagMutability',
      });
    },
  );

  it('treats network errors as retryable', () => {
    const error = translateAwsError(
      'ecr',
      'DescribeRepositories',
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    );
    expect(error).toMatchObject({ code: 'ECONNRESET', retryable: true });
  });
});

const FACTS = {
  repositoryName: 'team/app',
  repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
  registryId: '123456789012',
  setting: { mutability: 'MUTABLE', exclusionFilters: [] },
};
const TEMPLATE = { prefix: 'team-a', registryId: '123456789012', setting: FACTS.setting };
const IMMUTABLE = { mutability: 'IMMUTABLE' as const, exclusionFilters: [] as [] };

/** What `call` threw (it must throw). */
async function thrown(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => expect.unreachable('it did not throw'),
    (error: unknown) => error,
  );
}

describe('the ECR adapter describing one repository', () => {
  beforeEach(() => {
    ecrMock.reset();
    timers.setTimeout.mockClear();
  });

  it.each([
    ['no list', {}],
    ['only another repository', { repositories: [repository('team/other')] }],
  ])('returns gone when the answer holds %s', async (_case, answer) => {
    ecrMock.on(DescribeRepositoriesCommand).resolves(answer);
    expect(await adapter().describeRepository({ repositoryName: 'team/app' })).toEqual({ kind: 'gone' });
  });

  it('finds the repository past a malformed entry', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [{ repositoryName: 'team/app' }, repository('team/app')] });
    expect(await adapter().describeRepository({ repositoryName: 'team/app' })).toMatchObject({
      kind: 'found',
      facts: { repositoryName: 'team/app', registryId: '123456789012' },
    });
  });

  it('waits the delays it was given between attempts for a repository being created', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound('new'));
    const sleep = vi.fn(noSleep);
    const ecr = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), {
      sleep,
      creationRetryDelaysMs: [10, 20],
    });
    expect(await ecr.describeRepository({ repositoryName: 'new' }, { awaitCreation: true })).toEqual({
      kind: 'gone',
    });
    expect(sleep.mock.calls).toEqual([[10], [20]]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
  });

  it('sleeps on node’s timers when given no sleep of its own', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejectsOnce(notFound('new'))
      .resolves({ repositories: [repository('new')] });
    const ecr = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { creationRetryDelaysMs: [1000] });
    expect(await ecr.describeRepository({ repositoryName: 'new' }, { awaitCreation: true })).toMatchObject({
      kind: 'found',
    });
    expect(timers.setTimeout.mock.calls).toEqual([[1000]]);
  });

  it('does not wait for a repository that is not being created', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(notFound('old'));
    const sleep = vi.fn(noSleep);
    const ecr = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep });
    await ecr.describeRepository({ repositoryName: 'old' }, { awaitCreation: false });
    expect(sleep).not.toHaveBeenCalled();
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 1);
  });
});

describe('the ECR adapter listing repositories', () => {
  beforeEach(() => ecrMock.reset());

  it.each([
    [50, 50],
    [5000, 1000],
  ])('asks for a page of %i as maxResults %i', async (pageSize, maxResults) => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({});
    expect(await adapter().listRepositoryPage({ registryId: '123456789012', pageSize })).toEqual({
      repositories: [],
      nextToken: undefined,
    });
    expect(ecrMock).toHaveReceivedCommandWith(DescribeRepositoriesCommand, {
      registryId: '123456789012',
      maxResults,
    });
  });

  it('skips malformed entries and ends at an empty token', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [{ repositoryName: 'broken' }, repository('a')], nextToken: '' });
    const page = await adapter().listRepositoryPage({});
    expect(page.repositories.map((facts) => facts.repositoryName)).toEqual(['a']);
    expect(page.nextToken).toBeUndefined();
  });
});

describe('the ECR adapter describing repositories by name', () => {
  beforeEach(() => ecrMock.reset());

  it('takes 100 names, refuses 101', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    const names = Array.from({ length: 101 }, (_, index) => `repo-${index}`);
    expect((await adapter().describeRepositoriesByName(undefined, names.slice(0, 100))).missing).toHaveLength(
      100,
    );
    const error = await thrown(adapter().describeRepositoriesByName(undefined, names));
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toHaveProperty('message', 'at most 100 names per call, got 101');
  });

  it('asks once per distinct name, and reports the names the answer left out as missing', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('a'), { repositoryName: 'b' }] });
    const result = await adapter().describeRepositoriesByName('123456789012', ['a', 'b', 'a']);
    expect(result.found.map((facts) => facts.repositoryName)).toEqual(['a']);
    expect(result.missing).toEqual(['b']);
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)[0]?.args[0].input).toEqual({
      registryId: '123456789012',
      repositoryNames: ['a', 'b'],
    });
  });

  it('reports every name missing when ECR names each in turn', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand, { repositoryNames: ['x', 'y'] })
      .rejects(notFound('x'))
      .on(DescribeRepositoriesCommand, { repositoryNames: ['y'] })
      .rejects(notFound('y'));
    expect(await adapter().describeRepositoriesByName(undefined, ['x', 'y'])).toEqual({
      found: [],
      missing: ['x', 'y'],
    });
  });

  it.each([
    ['names none', new RepositoryNotFoundException({ message: 'not found', $metadata: {} })],
    ['names one not asked for', notFound('elsewhere')],
  ])('asks name by name when ECR %s', async (_case, error) => {
    ecrMock
      .on(DescribeRepositoriesCommand, { repositoryNames: ['a', 'gone-1'] })
      .rejects(error)
      .on(DescribeRepositoriesCommand, { repositoryNames: ['a'] })
      .resolves({ repositories: [repository('a')] })
      .on(DescribeRepositoriesCommand, { repositoryNames: ['gone-1'] })
      .rejects(error);
    const result = await adapter().describeRepositoriesByName(undefined, ['a', 'gone-1']);
    expect(result.found.map((facts) => facts.repositoryName)).toEqual(['a']);
    expect(result.missing).toEqual(['gone-1']);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
  });

  it('reports a single name missing when ECR does not say which, without asking again', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .rejects(new RepositoryNotFoundException({ message: 'not found', $metadata: {} }));
    expect(await adapter().describeRepositoriesByName(undefined, ['only'])).toEqual({
      found: [],
      missing: ['only'],
    });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 1);
  });

  it('fails with any other error as an AwsCallError of DescribeRepositories', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(sdkError('AccessDeniedException', 400));
    expect(await thrown(adapter().describeRepositoriesByName(undefined, ['a', 'b']))).toMatchObject({
      name: 'AwsCallError',
      operation: 'DescribeRepositories',
      code: 'AccessDeniedException',
    });
  });
});

describe('the ECR adapter writing', () => {
  beforeEach(() => ecrMock.reset());

  it('records the setting ECR answered with, filters included', async () => {
    ecrMock.on(PutImageTagMutabilityCommand).resolves({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
    });
    const result = await adapter().setMutability(FACTS, {
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    expect(result).toEqual({
      kind: 'set',
      facts: {
        ...FACTS,
        setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['release-*'] },
      },
    });
  });

  it('records the setting it sent when ECR answers without one', async () => {
    ecrMock.on(PutImageTagMutabilityCommand).resolves({});
    const result = await adapter().setMutability(FACTS, {
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    expect(result).toEqual({
      kind: 'set',
      facts: { ...FACTS, setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] } },
    });
  });

  it('sets a template and records the setting it sent when ECR answers without the template', async () => {
    ecrMock.on(UpdateRepositoryCreationTemplateCommand).resolves({});
    expect(await adapter().setTemplateMutability(TEMPLATE, IMMUTABLE)).toEqual({
      kind: 'set',
      template: { ...TEMPLATE, setting: IMMUTABLE },
    });
    expect(ecrMock.commandCalls(UpdateRepositoryCreationTemplateCommand)[0]?.args[0].input).toEqual({
      prefix: 'team-a',
      imageTagMutability: 'IMMUTABLE',
    });
  });

  it('records a template as ECR answered, under its registry', async () => {
    ecrMock.on(UpdateRepositoryCreationTemplateCommand).resolves({
      repositoryCreationTemplate: {
        prefix: 'team-a',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      },
    });
    expect(await adapter().setTemplateMutability(TEMPLATE, IMMUTABLE)).toEqual({
      kind: 'set',
      template: {
        prefix: 'team-a',
        registryId: '123456789012',
        setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      },
    });
  });

  it('tags a repository by its ARN, and returns gone for a deleted one', async () => {
    ecrMock.on(TagResourceCommand).resolvesOnce({}).rejects(notFound('team/app'));
    expect(await adapter().tagRepository(FACTS, { team: 'a', 'ecr-guard:exempt': 'legacy' })).toEqual({
      kind: 'tagged',
    });
    expect(ecrMock.commandCalls(TagResourceCommand)[0]?.args[0].input).toEqual({
      resourceArn: FACTS.repositoryArn,
      tags: [
        { Key: 'team', Value: 'a' },
        { Key: 'ecr-guard:exempt', Value: 'legacy' },
      ],
    });
    expect(await adapter().tagRepository(FACTS, { team: 'a' })).toEqual({ kind: 'gone' });
  });
});

describe('the ECR adapter reading', () => {
  beforeEach(() => ecrMock.reset());

  it('reads tags without a value as empty, skips tags without a key, and answers none for no list', async () => {
    ecrMock
      .on(ListTagsForResourceCommand)
      .resolvesOnce({
        tags: [
          { Key: 'team', Value: undefined },
          { Key: undefined, Value: 'orphan' },
          { Key: 'owner', Value: 'b' },
        ],
      })
      .resolves({});
    expect(await adapter().listTags(FACTS)).toEqual({ kind: 'tags', tags: { team: '', owner: 'b' } });
    expect(ecrMock).toHaveReceivedCommandWith(ListTagsForResourceCommand, {
      resourceArn: FACTS.repositoryArn,
    });
    expect(await adapter().listTags(FACTS)).toEqual({ kind: 'tags', tags: {} });
  });

  it('returns gone for the tags of a deleted repository', async () => {
    ecrMock.on(ListTagsForResourceCommand).rejects(notFound('team/app'));
    expect(await adapter().listTags(FACTS)).toEqual({ kind: 'gone' });
  });

  it('lists a page of templates under the registry asked for when ECR names none, skipping those without a prefix', async () => {
    ecrMock.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: [{ imageTagMutability: 'IMMUTABLE' }, { prefix: 'team-a' }],
      nextToken: 'next',
    });
    expect(
      await adapter().listCreationTemplatePage({ registryId: '210987654321', nextToken: 'prev' }),
    ).toEqual({
      templates: [
        {
          prefix: 'team-a',
          registryId: '210987654321',
          setting: { mutability: 'MUTABLE', exclusionFilters: [] },
        },
      ],
      nextToken: 'next',
    });
    expect(ecrMock.commandCalls(DescribeRepositoryCreationTemplatesCommand)[0]?.args[0].input).toEqual({
      nextToken: 'prev',
      maxResults: 100,
    });
  });

  it('lists templates under no registry when neither ECR nor the caller names one, and ends at an empty token', async () => {
    ecrMock
      .on(DescribeRepositoryCreationTemplatesCommand)
      .resolves({ repositoryCreationTemplates: [{ prefix: 'ROOT' }], nextToken: '' });
    expect(await adapter().listCreationTemplatePage({})).toEqual({
      templates: [
        { prefix: 'ROOT', registryId: '', setting: { mutability: 'MUTABLE', exclusionFilters: [] } },
      ],
      nextToken: undefined,
    });
  });

  it('lists every untagged image over all pages, skipping entries without a digest', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce({
        imageDetails: [
          { imageDigest: 'sha256:a', imagePushedAt: new Date('2026-01-02T03:04:05Z') },
          { imagePushedAt: new Date('2026-01-03T00:00:00Z') },
        ],
        nextToken: 'page-2',
      })
      .resolves({ imageDetails: [{ imageDigest: 'sha256:b' }] });
    expect(await adapter().listUntaggedImages(FACTS)).toEqual({
      kind: 'images',
      images: [
        { digest: 'sha256:a', pushedAt: '2026-01-02T03:04:05.000Z' },
        { digest: 'sha256:b', pushedAt: undefined },
      ],
    });
    const page = (nextToken: string | undefined) => ({
      registryId: '123456789012',
      repositoryName: 'team/app',
      filter: { tagStatus: 'UNTAGGED' },
      maxResults: 1000,
      nextToken,
    });
    expect(ecrMock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input)).toEqual([
      page(undefined),
      page('page-2'),
    ]);
  });

  it('returns gone for the images of a deleted repository', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(notFound('team/app'));
    expect(await adapter().listUntaggedImages(FACTS)).toEqual({ kind: 'gone' });
  });

  it('fails a listing of images that repeats its token as RepeatedNextToken, not retryable', async () => {
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [], nextToken: 'same' });
    expect(await thrown(adapter().listUntaggedImages(FACTS))).toMatchObject({
      name: 'AwsCallError',
      service: 'ecr',
      operation: 'DescribeImages',
      code: 'RepeatedNextToken',
      retryable: false,
      message:
        'ecr:DescribeImages failed with RepeatedNextToken: ECR DescribeImages repeated a page token it had already returned (page 2): the listing would never end',
    });
  });
});

describe('the ECR adapter names the operation that failed', () => {
  beforeEach(() => ecrMock.reset());

  it.each([
    ['DescribeRepositories', 'describing one', () => adapter().describeRepository({ repositoryName: 'a' })],
    ['DescribeRepositories', 'listing a page', () => adapter().listRepositoryPage({})],
    [
      'DescribeRepositoryCreationTemplates',
      'listing templates',
      () => adapter().listCreationTemplatePage({}),
    ],
    [
      'UpdateRepositoryCreationTemplate',
      'setting a template',
      () => adapter().setTemplateMutability(TEMPLATE, IMMUTABLE),
    ],
    ['TagResource', 'tagging', () => adapter().tagRepository(FACTS, { team: 'a' })],
    ['DescribeImages', 'listing untagged images', () => adapter().listUntaggedImages(FACTS)],
    ['ListTagsForResource', 'reading tags', () => adapter().listTags(FACTS)],
  ] as const)('%s when %s is denied', async (operation, _call, call) => {
    ecrMock.rejects(sdkError('AccessDeniedException', 400));
    expect(await thrown(call())).toMatchObject({
      name: 'AwsCallError',
      service: 'ecr',
      operation,
      code: 'AccessDeniedException',
      retryable: false,
    });
  });
});

describe('requiredEcrActions', () => {
  it('lists exactly the actions each feature set calls', () => {
    expect(requiredEcrActions({ tagExemptions: false, creationTemplates: false })).toEqual([
      'ecr:DescribeRepositories',
      'ecr:PutImageTagMutability',
    ]);
    expect(requiredEcrActions({ tagExemptions: true, creationTemplates: false })).toEqual([
      'ecr:DescribeRepositories',
      'ecr:ListTagsForResource',
      'ecr:PutImageTagMutability',
    ]);
    expect(requiredEcrActions({ tagExemptions: false, creationTemplates: true })).toEqual([
      'ecr:DescribeRepositories',
      'ecr:DescribeRepositoryCreationTemplates',
      'ecr:PutImageTagMutability',
      'ecr:UpdateRepositoryCreationTemplate',
    ]);
  });
});
