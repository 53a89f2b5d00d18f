/**
 * The synthesized guardrail rule pattern, evaluated against every sample event in events/ and
 * every AWS-sourced sample in ../shared/reference-events: exactly the expected events match.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  API_CALL_DETAIL_TYPE,
  guardrailEventPattern,
  SERVICE_EVENT_DETAIL_TYPE,
  type TargetMutability,
} from '../../infra/guardrail-event-pattern.ts';
import {
  field,
  itWithReferenceEvents,
  loadSampleEvent,
  referenceEventNames,
  referenceEventsDir,
  sampleEventNames,
} from '../helpers/fixtures.ts';
import { matchesEventPattern } from './event-pattern.ts';
import { findResource, synthesize } from './helpers.ts';

/** Every file of events/, classified: does the rule deliver it to the guardrail, per target? */
const SAMPLE_EVENTS: Record<
  string,
  { readonly immutable: boolean; readonly withExclusion: boolean; readonly why: string }
> = {
  'create-repository-default-mutable.json': {
    immutable: true,
    withExclusion: true,
    why: 'no setting requested: ECR makes it MUTABLE',
  },
  'create-repository-mutable-with-tags.json': {
    immutable: true,
    withExclusion: true,
    why: 'asks for MUTABLE',
  },
  'create-repository-immutable.json': {
    immutable: false,
    withExclusion: false,
    why: 'asks for IMMUTABLE, at least as strict as any target',
  },
  'put-image-tag-mutability-mutable.json': { immutable: true, withExclusion: true, why: 'sets MUTABLE' },
  'put-image-tag-mutability-mutable-with-exclusion.json': {
    immutable: true,
    withExclusion: true,
    why: 'sets MUTABLE_WITH_EXCLUSION',
  },
  'put-image-tag-mutability-immutable.json': {
    immutable: false,
    withExclusion: false,
    why: 'sets IMMUTABLE (our own write with that target): at least as strict as any target',
  },
  'create-repository-failed.json': { immutable: false, withExclusion: false, why: 'failed call (errorCode)' },
  'delete-repository.json': { immutable: false, withExclusion: false, why: 'not an event we handle' },
  'service-event-create-repository.json': {
    immutable: true,
    withExclusion: true,
    why: 'ECR created it from a template',
  },
  'malformed-missing-repository-name.json': {
    immutable: true,
    withExclusion: true,
    why: 'the rule cannot validate names: the handler rejects it with InvalidEventError',
  },
};

/** AWS-sourced samples (see ../shared/reference-events/SOURCES.md): only the wrapped CreateRepository ones match. */
const REFERENCE_EVENTS: Record<string, boolean> = {
  'batchgetimage-cloudtrail-docs-wrapped.json': false,
  'batchgetimage-cloudtrail-docs.json': false,
  'createrepository-cloudtrail-docs-wrapped.json': true,
  'createrepository-cloudtrail-docs.json': false,
  'createrepository-eventbridge-minimal-readme.json': true,
  'ecr-image-action-push-eventbridge-docs.json': false,
  'kms-creategrant-for-ecr-cloudtrail-docs.json': false,
  'policyexecutionevent-cloudtrail-docs-wrapped.json': false,
  'policyexecutionevent-cloudtrail-docs.json': false,
  'putimage-cloudtrail-docs-wrapped.json': false,
  'putimage-cloudtrail-docs.json': false,
  'putimage-eventbridge-vlesierse-blog.json': false,
};

/** The pattern as synthesized into the template (not the builder's return value). */
function synthesizedPattern(target: TargetMutability): unknown {
  const { template } = synthesize(
    target === 'IMMUTABLE' ? {} : { targetMutability: target, exclusionFilters: ['latest', 'dev-*'] },
  );
  const [, rule] = findResource(template, 'AWS::Events::Rule', 'GuardGuardrailRule');
  return rule.EventPattern;
}

const patterns = {
  immutable: synthesizedPattern('IMMUTABLE'),
  withExclusion: synthesizedPattern('IMMUTABLE_WITH_EXCLUSION'),
};

