import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.ts';
import { decodeCursor, encodeCursor, nameDigest, parseSweepInput } from '../../lib/sweep-input.ts';

describe('parseSweepInput', () => {
  it('treats a scheduled event as a full sweep', () => {
    const request = parseSweepInput(
      {
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        detail: {},
        account: '1',
        region: 'eu-west-1',
      },
      false,
    );
    expect(request).toMatchObject({ trigger: 'sweep', dryRun: false, repositoryNames: undefined });
  });

  it('never lets a payload turn off the deployment dry-run', () => {
    expect(parseSweepInput({ dryRun: false }, true).dryRun).toBe(true);
  });

  it.each([
    [{ dryrun: true }, 'dryrun'],
    [{ dryRun: 'yes' }, 'dryRun'],
    [{ repositoryNames: [] }, 'repositoryNames'],
    [{ repositoryNames: ['Bad Name'] }, 'repositoryNames.0'],
    [{ maxRepositories: 0 }, 'maxRepositories'],
    [{ nextToken: 'garbage' }, 'nextToken'],
    [
      {
        nextToken: encodeCursor({ mode: 'all', from: null, done: [], dryRun: false, trigger: 'sweep' }),
        repositoryNames: ['a1'],
      },
      'repositoryNames',
    ],
  ])('rejects %j naming %s', (input, path) => {
    expect(() => parseSweepInput(input, false)).toThrow(InvalidInputError);
    try {
      parseSweepInput(input, false);
    } catch (error) {
      expect((error as InvalidInputError).issues.join('\n')).toContain(path);
    }
  });

  it('round-trips a cursor, carrying dry-run and trigger', () => {
    const cursor = {
      mode: 'all' as const,
      from: 'tok',
      done: [nameDigest('a1'), nameDigest('b2')],
      dryRun: true,
      trigger: 'backfill' as const,
    };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(parseSweepInput({ nextToken: encodeCursor(cursor) }, false)).toMatchObject({
      dryRun: true,
      trigger: 'backfill',
    });
  });
});
