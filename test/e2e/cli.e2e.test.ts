/**
 * The built `ecr-guard` CLI (dist/bin/ecr-guard.mjs) as a user runs it, against the emulator on a free
 * loopback port or moto (./backend.ts): exit codes, named repositories that do not exist, `| head`,
 * Ctrl-C, unreachable endpoints and creation template failures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fixtures.ts';
import { adminOf, type Backend, E2E_ACCOUNT, E2E_REGION, itOnEmulator, startBackend } from './backend.ts';

const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
const REGION = E2E_REGION;
const ACCOUNT = E2E_ACCOUNT;

interface Run {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  readonly stdout: () => string;
}

function start(args: readonly string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

const run = (args: readonly string[], env: Record<string, string>) => start(args, env).done;

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the ecr-guard CLI as built', () => {
  let backend: Backend;
  const env = () => ({
    AWS_ENDPOINT_URL_ECR: backend.url,
    // The CLI asks STS whose account it acts on (GetCallerIdentity, once per run).
    AWS_ENDPOINT_URL_STS: backend.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => {
    await backend.reset();
    await backend.seed([
      { name: 'payments/api', mutability: 'MUTABLE' },
      { name: 'payments/ledger', mutability: 'IMMUTABLE' },
    ]);
  });
  afterAll(async () => backend?.stop());

  it('is an executable file with a node shebang', () => {
    expect(statSync(CLI).mode & 0o755).toBe(0o755);
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('exits 4 and names a repository that does not exist, even beside a compliant one', async () => {
    const result = await run(['check', 'payments/ledger', 'payments/apl', '--json'], env());

    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`ecr-guard: repository 'payments/apl' does not exist in ${REGION}`);
    expect(jsonLines(result.stdout)).toContainEqual(
      expect.objectContaining({ type: 'summary', missing: ['payments/apl'], scanned: 2 }),
    );
  });

  it('exits 4 from remediate on a missing name', async () => {
    expect((await run(['remediate', 'nope/nothing', '--json'], env())).code).toBe(4);
  });

  it('decides a name given twice once', async () => {
    const result = await run(['check', 'payments/api', 'payments/api', '--json'], env());

    expect(result.code).toBe(3);
    const lines = jsonLines(result.stdout);
    expect(lines.filter((line) => line.type === 'audit')).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ type: 'summary', scanned: 1 }));
  });

  itOnEmulator('fault injection')(
    'counts a failed creation template check in the summary and exits 1',
    async () => {
      await adminOf(backend).faults({ DescribeRepositoryCreationTemplates: { serverErrorProbability: 1 } });

      const result = await run(['sweep', '--check-templates', '--dry-run', '--json'], {
        ...env(),
        AWS_MAX_ATTEMPTS: '1',
      });

      expect(result.code).toBe(1);
      const summary = jsonLines(result.stdout).find((line) => line.type === 'summary');
      expect(summary).toMatchObject({
        status: 'failed',
        templateCounts: expect.objectContaining({ failed: 1 }),
      });
    },
  );

  itOnEmulator('fault injection')('keeps the registryId in failed records', async () => {
    await adminOf(backend).faults({ DescribeRepositories: { throttle: { probability: 1 } } });

    const result = await run(['check', 'payments/api', '--registry-id', ACCOUNT, '--json'], {
      ...env(),
      AWS_MAX_ATTEMPTS: '1',
    });

    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout)).toContainEqual(
      expect.objectContaining({ outcome: 'failed', registryId: ACCOUNT, errorCode: 'ThrottlingException' }),
    );
  });

  it('fails fast with EndpointConnectionError when nothing listens at the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = address !== null && typeof address === 'object' ? address.port : 1;
    const started = Date.now();

    const result = await run(['check', 'payments/api', '--json'], {
      ...env(),
      AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}`,
    });

    expect(result.code).toBe(1);
    expect(jsonLines(result.stdout)).toContainEqual(
      expect.objectContaining({ outcome: 'failed', errorCode: 'EndpointConnectionError' }),
    );
    // The CLI's 8 adaptive attempts would take 16 s and more; well under 5 s even with the sweep's retries.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends quietly when its reader closes the pipe (| head)', async () => {
    // A line per repository: far more than a pipe holds (64 KiB), so the CLI writes after the reader left.
    await backend.seed(Array.from({ length: 1_000 }, (_, index) => ({ name: `bulk-${index}` })));
    const cli = start(['sweep', '--dry-run', '--json'], env());
    cli.child.stdout?.once('data', () => cli.child.stdout?.destroy());

    const result = await cli.done;

    expect(result.code).toBe(141);
    expect(result.stderr).toBe('');
  });

  itOnEmulator('fault injection (latency, so that Ctrl-C lands mid-sweep)')(
    'prints the partial summary on Ctrl-C and exits 130',
    async () => {
      const admin = adminOf(backend);
      await admin.seed({ region: REGION, generate: { count: 400, prefix: 'slow' } });
      await admin.faults({ PutImageTagMutability: { latencyMs: 50 } });
      const cli = start(['sweep', '--json', '--concurrency', '1'], env());
      await until(() => cli.stdout().includes('"outcome":"remediated"'));

      cli.child.kill('SIGINT');
      const result = await cli.done;

      expect(result.code).toBe(130);
      const summary = jsonLines(result.stdout).find((line) => line.type === 'summary');
      expect(summary).toMatchObject({ interrupted: true, region: REGION });
      expect(summary?.scanned).toBeGreaterThan(0);
      expect(summary?.scanned).toBeLessThan(402);
    },
  );
});
