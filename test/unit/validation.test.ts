/**
 * The shared zod/mini setup (lib/validation.ts): issues formatted with the path of the failing field and
 * an English message; JSON text read strictly (a saved file) or leniently (a field that may hold JSON).
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { InvalidInputError } from '../../lib/errors.ts';
import { formatIssues, jsonOrUndefined, parseJson } from '../../lib/validation.ts';

const Schema = z.object({
  account: z.object({ id: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id')) }),
  regions: z.array(z.string()),
});

function issuesOf(value: unknown, prefix?: readonly (string | number)[]): string[] {
  const result = Schema.safeParse(value);
  if (result.success) throw new Error('expected the value to fail');
  return formatIssues(result.error, prefix);
}

describe('formatIssues', () => {
  it('names the dotted path of each failing field, array indices included, with an English message', () => {
    expect(issuesOf({ account: { id: '12' }, regions: ['eu-west-1', 7] })).toEqual([
      'account.id: must be a 12-digit account id',
      'regions.1: Invalid input: expected string, received number',
    ]);
  });

  it('puts the prefix before each path', () => {
    expect(issuesOf({ account: { id: '12' }, regions: [] }, ['detail', 0])).toEqual([
      'detail.0.account.id: must be a 12-digit account id',
    ]);
  });

  it('names the input itself when the whole value fails and there is no prefix', () => {
    expect(issuesOf('text')).toEqual(['(input): Invalid input: expected object, received string']);
    expect(issuesOf('text', ['payload'])).toEqual([
      'payload: Invalid input: expected object, received string',
    ]);
  });

  it('writes a symbol key as its description', () => {
    const error = new z.core.$ZodError([
      { code: 'custom', path: ['tags', Symbol('owner')], message: 'must be set', input: undefined },
    ]);
    expect(formatIssues(error)).toEqual(['tags.Symbol(owner): must be set']);
  });
});

describe('parseJson', () => {
  it('returns the parsed value', () => {
    expect(parseJson('{"runs":[1,2]}', 'results/manifest.json')).toEqual({ runs: [1, 2] });
  });

  it('refuses text that is not JSON, naming where it came from and what the parser said', () => {
    const text = '{"runs":';
    const parserMessage = (() => {
      try {
        JSON.parse(text);
      } catch (error) {
        if (error instanceof Error) return error.message;
      }
      throw new Error('expected JSON.parse to refuse the text');
    })();
    expect(() => parseJson(text, 'results/manifest.json')).toThrow(InvalidInputError);
    expect(() => parseJson(text, 'results/manifest.json')).toThrow(
      `invalid input: results/manifest.json: not JSON (${parserMessage})`,
    );
  });
});

describe('jsonOrUndefined', () => {
  it.each([
    ['JSON text', '{"status":"SUCCEEDED"}', { status: 'SUCCEEDED' }],
    ['JSON null', 'null', null],
    ['text that is not JSON', 'SUCCEEDED', undefined],
    ['empty text', '', undefined],
    ['no text', undefined, undefined],
  ])('reads %s', (_case, text, value) => {
    expect(jsonOrUndefined(text)).toEqual(value);
  });
});