describe('the guardrail rule pattern', () => {
  it('is the pattern the builder documents, for both targets', () => {
    expect(patterns.immutable).toEqual(guardrailEventPattern());
    expect(patterns.withExclusion).toEqual(guardrailEventPattern());
  });

  it('has one $or branch per case: other setting, default setting, created by ECR, overwrite blocked', () => {
    const pattern = guardrailEventPattern();
    expect(pattern.source).toEqual(['aws.ecr']);
    expect(pattern.$or.map((branch) => branch['detail-type'])).toEqual([
      [API_CALL_DETAIL_TYPE],
      [API_CALL_DETAIL_TYPE],
      [SERVICE_EVENT_DETAIL_TYPE],
      [API_CALL_DETAIL_TYPE],
    ]);
    // The blocked-overwrite branch (the last) is tested in guardrail-blocked-overwrite.test.ts.
    for (const branch of pattern.$or.slice(0, 3)) {
      expect(branch.detail.eventSource).toEqual(['ecr.amazonaws.com']);
      expect(branch.detail.errorCode).toEqual([{ exists: false }]);
    }
    expect(pattern.$or[0]?.detail.requestParameters).toEqual({
      imageTagMutability: [{ 'anything-but': ['IMMUTABLE'] }],
    });
    expect(pattern.$or[1]?.detail).toMatchObject({
      eventName: ['CreateRepository'],
      requestParameters: { imageTagMutability: [{ exists: false }] },
    });
    expect(pattern.$or[2]?.detail.eventName).toEqual(['CreateRepository']);
  });

  it('classifies every file in events/ (add new samples to the table)', () => {
    const unclassified = sampleEventNames().filter((name) => !Object.hasOwn(SAMPLE_EVENTS, name));
    expect(unclassified, 'sample events without an expected rule result').toEqual([]);
    const missing = Object.keys(SAMPLE_EVENTS).filter((name) => !sampleEventNames().includes(name));
    expect(missing, 'table entries without a file in events/').toEqual([]);
  });

  it.each(Object.entries(SAMPLE_EVENTS))('delivers %s as expected (%o)', (name, expected) => {
    const event = loadSampleEvent(name);
    expect(matchesEventPattern(patterns.immutable, event), `target IMMUTABLE: ${expected.why}`).toBe(
      expected.immutable,
    );
    expect(
      matchesEventPattern(patterns.withExclusion, event),
      `target IMMUTABLE_WITH_EXCLUSION: ${expected.why}`,
    ).toBe(expected.withExclusion);
  });

  it('never delivers a write to IMMUTABLE, whatever the target', () => {
    for (const name of ['put-image-tag-mutability-immutable.json', 'create-repository-immutable.json']) {
      const event = loadSampleEvent(name);
      expect(matchesEventPattern(patterns.immutable, event), name).toBe(false);
      expect(matchesEventPattern(patterns.withExclusion, event), name).toBe(false);
    }
  });

  it('delivers a write to IMMUTABLE_WITH_EXCLUSION for the handler to compare its filters', () => {
    const event = loadSampleEvent('put-image-tag-mutability-immutable.json');
    const request = field(event, 'detail', 'requestParameters') as Record<string, unknown>;
    request.imageTagMutability = 'IMMUTABLE_WITH_EXCLUSION';
    request.imageTagMutabilityExclusionFilters = [{ filter: '*', filterType: 'WILDCARD' }];
    expect(matchesEventPattern(patterns.immutable, event)).toBe(true);
    expect(matchesEventPattern(patterns.withExclusion, event)).toBe(true);
  });

  it('drops our own IMMUTABLE write but not a CreateRepository that omits the setting', () => {
    const ownWrite = loadSampleEvent('put-image-tag-mutability-immutable.json');
    const omitted = loadSampleEvent('create-repository-default-mutable.json');
    expect(matchesEventPattern(patterns.immutable, ownWrite)).toBe(false);
    expect(matchesEventPattern(patterns.immutable, omitted)).toBe(true);
  });

  it('still delivers a service-created repository when requestParameters is null or absent', () => {
    const event = loadSampleEvent('service-event-create-repository.json');
    expect(matchesEventPattern(patterns.immutable, event)).toBe(true);
    const detail = event.detail;
    if (typeof detail !== 'object' || detail === null) throw new Error('sample has no detail');
    const withoutParameters = {
      ...event,
      detail: Object.fromEntries(Object.entries(detail).filter(([k]) => k !== 'requestParameters')),
    };
    expect(matchesEventPattern(patterns.immutable, withoutParameters)).toBe(true);
  });

  itWithReferenceEvents('matches exactly the expected AWS reference events in ../shared', () => {
    const names = referenceEventNames();
    expect(
      names.filter((name) => !Object.hasOwn(REFERENCE_EVENTS, name)),
      'unclassified reference events',
    ).toEqual([]);
    const actual = Object.fromEntries(
      names.map((name) => {
        const event: unknown = JSON.parse(readFileSync(path.join(referenceEventsDir, name), 'utf8'));
        return [name, matchesEventPattern(patterns.immutable, event)];
      }),
    );
    expect(actual).toEqual(Object.fromEntries(names.map((name) => [name, REFERENCE_EVENTS[name]])));
  });
});
