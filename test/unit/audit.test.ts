import { describe, expect, it } from 'vitest';
import {
  blockedOverwriteRecord,
  exclusionSetRecord,
  exemptionStagedRecord,
  failedRecord,
  goneRecord,
  ignoredRecord,
  type RecordScope,
  repositoryRecord,
  templateFailedRecord,
  templateRecord,
  templatesUnlistedRecord,
} from '../../lib/audit.ts';
import { AwsCallError, CallTimeoutError } from '../../lib/errors.ts';
import type { EventContext } from '../../lib/events.ts';
import type { RepositoryFacts, TemplateFacts } from '../../lib/policy.ts';

const SCOPE: RecordScope = { trigger: 'sweep', dryRun: false, region: 'eu-west-1' };
const FACTS: RepositoryFacts = {
  repositoryName: 'app',
  repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/app',
  registryId: '123456789012',
  setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] },
};
/** FACTS' setting as records write it: filters sorted. */
const FACTS_SETTING = {
  imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
  exclusionFilters: ['dev-*', 'latest'],
};
const TEMPLATE: TemplateFacts = {
  prefix: 'team-a',
  registryId: '123456789012',
  setting: { mutability: 'MUTABLE', exclusionFilters: [] },
};
const CONTEXT: EventContext = {
  eventId: 'event-1',
  eventName: 'PutImageTagMutability',
  actor: 'arn:aws:iam::123456789012:role/dev',
  sourceIp: '192.0.2.1',
  account: '123456789012',
  region: 'eu-west-1',
};

