import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../lib/errors.ts';
import { EcrEventEnvelopeSchema, type EventInterpretation, interpretEvent } from '../../lib/events.ts';
import type { TargetSetting } from '../../lib/policy.ts';
import {
  field,
  itWithReferenceEvents,
  loadReferenceEvent,
  loadSampleEvent,
  referenceEventNames,
  sampleEventNames,
} from '../helpers/fixtures.ts';

const IMMUTABLE: TargetSetting = { mutability: 'IMMUTABLE', exclusionFilters: [] };

type Expected =
  | { kind: 'target'; repositoryName: string; requested: string | undefined; isCreation: boolean }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; path: string };

function outcomeOf(
  event: unknown,
  target: TargetSetting = IMMUTABLE,
): EventInterpretation | InvalidEventError {
  try {
    return interpretEvent(event, { target });
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
}

function assertExpected(result: EventInterpretation | InvalidEventError, expected: Expected): void {
  switch (expected.kind) {
    case 'target':
      expect(result).toMatchObject({
        kind: 'target',
        target: { repositoryName: expected.repositoryName, isCreation: expected.isCreation },
      });
      if (!(result instanceof InvalidEventError) && result.kind === 'target') {
        expect(result.target.requested?.mutability).toBe(expected.requested);
      }
      return;
    case 'ignored':
      expect(result).toMatchObject({ kind: 'ignored' });
      if (!(result instanceof InvalidEventError) && result.kind === 'ignored') {
        expect(result.reason).toContain(expected.reason);
      }
      return;
    case 'invalid':
      expect(result).toBeInstanceOf(InvalidEventError);
      if (result instanceof InvalidEventError) expect(result.issues.join('\n')).toContain(expected.path);
      return;
  }
}

const SAMPLES: Record<string, Expected> = {
  'create-repository-default-mutable.json': {
    kind: 'target',
    repositoryName: 'payments/api',
    requested: 'MUTABLE',
    isCreation: true,
  },
  'create-repository-mutable-with-tags.json': {
    kind: 'target',
    repositoryName: 'team-a/web',
    requested: 'MUTABLE',
    isCreation: true,
  },
  'create-repository-immutable.json': {
    kind: 'ignored',
    reason: 'requested IMMUTABLE, at least as strict as the target IMMUTABLE',
  },
  'put-image-tag-mutability-mutable.json': {
    kind: 'target',
    repositoryName: 'payments/ledger',
    requested: 'MUTABLE',
    isCreation: false,
  },
  'put-image-tag-mutability-mutable-with-exclusion.json': {
    kind: 'target',
    repositoryName: 'payments/ledger',
    requested: 'MUTABLE_WITH_EXCLUSION',
    isCreation: false,
  },
  'put-image-tag-mutability-immutable.json': {
    kind: 'ignored',
    reason: 'requested IMMUTABLE, at least as strict as the target IMMUTABLE',
  },
  'create-repository-failed.json': {
    kind: 'ignored',
    reason: 'failed with RepositoryAlreadyExistsException',
  },
  'delete-repository.json': { kind: 'ignored', reason: 'DeleteRepository' },
  'service-event-create-repository.json': {
    kind: 'target',
    repositoryName: 'ecr-public/docker/library/nginx',
    requested: undefined,
    isCreation: true,
  },
  'malformed-missing-repository-name.json': {
    kind: 'invalid',
    path: 'detail.requestParameters.repositoryName',
  },
};

/** Expected results for the real samples in ../shared/reference-events (see its SOURCES.md). */
const REFERENCE: Record<string, Expected> = {
  'createrepository-cloudtrail-docs-wrapped.json': {
    kind: 'target',
    repositoryName: 'testrepo',
    requested: 'MUTABLE',
    isCreation: true,
  },
  'createrepository-eventbridge-minimal-readme.json': {
    kind: 'target',
    repositoryName: 'my-new-repo',
    requested: 'MUTABLE',
    isCreation: true,
  },
  'putimage-cloudtrail-docs-wrapped.json': { kind: 'ignored', reason: 'PutImage' },
  'batchgetimage-cloudtrail-docs-wrapped.json': { kind: 'ignored', reason: 'BatchGetImage' },
  'policyexecutionevent-cloudtrail-docs-wrapped.json': { kind: 'ignored', reason: 'PolicyExecutionEvent' },
  'putimage-eventbridge-vlesierse-blog.json': { kind: 'ignored', reason: 'PutImage' },
  'ecr-image-action-push-eventbridge-docs.json': {
    kind: 'ignored',
    reason: "detail-type 'ECR Image Action'",
  },
  // Bare CloudTrail records are not EventBridge events: the envelope fields are missing.
  'createrepository-cloudtrail-docs.json': { kind: 'invalid', path: 'detail-type' },
  'putimage-cloudtrail-docs.json': { kind: 'invalid', path: 'detail-type' },
  'batchgetimage-cloudtrail-docs.json': { kind: 'invalid', path: 'detail-type' },
  'policyexecutionevent-cloudtrail-docs.json': { kind: 'invalid', path: 'detail-type' },
  'kms-creategrant-for-ecr-cloudtrail-docs.json': { kind: 'invalid', path: 'detail-type' },
};

describe('interpretEvent on the samples in events/', () => {
  it('has an expectation for every sample file', () => {
    expect(sampleEventNames()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(Object.entries(SAMPLES))('reads %s', (name, expected) => {
    assertExpected(outcomeOf(loadSampleEvent(name)), expected);
  });

  it('takes the actor, event id and source IP from the record', () => {
    const result = outcomeOf(loadSampleEvent('put-image-tag-mutability-mutable.json'));
    expect(result).toMatchObject({
      kind: 'target',
      target: {
        registryId: '123456789012',
        region: 'eu-west-1',
        context: {
          actor: 'arn:aws:sts::123456789012:assumed-role/DeveloperAccess/jdoe@example.com',
          eventId: '3c4d5e6f-7a8b-4c3d-8e4f-5a6b7c8d9e04',
          sourceIp: '203.0.113.77',
          eventName: 'PutImageTagMutability',
        },
      },
    });
  });

  it('reads the requested exclusion filters', () => {
    const result = outcomeOf(loadSampleEvent('put-image-tag-mutability-mutable-with-exclusion.json'));
    expect(result).toMatchObject({ target: { requested: { exclusionFilters: ['release-*'] } } });
  });

  it('ignores an IMMUTABLE request when the target has exclusions: acting could only loosen it', () => {
    const target: TargetSetting = { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] };
    const result = outcomeOf(loadSampleEvent('create-repository-immutable.json'), target);
    expect(result).toMatchObject({ kind: 'ignored' });
    if (!(result instanceof InvalidEventError) && result.kind === 'ignored') {
      expect(result.reason).toContain(
        'requested IMMUTABLE, at least as strict as the target IMMUTABLE_WITH_EXCLUSION [latest]',
      );
    }
  });

  it.each([
    ['IMMUTABLE', [], [], 'ignored'],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-*', 'latest'], [], 'ignored'],
    ['IMMUTABLE_WITH_EXCLUSION', ['dev-1*'], [], 'ignored'],
    ['IMMUTABLE_WITH_EXCLUSION', ['pr-7'], ['pr-*'], 'ignored'],
    ['IMMUTABLE_WITH_EXCLUSION', ['*'], [], 'target'],
    ['IMMUTABLE_WITH_EXCLUSION', ['pr-7'], [], 'target'],
    ['MUTABLE', [], ['*'], 'target'],
    ['MUTABLE_WITH_EXCLUSION', ['latest'], ['*'], 'target'],
  ] as const)(
    'with target [dev-*, latest] reads a request for %s %j (allowed %j) as %s',
    (mutability, filters, allowed, kind) => {
      // Prepare
      const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
      const request = field(event, 'detail', 'requestParameters') as Record<string, unknown>;
      request.imageTagMutability = mutability;
      request.imageTagMutabilityExclusionFilters = filters.map((filter) => ({
        filter,
        filterType: 'WILDCARD',
      }));
      const policy = {
        target: { mutability: 'IMMUTABLE_WITH_EXCLUSION' as const, exclusionFilters: ['latest', 'dev-*'] },
        allowedExclusions: [...allowed],
      };
      // Act
      const result = interpretEvent(event, policy);
      // Assess
      expect(result.kind).toBe(kind);
    },
  );

  it('ignores a request for another account registry and names both accounts', () => {
    // Prepare
    const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
    const request = field(event, 'detail', 'requestParameters') as Record<string, unknown>;
    request.registryId = '999999999999';
    // Act
    const result = outcomeOf(event);
    // Assess
    expect(result).toMatchObject({ kind: 'ignored' });
    if (!(result instanceof InvalidEventError) && result.kind === 'ignored') {
      expect(result.reason).toContain('registry 999999999999');
    }
  });

  it.each([
    [
      'detail.requestParameters.repositoryName',
      (e: Record<string, unknown>) => {
        (field(e, 'detail', 'requestParameters') as Record<string, unknown>).repositoryName = 'UPPER/Case';
      },
    ],
    [
      'detail.eventName',
      (e: Record<string, unknown>) => {
        (e.detail as Record<string, unknown>).eventName = 42;
      },
    ],
    [
      'detail.requestParameters',
      (e: Record<string, unknown>) => {
        (e.detail as Record<string, unknown>).requestParameters = null;
      },
    ],
    [
      'account',
      (e: Record<string, unknown>) => {
        e.account = '12345';
      },
    ],
    [
      'time',
      (e: Record<string, unknown>) => {
        e.time = 'yesterday';
      },
    ],
  ])('rejects a malformed event naming %s', (path, mutate) => {
    const event = loadSampleEvent('create-repository-default-mutable.json');
    mutate(event);
    assertExpected(outcomeOf(event), { kind: 'invalid', path });
  });
});

describe('interpretEvent on the real samples in ../shared/reference-events', () => {
  itWithReferenceEvents('runs every reference sample through the parser', () => {
    const names = referenceEventNames();
    expect(names).toEqual(Object.keys(REFERENCE).sort());
    for (const name of names) {
      const expected = REFERENCE[name];
      if (expected === undefined) throw new Error(`no expectation for ${name}`);
      assertExpected(outcomeOf(loadReferenceEvent(name)), expected);
    }
  });

  it('accepts every envelope that Powertools EventBridgeSchema accepts', () => {
    const events = [
      ...sampleEventNames().map(loadSampleEvent),
      ...referenceEventNames().map(loadReferenceEvent),
    ];
    for (const event of events) {
      if (EventBridgeSchema.safeParse(event).success) {
        expect(EcrEventEnvelopeSchema.safeParse(event).success).toBe(true);
      }
    }
  });
});

describe('interpretEvent under fuzzing', () => {
  const base = loadSampleEvent('create-repository-default-mutable.json');

  it('returns a decision or an InvalidEventError for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = outcomeOf(value);
        expect(
          result instanceof InvalidEventError || result.kind === 'ignored' || result.kind === 'target',
        ).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('returns a decision or an InvalidEventError when any detail field is replaced', () => {
    const detailKeys = Object.keys(base.detail as Record<string, unknown>);
    fc.assert(
      fc.property(fc.constantFrom(...detailKeys), fc.jsonValue(), (key, value) => {
        const event = structuredClone(base);
        (event.detail as Record<string, unknown>)[key] = value;
        const result = outcomeOf(event);
        if (!(result instanceof InvalidEventError) && result.kind === 'target') {
          expect(result.target.repositoryName).toMatch(/^[a-z0-9]/);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not let prototype-pollution keys through', () => {
    const event = JSON.parse(
      '{"__proto__":{"polluted":true},"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ecr","account":"123456789012","time":"2026-11-29T10:00:00Z","region":"eu-west-1","detail":{"__proto__":{"eventName":"CreateRepository"},"eventSource":"ecr.amazonaws.com","eventName":"CreateRepository","requestParameters":{"repositoryName":"ok-repo","constructor":{"prototype":{"x":1}}}}}',
    );
    const result = outcomeOf(event);
    expect(result).toMatchObject({ kind: 'target', target: { repositoryName: 'ok-repo' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('interpretEvent with over-long audit-only fields', () => {
  it.each([
    [
      'sourceIPAddress',
      256,
      (detail: Record<string, unknown>, value: string) => Object.assign(detail, { sourceIPAddress: value }),
    ],
    [
      'userIdentity.arn',
      2048,
      (detail: Record<string, unknown>, value: string) =>
        Object.assign(detail, { userIdentity: { type: 'AssumedRole', arn: value } }),
    ],
  ])('truncates %s to %i characters and still enforces the change', (_field, max, set) => {
    const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
    const value = 'x'.repeat(100_000);
    set(event.detail as Record<string, unknown>, value);

    const result = outcomeOf(event);

    expect(result).toMatchObject({ kind: 'target', target: { requested: { mutability: 'MUTABLE' } } });
    const context =
      result instanceof InvalidEventError || result.kind !== 'target' ? undefined : result.target.context;
    const kept = _field === 'sourceIPAddress' ? context?.sourceIp : context?.actor;
    expect(kept).toHaveLength(max);
    expect(kept?.endsWith('…')).toBe(true);
  });

  it.each([
    ['sourceIPAddress', 256, 'sourceIp'],
    ['userIdentity.arn', 2048, 'actor'],
  ] as const)('keeps %s of exactly %i characters as it is', (path, max, key) => {
    const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
    const detail = event.detail as Record<string, unknown>;
    const value = 'x'.repeat(max);
    if (path === 'sourceIPAddress') detail.sourceIPAddress = value;
    else detail.userIdentity = { type: 'AssumedRole', arn: value };
    expect(outcomeOf(event)).toMatchObject({ kind: 'target', target: { context: { [key]: value } } });
  });
});

describe('interpretEvent: what it leaves alone, and why', () => {
  const put = () => loadSampleEvent('put-image-tag-mutability-mutable.json');
  const detailOf = (event: Record<string, unknown>) => event.detail as Record<string, unknown>;

  it.each([
    [
      'an event of another service',
      (event: Record<string, unknown>) => Object.assign(event, { source: 'aws.s3' }),
      "source 'aws.s3' is not aws.ecr",
    ],
    [
      'an ECR event that is not a CloudTrail record',
      (event: Record<string, unknown>) => Object.assign(event, { 'detail-type': 'ECR Image Action' }),
      "detail-type 'ECR Image Action' is not a CloudTrail event we handle",
    ],
    [
      'a record of another service’s API',
      (event: Record<string, unknown>) =>
        Object.assign(detailOf(event), { eventSource: 'kms.amazonaws.com' }),
      "eventSource 'kms.amazonaws.com' is not ecr.amazonaws.com",
    ],
    [
      'a push that ECR accepted',
      (event: Record<string, unknown>) =>
        Object.assign(detailOf(event), {
          eventName: 'PutImage',
          requestParameters: { repositoryName: 'payments/ledger', imageTag: 'v1' },
        }),
      'event PutImage (AWS API Call via CloudTrail) needs no action',
    ],
  ])('ignores %s, saying so', (_case, change, reason) => {
    const event = put();
    change(event);
    expect(interpretEvent(event, { target: IMMUTABLE })).toMatchObject({ kind: 'ignored', reason });
  });
});

describe('interpretEvent: which field a bad event gets wrong', () => {
  const withDetail = (sample: string, change: (detail: Record<string, unknown>) => void) => {
    const event = loadSampleEvent(sample);
    change(event.detail as Record<string, unknown>);
    return event;
  };
  const blockedPush = (requestParameters: unknown) =>
    withDetail('put-image-tag-mutability-mutable.json', (detail) =>
      Object.assign(detail, {
        eventName: 'PutImage',
        errorCode: 'ImageTagAlreadyExistsException',
        requestParameters,
      }),
    );

  it.each([
    [
      'an envelope without detail-type',
      () => {
        const { 'detail-type': _omitted, ...event } = loadSampleEvent(
          'create-repository-default-mutable.json',
        );
        return event;
      },
      /^detail-type: /,
    ],
    [
      'a creation in an account that is not an account id',
      () => ({ ...loadSampleEvent('create-repository-default-mutable.json'), account: 'abc' }),
      /^account: must be a 12-digit account id$/,
    ],
    [
      'a refused push in an account that is not an account id',
      () => ({ ...blockedPush({ repositoryName: 'payments/ledger', imageTag: 'v1' }), account: 'abc' }),
      /^account: must be a 12-digit account id$/,
    ],
    [
      'a refused push without a repository name',
      () => blockedPush({ imageTag: 'v1' }),
      /^detail\.requestParameters\.repositoryName: /,
    ],
    [
      'a service-created repository without its name',
      () =>
        withDetail('service-event-create-repository.json', (detail) =>
          Object.assign(detail, { serviceEventDetails: {} }),
        ),
      /^detail\.serviceEventDetails\.repositoryName: /,
    ],
    [
      'a PutImageTagMutability that does not say which setting',
      () =>
        withDetail('put-image-tag-mutability-mutable.json', (detail) => {
          delete (detail.requestParameters as Record<string, unknown>).imageTagMutability;
        }),
      /^detail\.requestParameters\.imageTagMutability: required for PutImageTagMutability$/,
    ],
  ])('names the field of %s', (_case, build, issue) => {
    const result = outcomeOf(build());
    expect(result).toBeInstanceOf(InvalidEventError);
    expect(result instanceof InvalidEventError ? result.issues : []).toEqual([expect.stringMatching(issue)]);
  });

  it('keeps the schema’s own error as the cause of an invalid event', () => {
    const result = outcomeOf(loadSampleEvent('malformed-missing-repository-name.json'));
    expect(result instanceof InvalidEventError ? result.cause : undefined).toMatchObject({
      issues: [expect.objectContaining({ path: ['repositoryName'] })],
    });
  });
});
