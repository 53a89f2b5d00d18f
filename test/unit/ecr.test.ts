import {
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  RepositoryNotFoundException,
  TemplateNotFoundException,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { translateAwsError } from '../../lib/aws-call.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import { requiredEcrActions } from '../../lib/iam-actions.ts';

const ecrMock = mockClient(ECRClient);
const noSleep = async () => {};

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

function sdkError(name: string, status: number, fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: fault,
  });
}

describe('createEcrAdapter', () => {
  beforeEach(() => ecrMock.reset());
  const adapter = () => createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep: noSleep });

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
