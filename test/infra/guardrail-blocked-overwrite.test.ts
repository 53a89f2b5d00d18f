/**
 * The guardrail rule's blocked-overwrite branch, against the shape of the documented PutImage
 * reference event: the push refused with ImageTagAlreadyExistsException is delivered; the
 * successful push and pushes failed for another reason are not.
 */
import { describe, expect } from 'vitest';
import { guardrailEventPattern, type TargetMutability } from '../../infra/guardrail-event-pattern.ts';
import { itWithReferenceEvents, loadReferenceEvent } from '../helpers/fixtures.ts';
import { matchesEventPattern } from './event-pattern.ts';

function pushEvent(errorCode: string | undefined) {
  const event = loadReferenceEvent('putimage-cloudtrail-docs-wrapped.json');
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null) throw new Error('reference event has no detail');
  if (errorCode !== undefined)
    Object.assign(detail, { errorCode, errorMessage: 'refused', responseElements: null });
  return event;
}

describe.each(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'] satisfies TargetMutability[])(
  'the guardrail rule with target %s',
  () => {
    // The pattern no longer depends on the target; the cases stay per target as the deployment sees them.
    const pattern = guardrailEventPattern();

    itWithReferenceEvents('delivers a PutImage refused with ImageTagAlreadyExistsException', () => {
      expect(matchesEventPattern(pattern, pushEvent('ImageTagAlreadyExistsException'))).toBe(true);
    });

    itWithReferenceEvents('does not deliver a successful PutImage', () => {
      expect(matchesEventPattern(pattern, pushEvent(undefined))).toBe(false);
    });

    itWithReferenceEvents('does not deliver a PutImage failed for another reason', () => {
      for (const code of ['LayersNotFoundException', 'AccessDenied', 'ImageAlreadyExistsException']) {
        expect(matchesEventPattern(pattern, pushEvent(code)), code).toBe(false);
      }
    });

    itWithReferenceEvents('does not deliver another ECR call failed with the same code', () => {
      const event = pushEvent('ImageTagAlreadyExistsException');
      Object.assign(event.detail as object, { eventName: 'BatchDeleteImage' });
      expect(matchesEventPattern(pattern, event)).toBe(false);
    });
  },
);
