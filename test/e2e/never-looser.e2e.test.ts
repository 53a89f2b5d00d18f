/**
 * Never looser, tag by tag, through the built CLI (dist/bin/ecr-guard.mjs) against a real ECR
 * implementation (the emulator by default): a remediation keeps mutable only the tags that were mutable
 * before and that the target allows, for repositories and creation templates, and what the audit
 * record says was written is what ECR holds; a filter matching every tag is refused before any call
 * (docs/architecture.md, "Strictness").
 */
import path from 'node:path';
import { PutImageTagMutabilityCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runNode } from '../helpers/child-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { adminOf, type Backend, bundleEnv, E2E_REGION, itOnEmulator, startBackend } from './backend.ts';

function cli(args: readonly string[], env: Record<string, string>) {
  return runNode([path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs'), ...args], {
    PATH: process.env.PATH,
    ...env,
  });
}

const auditOf = (lines: Record<string, unknown>[], name: string) =>
  lines.find((line) => line.type === 'audit' && line.repositoryName === name);

const setting = (mutability: string, ...exclusionFilters: string[]) => ({ mutability, exclusionFilters });
const written = (imageTagMutability: string, ...exclusionFilters: string[]) => ({
  imageTagMutability,
  exclusionFilters,
});

describe('never looser, tag by tag, with the built CLI', () => {
  let backend: Backend;
  const target = (...filters: string[]) => [
    '--target',
    'IMMUTABLE_WITH_EXCLUSION',
    ...filters.flatMap((filter) => ['--exclusion-filter', filter]),
  ];

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => {
    await backend.reset();
  });
  afterAll(async () => {
    await backend.stop();
  });

  it('keeps every tag that was immutable immutable, and records what it wrote', async () => {
    // Prepare
    await backend.seed([
      { name: 'shop/mwe-latest', mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      { name: 'shop/iwe-dev', mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*'] },
      { name: 'shop/mutable', mutability: 'MUTABLE' },
      { name: 'shop/at-target', mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
    ]);

    // Act: target IMMUTABLE_WITH_EXCLUSION [latest].
    const swept = await cli(['sweep', '--json', ...target('latest')], bundleEnv(backend));

    // Assess: `latest` stays immutable where it was; `dev-*` tags keep their protection.
    expect(swept.stderr).toBe('');
    expect(swept.code).toBe(0);
    const after = await backend.snapshot();
    expect(after.get('shop/mwe-latest')).toEqual(setting('IMMUTABLE'));
    expect(after.get('shop/iwe-dev')).toEqual(setting('IMMUTABLE'));
    expect(after.get('shop/mutable')).toEqual(setting('IMMUTABLE_WITH_EXCLUSION', 'latest'));
    expect(after.get('shop/at-target')).toEqual(setting('IMMUTABLE_WITH_EXCLUSION', 'latest'));
    const lines = jsonLines(swept.stdout);
    expect(auditOf(lines, 'shop/mwe-latest')).toMatchObject({
      outcome: 'remediated',
      before: written('MUTABLE_WITH_EXCLUSION', 'latest'),
      after: written('IMMUTABLE'),
      reason: expect.stringContaining('writes IMMUTABLE: only tags mutable before and allowed stay mutable'),
    });
    expect(auditOf(lines, 'shop/iwe-dev')).toMatchObject({ after: written('IMMUTABLE') });
    expect(auditOf(lines, 'shop/mutable')).toMatchObject({
      after: written('IMMUTABLE_WITH_EXCLUSION', 'latest'),
    });

    // A narrower target narrows what was mutable, never widens it.
    await backend.ecr.send(
      new PutImageTagMutabilityCommand({
        repositoryName: 'shop/iwe-dev',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'dev-*', filterType: 'WILDCARD' }],
      }),
    );
    const narrower = await cli(['sweep', '--json', ...target('dev-1*')], bundleEnv(backend));
    expect(narrower.code).toBe(0);
    expect((await backend.snapshot()).get('shop/iwe-dev')).toEqual(
      setting('IMMUTABLE_WITH_EXCLUSION', 'dev-1*'),
    );
    expect(auditOf(jsonLines(narrower.stdout), 'shop/iwe-dev')).toMatchObject({
      after: written('IMMUTABLE_WITH_EXCLUSION', 'dev-1*'),
    });
  });

  itOnEmulator('repository creation templates')('writes a creation template by the same rule', async () => {
    const admin = adminOf(backend);
    await admin.seed({
      region: E2E_REGION,
      templates: [
        {
          prefix: 'ROOT',
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        },
      ],
    });

    const swept = await cli(
      ['sweep', '--check-templates', '--json', ...target('latest')],
      bundleEnv(backend),
    );

    expect(swept.code).toBe(0);
    const template = (await admin.templates({ region: E2E_REGION })).templates[0];
    expect(template).toMatchObject({ prefix: 'ROOT', imageTagMutability: 'IMMUTABLE' });
    expect(jsonLines(swept.stdout)).toContainEqual(
      expect.objectContaining({ type: 'audit', templatePrefix: 'ROOT', after: written('IMMUTABLE') }),
    );
  });

  it.each([
    [[...['--target', 'IMMUTABLE_WITH_EXCLUSION', '--exclusion-filter', '*']], '--exclusion-filter', '*'],
    [['--allowed-exclusion', 'latest', '--allowed-exclusion', '**'], '--allowed-exclusion', '**'],
  ])('refuses %j before any call: a filter matching every tag is MUTABLE', async (flags, flag, value) => {
    const before = await backend.calls();
    const result = await cli(['sweep', '--json', ...flags], bundleEnv(backend));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${flag}: '${value}' matches every tag`);
    expect(await backend.calls()).toEqual(before);
  });
});
