import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.ts';
import {
  decodeCursor,
  encodeCursor,
  MAX_NAMES_JSON_CHARS,
  MAX_TOKEN_CHARS,
  nameDigest,
  parseSweepInput,
  type SweepCursor,
} from '../../lib/sweep-input.ts';

/** Valid repository names whose JSON array is exactly `length` characters long. */
function namesOfJsonLength(length: number): string[] {
  const names: string[] = [];
  // `[...names, '']`: the array with one more name, still empty; the last name takes what is left (≤ 256).
  while (length - JSON.stringify([...names, '']).length > 256) names.push('a'.repeat(200));
  names.push('b'.repeat(length - JSON.stringify([...names, '']).length));
  return names;
}

/** A full-sweep cursor whose token is exactly `length` characters (a multiple of 4: base64url of whole bytes). */
function cursorOfTokenLength(length: number): SweepCursor {
  const base = { mode: 'all' as const, done: [], dryRun: false, trigger: 'sweep' as const };
  const overhead = JSON.stringify({ v: 2, ...base, from: '' }).length;
  return { ...base, from: 'p'.repeat((length / 4) * 3 - overhead) };
}

/** The issues of the InvalidInputError that `parse` throws. */
function issuesOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues;
    throw error;
  }
  return expect.unreachable('accepted the input');
}

describe('parseSweepInput', () => {
  it.each(['aws.events', 'aws.scheduler'])('treats a scheduled event from %s as a full sweep', (source) => {
    const request = parseSweepInput(
      {
        source,
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

  it('takes the trigger the state machine passes, and only a sweep or a backfill', () => {
    expect(parseSweepInput({ trigger: 'sweep' }, false).trigger).toBe('sweep');
    expect(parseSweepInput({}, false).trigger).toBe('backfill');
    expect(issuesOf(() => parseSweepInput({ trigger: 'event' }, false))).toEqual([
      expect.stringMatching(/^trigger: /),
    ]);
  });

  it('lets a payload ask for a dry run of a deployment that writes', () => {
    expect(parseSweepInput({ dryRun: true }, false).dryRun).toBe(true);
    expect(parseSweepInput({ dryRun: false }, false).dryRun).toBe(false);
    expect(parseSweepInput({}, false).dryRun).toBe(false);
  });

  it('accepts given names up to the JSON size a resume token can carry, and says to split beyond it', () => {
    const largest = namesOfJsonLength(MAX_NAMES_JSON_CHARS);
    expect(JSON.stringify(largest)).toHaveLength(MAX_NAMES_JSON_CHARS);
    expect(parseSweepInput({ repositoryNames: largest }, false).repositoryNames).toEqual([
      ...new Set(largest),
    ]);
    const tooMany = namesOfJsonLength(MAX_NAMES_JSON_CHARS + 1);
    expect(issuesOf(() => parseSweepInput({ repositoryNames: tooMany }, false))).toEqual([
      expect.stringMatching(
        /^repositoryNames: must be at most 46000 characters as JSON .*split the backfill$/,
      ),
    ]);
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

describe('the resume token', () => {
  it(`is at most ${MAX_TOKEN_CHARS} characters: a cursor that would be longer is refused`, () => {
    expect(encodeCursor(cursorOfTokenLength(MAX_TOKEN_CHARS))).toHaveLength(MAX_TOKEN_CHARS);
    expect(() => encodeCursor(cursorOfTokenLength(MAX_TOKEN_CHARS + 4))).toThrow(
      new RangeError(`resume token of ${MAX_TOKEN_CHARS + 4} characters exceeds ${MAX_TOKEN_CHARS}`),
    );
  });

  it.each([
    ['not base64 JSON', 'garbage'],
    ['JSON that is not a cursor', Buffer.from(JSON.stringify({ v: 1, mode: 'all' })).toString('base64url')],
  ])('rejects %s as not a token of a previous sweep', (_case, token) => {
    expect(issuesOf(() => decodeCursor(token))).toEqual([
      'nextToken: not a token returned by a previous sweep',
    ]);
  });
});