describe('audit record builders', () => {
  it('blockedOverwriteRecord names the tag, the error and the event, with no setting and no ARN', () => {
    const overwrite = {
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'app',
      imageTag: 'latest',
      errorCode: 'ImageTagAlreadyExistsException',
    };
    expect(blockedOverwriteRecord(overwrite, { trigger: 'event', dryRun: false }, CONTEXT)).toEqual({
      outcome: 'blocked-overwrite',
      repositoryName: 'app',
      repositoryArn: undefined,
      registryId: '123456789012',
      region: 'eu-west-1',
      before: undefined,
      after: undefined,
      trigger: 'event',
      dryRun: false,
      reason: "push to tag 'latest' refused with ImageTagAlreadyExistsException: the tag is immutable",
      eventId: 'event-1',
      eventName: 'PutImageTagMutability',
      actor: 'arn:aws:iam::123456789012:role/dev',
      sourceIp: '192.0.2.1',
      errorCode: 'ImageTagAlreadyExistsException',
      imageTag: 'latest',
    });
  });

  it('blockedOverwriteRecord says "a tag" when the event named none', () => {
    const overwrite = {
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'app',
      imageTag: undefined,
      errorCode: 'ImageTagAlreadyExistsException',
    };
    expect(blockedOverwriteRecord(overwrite, { trigger: 'event', dryRun: false }, CONTEXT)).toMatchObject({
      reason: 'push to a tag refused with ImageTagAlreadyExistsException: the tag is immutable',
      imageTag: undefined,
    });
  });

  it('exemptionStagedRecord keeps the setting unchanged (before = after) and the given reason', () => {
    const record = exemptionStagedRecord(FACTS, "staged exemption k='v' e='2027-01-31'", SCOPE);
    expect(record).toMatchObject({
      outcome: 'exemption-staged',
      reason: "staged exemption k='v' e='2027-01-31'",
    });
    expect(record.after).toEqual(record.before);
    expect(record.before).toEqual(FACTS_SETTING);
  });

  it('repositoryRecord writes settings with sorted filters, and after = before unless given', () => {
    expect(repositoryRecord(FACTS, 'compliant', 'ok', SCOPE)).toEqual({
      outcome: 'compliant',
      repositoryName: 'app',
      repositoryArn: FACTS.repositoryArn,
      registryId: '123456789012',
      region: 'eu-west-1',
      before: FACTS_SETTING,
      after: FACTS_SETTING,
      trigger: 'sweep',
      dryRun: false,
      reason: 'ok',
    });
  });

  it('goneRecord has no settings and carries the event fields when given a context', () => {
    expect(goneRecord(FACTS, 'deleted', { ...SCOPE, trigger: 'event' }, CONTEXT)).toMatchObject({
      outcome: 'gone',
      repositoryArn: undefined,
      before: undefined,
      after: undefined,
      eventId: 'event-1',
      eventName: 'PutImageTagMutability',
      actor: CONTEXT.actor,
      sourceIp: '192.0.2.1',
    });
  });

  it.each([
    [
      new AwsCallError('ecr', 'PutImageTagMutability', 'AccessDeniedException', false),
      'PutImageTagMutability failed with AccessDeniedException',
      'AccessDeniedException',
    ],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'failed with ECONNRESET', 'ECONNRESET'],
  ])('failedRecord names the operation and the code of %s', (error, reason, errorCode) => {
    expect(failedRecord({ repositoryName: 'app', registryId: undefined }, error, SCOPE)).toMatchObject({
      outcome: 'failed',
      reason,
      errorCode,
      before: undefined,
    });
  });

  it('failedRecord names no operation for a call to another service than ECR (the account was not reached)', () => {
    const denied = new AwsCallError('sts', 'AssumeRole', 'AccessDenied', false);
    expect(failedRecord({ repositoryName: 'app', registryId: '123456789012' }, denied, SCOPE)).toMatchObject({
      reason: 'failed with AccessDenied',
      errorCode: 'AccessDenied',
    });
  });

  it('failedRecord adds what a call that got no answer says: the endpoint and the limit', () => {
    const timeout = new CallTimeoutError(
      'no answer from https://api.ecr.eu-west-1.amazonaws.com within 5000 ms',
      'https://api.ecr.eu-west-1.amazonaws.com',
      5000,
    );
    const error = new AwsCallError('ecr', 'DescribeRepositories', 'CallTimeoutError', true, {
      cause: timeout,
    });
    expect(failedRecord(FACTS, error, SCOPE, CONTEXT)).toEqual({
      outcome: 'failed',
      repositoryName: 'app',
      repositoryArn: FACTS.repositoryArn,
      registryId: '123456789012',
      region: 'eu-west-1',
      before: FACTS_SETTING,
      after: FACTS_SETTING,
      trigger: 'sweep',
      dryRun: false,
      reason:
        'DescribeRepositories failed with CallTimeoutError: no answer from https://api.ecr.eu-west-1.amazonaws.com within 5000 ms',
      errorCode: 'CallTimeoutError',
      eventId: 'event-1',
      eventName: 'PutImageTagMutability',
      actor: CONTEXT.actor,
      sourceIp: '192.0.2.1',
    });
  });

  it('ignoredRecord is an event record naming a repository only when given one', () => {
    const unnamed = ignoredRecord(
      { registryId: '123456789012', region: 'eu-west-1' },
      'not handled',
      { dryRun: true },
      {},
    );
    expect(unnamed).toMatchObject({
      outcome: 'ignored',
      trigger: 'event',
      dryRun: true,
      repositoryName: undefined,
    });
    const named = ignoredRecord(
      { repositoryName: 'app', registryId: '210987654321', region: 'us-east-1' },
      'not this deployment',
      { dryRun: false },
      CONTEXT,
    );
    expect(named).toMatchObject({
      repositoryName: 'app',
      registryId: '210987654321',
      region: 'us-east-1',
      eventId: 'event-1',
    });
  });

  it('template records name the prefix, never a repository', () => {
    expect(
      templateRecord(TEMPLATE, 'would-remediate', 'dry-run: x', SCOPE, {
        after: { mutability: 'IMMUTABLE', exclusionFilters: [] },
      }),
    ).toMatchObject({
      templatePrefix: 'team-a',
      repositoryName: undefined,
      before: { imageTagMutability: 'MUTABLE' },
      after: { imageTagMutability: 'IMMUTABLE' },
    });
    const throttled = new AwsCallError(
      'ecr',
      'UpdateRepositoryCreationTemplate',
      'ThrottlingException',
      true,
    );
    expect(templateFailedRecord(TEMPLATE, throttled, SCOPE)).toMatchObject({
      outcome: 'failed',
      templatePrefix: 'team-a',
      reason: 'UpdateRepositoryCreationTemplate failed with ThrottlingException',
      errorCode: 'ThrottlingException',
    });
    const denied = new AwsCallError(
      'ecr',
      'DescribeRepositoryCreationTemplates',
      'AccessDeniedException',
      false,
    );
    expect(templatesUnlistedRecord('123456789012', denied, SCOPE)).toMatchObject({
      errorCode: 'AccessDeniedException',
      outcome: 'failed',
      templatePrefix: '*',
      reason: 'DescribeRepositoryCreationTemplates failed with AccessDeniedException',
    });
  });

  it('a template record carries errorCode only when given one', () => {
    const compliant = templateRecord(TEMPLATE, 'compliant', 'ok', SCOPE);
    expect(compliant).not.toHaveProperty('errorCode');
    expect(templateRecord(TEMPLATE, 'failed', 'x', SCOPE, { errorCode: 'Boom' })).toHaveProperty(
      'errorCode',
      'Boom',
    );
  });

  it('exclusionSetRecord is remediated, with after as ECR answered the write', () => {
    const after = { mutability: 'IMMUTABLE_WITH_EXCLUSION' as const, exclusionFilters: ['release-*'] };
    expect(exclusionSetRecord(FACTS, after, "kept 'release-1' mutable", SCOPE)).toMatchObject({
      outcome: 'remediated',
      reason: "kept 'release-1' mutable",
      before: FACTS_SETTING,
      after: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['release-*'] },
    });
  });
});
