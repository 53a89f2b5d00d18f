import {
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGuardrailHandler } from '../../functions/guardrail/handler.ts';
import { AUDIT_MESSAGE } from '../../lib/audit.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError, InvalidEventError } from '../../lib/errors.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { auditorFactory, testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';

const ecrMock = mockClient(ECRClient);

function repository(name: string, mutability: string) {
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
    registryId: '123456789012',
    imageTagMutability: mutability as 'MUTABLE',
  };
}

function setup(env: Record<string, string> = {}) {
  const log = testLogger();
  const { metrics, addMetric } = testMetrics();
  const handler = createGuardrailHandler({
    config: testConfig(env),
    ecr: createEcrAdapter(new ECRClient({ region: 'eu-west-1' }), { sleep: async () => {} }),
    logger: log.logger,
    createAuditor: auditorFactory(log.logger, metrics),
  });
  return { handler, log, addMetric };
}

function callCounts() {
  return {
    describe: ecrMock.commandCalls(DescribeRepositoriesCommand).length,
    put: ecrMock.commandCalls(PutImageTagMutabilityCommand).length,
    tags: ecrMock.commandCalls(ListTagsForResourceCommand).length,
  };
}

describe('guardrail handler', () => {
  beforeEach(() => ecrMock.reset());

  it('remediates a mutable repository with exactly 1 describe and 1 put', async () => {
    // Prepare
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/api', 'MUTABLE')] });
    ecrMock.on(PutImageTagMutabilityCommand).resolves({ imageTagMutability: 'IMMUTABLE' });
    const { handler, log, addMetric } = setup();
    // Act
    const summary = await handler(loadSampleEvent('create-repository-default-mutable.json'));
    // Assess
    expect(callCounts()).toEqual({ describe: 1, put: 1, tags: 0 });
    expect(ecrMock).toHaveReceivedCommandWith(PutImageTagMutabilityCommand, {
      registryId: '123456789012',
      repositoryName: 'payments/api',
      imageTagMutability: 'IMMUTABLE',
    });
    expect(summary.counts.remediated).toBe(1);
    expect(summary.records).toEqual([
      {
        outcome: 'remediated',
        repositoryName: 'payments/api',
        repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/payments/api',
        registryId: '123456789012',
        accountId: '123456789012',
        region: 'eu-west-1',
        before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
        after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
        trigger: 'event',
        dryRun: false,
        reason: expect.stringContaining('MUTABLE allows tags to be overwritten'),
        eventId: '0f3a6b1e-5c1d-4a9e-9d3b-7c2f1e8a4b01',
        eventName: 'CreateRepository',
        actor: 'arn:aws:sts::123456789012:assumed-role/PlatformAdmin/platform-admin',
        sourceIp: '198.51.100.23',
      },
    ]);
    expect(log.info).toHaveBeenCalledWith(
      'ecr-guard audit',
      expect.objectContaining({ outcome: 'remediated' }),
    );
    expect(addMetric).toHaveBeenCalledWith('Remediated', 'Count', 1);
  });

  it('costs exactly 1 describe for a repository that is already compliant', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/ledger', 'IMMUTABLE')] });
    const { handler } = setup();
    const summary = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 0, tags: 0 });
    expect(summary.counts.compliant).toBe(1);
  });

  it.each([
    'create-repository-immutable.json',
    'put-image-tag-mutability-immutable.json',
    'create-repository-failed.json',
    'delete-repository.json',
  ])('makes no AWS call for %s and records it as ignored', async (name) => {
    const { handler } = setup();
    const summary = await handler(loadSampleEvent(name));
    expect(callCounts()).toEqual({ describe: 0, put: 0, tags: 0 });
    expect(summary.counts.ignored).toBe(1);
    expect(summary.records[0]?.reason).toBeTruthy();
  });

  it.each(['create-repository-immutable.json', 'put-image-tag-mutability-immutable.json'])(
    'ignores %s with the target IMMUTABLE_WITH_EXCLUSION [latest, dev-*]: no loosening write',
    async (name) => {
      const { handler } = setup({
        TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION',
        EXCLUSION_FILTERS: 'latest,dev-*',
      });
      const summary = await handler(loadSampleEvent(name));
      expect(callCounts()).toEqual({ describe: 0, put: 0, tags: 0 });
      expect(summary.counts.ignored).toBe(1);
      expect(summary.records[0]?.reason).toContain('at least as strict as the target');
    },
  );

  it('leaves a repository found at IMMUTABLE compliant under the target IMMUTABLE_WITH_EXCLUSION', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/ledger', 'IMMUTABLE')] });
    const { handler } = setup({
      TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION',
      EXCLUSION_FILTERS: 'latest,dev-*',
    });
    const summary = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 0, tags: 0 });
    expect(summary.records[0]).toMatchObject({
      outcome: 'compliant',
      before: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
      after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
      reason: expect.stringContaining('rule at-least-as-strict'),
    });
  });

  it('changes nothing in dry-run and records would-remediate', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/ledger', 'MUTABLE')] });
    const { handler } = setup({ DRY_RUN: 'true' });
    const summary = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 0, tags: 0 });
    expect(summary.records[0]).toMatchObject({
      outcome: 'would-remediate',
      dryRun: true,
      after: { imageTagMutability: 'IMMUTABLE' },
    });
  });

  it('records gone when the repository was deleted before the describe', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(
      new RepositoryNotFoundException({
        message: "The repository with name 'payments/ledger' does not exist",
        $metadata: {},
      }),
    );
    const { handler } = setup();
    const summary = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 0, tags: 0 });
    expect(summary.counts.gone).toBe(1);
  });

  it('inspects a repository that ECR created itself', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('ecr-public/docker/library/nginx', 'MUTABLE')] });
    ecrMock.on(PutImageTagMutabilityCommand).resolves({});
    const { handler } = setup();
    const summary = await handler(loadSampleEvent('service-event-create-repository.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 1, tags: 0 });
    expect(summary.records[0]).toMatchObject({ outcome: 'remediated', actor: 'ecr.amazonaws.com' });
  });

  it('lists tags only when tag exemptions are configured, and honours the exemption', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/ledger', 'MUTABLE')] });
    ecrMock
      .on(ListTagsForResourceCommand)
      .resolves({ tags: [{ Key: 'ecr-guard:exempt', Value: 'vendor mirror' }] });
    const { handler } = setup({ EXEMPT_TAG_KEY: 'ecr-guard:exempt' });
    const summary = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(callCounts()).toEqual({ describe: 1, put: 0, tags: 1 });
    expect(summary.records[0]).toMatchObject({
      outcome: 'exempt',
      reason: "rule exempt-tag: ecr-guard:exempt='vendor mirror'",
    });
  });

  it('rethrows throttling that outlasted the SDK retries, without a failed record', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { handler, log, addMetric } = setup();
    const error = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json')).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'AwsCallError', code: 'ThrottlingException', retryable: true });
    // No audit record at any level (a failed one is logged as an error) and nothing counted:
    // the redelivered event records its outcome once, when it finally ends.
    for (const level of [log.info, log.warn, log.error]) {
      expect(level).not.toHaveBeenCalledWith(AUDIT_MESSAGE, expect.anything());
    }
    expect(addMetric).not.toHaveBeenCalledWith('Failed', expect.anything(), expect.anything());
    expect(log.warn).toHaveBeenCalledWith(
      'transient error; rethrowing for redelivery',
      expect.objectContaining({ errorCode: 'ThrottlingException' }),
    );
  });

  it('records access denied as failed with the AWS code, counts it, and rethrows', async () => {
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [repository('payments/ledger', 'MUTABLE')] });
    ecrMock.on(PutImageTagMutabilityCommand).rejects(
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { handler, log, addMetric } = setup();
    const error = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AwsCallError);
    expect(log.error).toHaveBeenCalledWith(
      'ecr-guard audit',
      expect.objectContaining({ outcome: 'failed', errorCode: 'AccessDeniedException' }),
    );
    expect(addMetric).toHaveBeenCalledWith('Failed', 'Count', 1);
  });

  it('throws InvalidEventError for a malformed event and logs only the failing paths', async () => {
    const { handler, log } = setup();
    const error = await handler(loadSampleEvent('malformed-missing-repository-name.json')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(callCounts()).toEqual({ describe: 0, put: 0, tags: 0 });
    expect(log.error).toHaveBeenCalledTimes(1);
    const logged = JSON.stringify(log.error.mock.calls[0]);
    expect(logged).toContain('detail.requestParameters.repositoryName');
    expect(logged).not.toContain('ASIAEXAMPLEKEY123456');
  });
});
