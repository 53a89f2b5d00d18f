/**
 * A push ECR refused because the tag is immutable (CloudTrail PutImage with errorCode
 * ImageTagAlreadyExistsException) becomes a `blocked-overwrite` audit record, with its metric and
 * audit event, and no ECR call. The event is the documented PutImage record with the error added.
 */
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGuardrailHandler } from '../../functions/guardrail/handler.ts';
import { AUDIT_DETAIL_TYPES, auditDetailType, createAuditPublisher } from '../../lib/audit-events.ts';
import { createAuditor } from '../../lib/auditor.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { interpretEvent } from '../../lib/events.ts';
import { field, itWithReferenceEvents, type JsonObject, loadReferenceEvent } from '../helpers/fixtures.ts';
import { testConfig, testLogger, testMetrics } from '../helpers/runtime.ts';

const ecrMock = mockClient(ECRClient);
const ebMock = mockClient(EventBridgeClient);
const POLICY = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] } } as const;

/** The documented PutImage event as EventBridge delivers it, refused with `errorCode`. */
function refusedPush(errorCode = 'ImageTagAlreadyExistsException'): JsonObject {
  const event = loadReferenceEvent('putimage-cloudtrail-docs-wrapped.json');
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null) throw new Error('reference event has no detail');
  Object.assign(detail, {
    errorCode,
    errorMessage:
      "The image tag 'latest' already exists in the 'testrepo' repository and cannot be overwritten because the repository is immutable.",
    responseElements: null,
  });
  return event;
}

describe('reading a refused push', () => {
  itWithReferenceEvents(
    'reads a PutImage refused with ImageTagAlreadyExistsException as a blocked overwrite',
    () => {
      const result = interpretEvent(refusedPush(), POLICY);
      expect(result).toEqual({
        kind: 'blocked-overwrite',
        overwrite: {
          registryId: '123456789012',
          region: 'us-east-2',
          repositoryName: 'testrepo',
          imageTag: 'latest',
          errorCode: 'ImageTagAlreadyExistsException',
          context: expect.objectContaining({
            actor: 'arn:aws:sts::123456789012:user/Mary_Major',
            sourceIp: '203.0.113.12',
            eventName: 'PutImage',
            account: '123456789012',
            region: 'us-east-2',
          }),
        },
      });
    },
  );

  itWithReferenceEvents('ignores a PutImage that failed for another reason', () => {
    const result = interpretEvent(refusedPush('LayersNotFoundException'), POLICY);
    expect(result).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('LayersNotFoundException'),
    });
  });

  itWithReferenceEvents('ignores a successful PutImage: it needs no action', () => {
    const result = interpretEvent(loadReferenceEvent('putimage-cloudtrail-docs-wrapped.json'), POLICY);
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('needs no action') });
  });

  itWithReferenceEvents('ignores another call failed with the same code', () => {
    const event = refusedPush();
    Object.assign(event.detail as object, { eventName: 'PutImageTagMutability' });
    expect(interpretEvent(event, POLICY).kind).toBe('ignored');
  });

  itWithReferenceEvents('rejects a refused push whose repository name is malformed', () => {
    const event = refusedPush();
    Object.assign(field(event, 'detail', 'requestParameters') as object, { repositoryName: 'Bad Name' });
    expect(() => interpretEvent(event, POLICY)).toThrow(/detail\.requestParameters\.repositoryName/);
  });
});

describe('the guardrail on a refused push', () => {
  beforeEach(() => {
    ecrMock.reset();
    ebMock.reset();
  });

  itWithReferenceEvents(
    'records blocked-overwrite with tag, actor and source IP, counts OverwritesBlocked, publishes, calls no ECR',
    async () => {
      // Prepare
      ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
      const log = testLogger();
      const { metrics, addMetric } = testMetrics();
      const publisher = createAuditPublisher(new EventBridgeClient({ region: 'us-east-2' }), {
        eventBusName: 'audit',
        logger: log.logger,
      });
      const handler = createGuardrailHandler({
        config: testConfig(),
        ecr: createEcrAdapter(new ECRClient({ region: 'us-east-2' })),
        logger: log.logger,
        createAuditor: () =>
          createAuditor({ logger: log.logger, metrics, sinks: [publisher], logCompliant: false }),
      });
      // Act
      const summary = await handler(refusedPush());
      // Assess
      expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
      expect(summary.counts['blocked-overwrite']).toBe(1);
      expect(summary.records).toEqual([
        expect.objectContaining({
          outcome: 'blocked-overwrite',
          repositoryName: 'testrepo',
          registryId: '123456789012',
          region: 'us-east-2',
          imageTag: 'latest',
          actor: 'arn:aws:sts::123456789012:user/Mary_Major',
          sourceIp: '203.0.113.12',
          errorCode: 'ImageTagAlreadyExistsException',
          reason: "push to tag 'latest' refused with ImageTagAlreadyExistsException: the tag is immutable",
        }),
      ]);
      expect(addMetric).toHaveBeenCalledWith('OverwritesBlocked', 'Count', 1);
      const entries = ebMock
        .commandCalls(PutEventsCommand)
        .flatMap((call) => call.args[0].input.Entries ?? []);
      expect(entries.map((entry) => entry.DetailType)).toEqual([AUDIT_DETAIL_TYPES.blockedOverwrite]);
      expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
        outcome: 'blocked-overwrite',
        imageTag: 'latest',
      });
    },
  );
});

describe('audit event detail types of the new outcomes', () => {
  it.each([
    ['blocked-overwrite', 'ECR Image Tag Overwrite Blocked'],
    ['exemption-staged', 'ECR Repository Tag Mutability Exemption Staged'],
  ] as const)('publishes %s as %s', (outcome, detailType) => {
    expect(auditDetailType(outcome)).toBe(detailType);
  });
});
