/**
 * A configuration error at start-up, through the built bundles as Lambda loads them: one JSON line
 * naming the variable (not the minified source Node prints for an uncaught throw at module scope),
 * then every invocation fails with that error instead of the init failing again and again.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/child-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';

/** Imports the bundle in a fresh Node with `env`, invokes its handler twice, prints each outcome. */
function loadInChild(bundle: string, env: Record<string, string>) {
  const url = pathToFileURL(path.join(projectRoot, 'dist', bundle, 'index.mjs')).href;
  const script = `
    const { handler } = await import(${JSON.stringify(url)});
    for (let i = 0; i < 2; i += 1) {
      try { await handler({}, {}); console.log(JSON.stringify({ invocation: 'succeeded' })); }
      catch (error) { console.log(JSON.stringify({ invocation: 'failed', name: error.name, message: error.message })); }
    }`;
  return runNode(['--input-type=module', '-e', script], {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  });
}

describe.each(['guardrail', 'sweep'])('dist/%s/index.mjs with a bad configuration', (bundle) => {
  it('logs one JSON line naming the variable, then fails each invocation with it', async () => {
    const result = await loadInChild(bundle, { SWEEP_CONCURRENCY: '100' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.length).toBeLessThan(2_000);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'ecr-guard configuration error',
        variable: 'SWEEP_CONCURRENCY',
        error: { name: 'ConfigError', message: 'SWEEP_CONCURRENCY: must be an integer from 1 to 64' },
      }),
      {
        invocation: 'failed',
        name: 'ConfigError',
        message: 'SWEEP_CONCURRENCY: must be an integer from 1 to 64',
      },
      {
        invocation: 'failed',
        name: 'ConfigError',
        message: 'SWEEP_CONCURRENCY: must be an integer from 1 to 64',
      },
    ]);
  });
});
