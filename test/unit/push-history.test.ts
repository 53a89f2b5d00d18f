import { describe, expect, it } from 'vitest';
import { findMovedTags, groupPushes, parsePushRecord } from '../../lib/push-history.ts';
import { field, itWithReferenceEvents, loadReferenceEvent } from '../helpers/fixtures.ts';
import { push, pushedAt } from '../helpers/pushes.ts';

describe('reading CloudTrail PutImage records', () => {
  itWithReferenceEvents(
    'reads tag, digest, actor, source IP and time from the documented PutImage record',
    () => {
      // Prepare
      const record = loadReferenceEvent('putimage-cloudtrail-docs.json');
      // Act
      const parsed = parsePushRecord(JSON.stringify(record));
      // Assess
      expect(parsed).toEqual({
        repositoryName: 'testrepo',
        imageTag: 'latest',
        imageDigest: field(record, 'responseElements', 'image', 'imageId', 'imageDigest'),
        actor: 'arn:aws:sts::123456789012:user/Mary_Major',
        sourceIp: '203.0.113.12',
        registryId: '123456789012',
        region: 'us-east-2',
        eventTime: '2019-04-15T16:45:00Z',
        eventId: '2bfd4ee2-2178-4a82-a27d-b12939923f0f',
        errorCode: undefined,
      });
    },
  );

  itWithReferenceEvents('reads a refused push with its errorCode and no digest', () => {
    const record = loadReferenceEvent('putimage-cloudtrail-docs.json');
    record.errorCode = 'ImageTagAlreadyExistsException';
    record.responseElements = null;
    expect(parsePushRecord(record)).toMatchObject({
      imageTag: 'latest',
      imageDigest: undefined,
      errorCode: 'ImageTagAlreadyExistsException',
    });
  });

  it.each([
    ['text that is not JSON', '{not json'],
    [
      'another event',
      JSON.stringify({ eventName: 'DeleteRepository', eventTime: 'x', requestParameters: {} }),
    ],
    [
      'a PutImage without a repository',
      JSON.stringify({ eventName: 'PutImage', eventTime: 'x', requestParameters: {} }),
    ],
    ['null', null],
  ])('skips %s instead of guessing', (_name, value) => {
    expect(parsePushRecord(value)).toBeUndefined();
  });
});

describe('finding moved tags', () => {
  // Digests in push order (one push a minute): how many distinct, how many moves, the last push's minute.
  it.each([
    ['moved, how often, by whom last and when', ['a', 'b', 'a'], 2, 2],
    ['moved at each change of digest, not at each push', ['a', 'a', 'b', 'b', 'c'], 3, 2],
    ['moved once when each digest was pushed twice', ['a', 'a', 'b', 'b'], 2, 1],
  ])('says a tag pushed with more than one digest %s', (_name, digests, distinct, moves) => {
    const moved = findMovedTags(
      digests.map((digest, index) => push('latest', `sha256:${digest}`, index + 1)),
    );
    expect(moved).toEqual([
      {
        tag: 'latest',
        digests: distinct,
        moves,
        lastPusher: `arn:aws:iam::123456789012:role/ci-${digests.length}`,
        lastPushedAt: pushedAt(digests.length),
      },
    ]);
  });

  it.each([
    ['re-pushes of the same digest', [push('v1', 'sha256:a', 1), push('v1', 'sha256:a', 2)]],
    [
      'a failed push, even one whose record carries a digest',
      [push('v1', 'sha256:a', 1), push('v1', 'sha256:b', 2, { errorCode: 'ImageTagAlreadyExistsException' })],
    ],
    ['a push recorded without a digest', [push('v1', 'sha256:a', 1), push('v1', undefined, 2)]],
    ['pushes by digest only', [push(undefined, 'sha256:a', 1), push(undefined, 'sha256:b', 2)]],
  ])('finds no moved tag in %s', (_name, pushes) => {
    expect(findMovedTags(pushes)).toEqual([]);
  });

  it('orders by event time whatever order LookupEvents returned them in (newest first)', () => {
    const moved = findMovedTags([push('dev', 'sha256:b', 9), push('dev', 'sha256:a', 1)]);
    expect(moved[0]?.lastPusher).toBe('arn:aws:iam::123456789012:role/ci-9');
  });

  it.each([
    ['main', 'dev', 'prod'],
    ['prod', 'main', 'dev'],
    ['dev', 'prod', 'main'],
  ])('sorts the moved tags by name whatever order they were pushed in (%s, %s, %s)', (...tags) => {
    const pushes = tags.flatMap((tag, index) => [
      push(tag, 'sha256:a', 2 * index),
      push(tag, 'sha256:b', 2 * index + 1),
    ]);
    expect(findMovedTags(pushes).map((moved) => moved.tag)).toEqual(['dev', 'main', 'prod']);
  });
});

describe('grouping pushes by repository', () => {
  it('keeps each repository its own pushes, in the order read', () => {
    const first = push('v1', 'sha256:a', 1);
    const web = push('v1', 'sha256:c', 2, { repositoryName: 'team/web' });
    const second = push('v2', 'sha256:b', 3);
    expect(groupPushes([first, web, second])).toEqual(
      new Map([
        ['team/api', [first, second]],
        ['team/web', [web]],
      ]),
    );
  });
});
