/**
 * Bounded waits, through the built CLI (dist/bin/ecr-guard.mjs): an endpoint that accepts connections and
 * never answers fails each call once, after the one call time limit (`--call-timeout`, 60 s by default),
 * naming the endpoint and the limit, with exit 1; a listing whose source repeats a page token fails instead
 * of looping forever (lib/call-limits.ts, lib/pagination.ts; docs/architecture.md, "Bounded waits"). The
 * CLI asks the backend (the emulator, or moto) who the caller is; its ECR endpoint is the loopback stand-in.
 */
import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runBuiltCliWithin } from '../helpers/cli.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { loopbackUrl, silentServer } from '../helpers/loopback.ts';
import { type Backend, itInEmulatorRun, startBackend } from './backend.ts';

const ACCOUNT = '123456789012';

/**
 * ECR's JSON protocol answering DescribeRepositories with one repository and a `nextToken` that comes back
 * every other page (`t1`, `t2`, `t1`, …): a paginator that trusts it never ends.
 */
async function loopingRegistry() {
  let pages = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      pages += 1;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          repositories: [
            {
              repositoryName: `loop/repo-${pages}`,
              repositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/loop/repo-${pages}`,
              registryId: ACCOUNT,
              imageTagMutability: 'IMMUTABLE',
            },
          ],
          nextToken: pages % 2 === 1 ? 't1' : 't2',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: loopbackUrl(server),
    pages: () => pages,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('bounded waits of the built CLI', () => {
  let backend: Backend;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const env = (ecr: string) => ({
    AWS_ENDPOINT_URL_ECR: ecr,
    // The caller's account comes from the backend's STS; only ECR is the endpoint under test.
    AWS_ENDPOINT_URL_STS: backend.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  beforeAll(async () => {
    backend = await startBackend();
    silent = await silentServer();
  });
  afterAll(async () => {
    await silent?.stop();
    await backend?.stop();
  });

  it('fails a silent endpoint once per call after --call-timeout, naming the endpoint and the limit, in every region at once, exit 1', async () => {
    const result = await runBuiltCliWithin(
      [
        'check',
        'payments/api',
        '--call-timeout',
        '2000',
        '--region',
        'eu-west-1',
        '--region',
        'us-east-1',
        '--json',
      ],
      env(silent.url),
      60_000,
    );

    expect(result.killed).toBe(false);
    expect(result.code).toBe(1);
    const failed = jsonLines(result.stdout).filter((line) => line.outcome === 'failed');
    expect(failed).toHaveLength(2);
    for (const line of failed) {
      expect(line).toMatchObject({ errorCode: 'CallTimeoutError' });
      expect(line.reason).toContain(
        `no answer from ${silent.url}/ within 2 s, the call time limit (--call-timeout)`,
      );
    }
    // Both regions wait at once; nothing above the SDK retries the call again.
    expect(result.ms).toBeLessThan(10_000);
  }, 70_000);

  it('names SDK_CALL_TIMEOUT_MS when the limit came from the environment', async () => {
    const result = await runBuiltCliWithin(
      ['sweep', '--dry-run', '--json'],
      { ...env(silent.url), SDK_CALL_TIMEOUT_MS: '1500' },
      60_000,
    );
    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout)).toContainEqual(
      expect.objectContaining({
        type: 'summary',
        status: 'failed',
        errorCode: 'CallTimeoutError',
        reason: expect.stringContaining('within 1.5 s, the call time limit (SDK_CALL_TIMEOUT_MS)'),
      }),
    );
    expect(result.ms).toBeLessThan(10_000);
  }, 70_000);

  itInEmulatorRun(
    'waits out the 60 s default against the silent stand-in, which no backend changes; npm test runs it',
    130_000,
  )('fails a silent endpoint within 60 s by default', async () => {
    const result = await runBuiltCliWithin(['check', 'payments/api', '--json'], env(silent.url), 120_000);
    expect(result.killed).toBe(false);
    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout)).toContainEqual(
      expect.objectContaining({ outcome: 'failed', errorCode: 'CallTimeoutError' }),
    );
    expect(result.ms).toBeGreaterThanOrEqual(59_000);
    expect(result.ms).toBeLessThan(68_000);
  });

  it('fails a listing whose source repeats its page token instead of looping forever, exit 1', async () => {
    const registry = await loopingRegistry();
    try {
      const result = await runBuiltCliWithin(['sweep', '--dry-run', '--json'], env(registry.url), 30_000);

      expect(result.killed).toBe(false);
      expect(result.code).toBe(1);
      expect(jsonLines(result.stdout)).toContainEqual(
        expect.objectContaining({
          type: 'summary',
          status: 'failed',
          errorCode: 'RepeatedPageTokenError',
          reason: expect.stringContaining('ECR DescribeRepositories repeated a page token'),
        }),
      );
      // t1, t2, then t1 again: the third page ends the listing.
      expect(registry.pages()).toBe(3);
    } finally {
      await registry.stop();
    }
  }, 40_000);
});

describe('bounded waits of the built functions', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const env = () => ({
    AWS_ENDPOINT_URL_ECR: silent.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });

  beforeAll(async () => {
    silent = await silentServer();
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => silent.stop());

  it('the sweep counts a repository it could not reach failed and returns before its deadline', async () => {
    const sweep = await loadBundle('sweep', env());
    const started = Date.now();

    const summary = await sweep({ repositoryNames: ['payments/api'] }, fakeContext(5_000));

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(summary).toMatchObject({ scanned: 1, counts: { failed: 1 } });
  }, 30_000);

  it('the guardrail fails a call it could not make before its deadline, for Lambda to retry the event', async () => {
    const guardrail = await loadBundle('guardrail', env());
    const started = Date.now();

    const error = await guardrail(
      loadSampleEvent('create-repository-default-mutable.json'),
      fakeContext(5_000),
    ).catch((caught: unknown) => caught);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'CallTimeoutError', retryable: true });
  }, 30_000);
});
