import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, DescribeRepositoryCreationTemplatesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrClient } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../emulator/cli.ts');

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'emulator-cli-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function waitFor(output: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match !== null) return match;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${pattern}; output so far:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('emulator CLI', () => {
  it('seeds from a file, prints the endpoint variables and stops on SIGTERM', async () => {
    // Prepare
    const seedFile = join(directory, 'seed.json');
    await writeFile(
      seedFile,
      JSON.stringify([
        { repositories: [{ name: 'from-file' }] },
        { generate: { count: 3 } },
        { templates: [{ prefix: 'ROOT' }] },
      ]),
    );

    // Act
    const { child, output } = run(['--port', '0', '--seed', seedFile]);
    const [, url] = await waitFor(output, /export AWS_ENDPOINT_URL_ECR=(http:\/\/127\.0\.0\.1:\d+)\n/);
    const client = ecrClient(url ?? '');
    const { repositories } = await client.send(new DescribeRepositoriesCommand({}));
    const { repositoryCreationTemplates } = await client.send(
      new DescribeRepositoryCreationTemplatesCommand({}),
    );
    client.destroy();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;

    // Assess
    expect(output()).toContain(`export AWS_ENDPOINT_URL_EVENTBRIDGE=${url}`);
    expect(repositories?.map((repository) => repository.repositoryName)).toEqual([
      'from-file',
      'repo-1',
      'repo-2',
      'repo-3',
    ]);
    expect(repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['ROOT']);
    expect(output()).toContain('seeded 1 new, 0 replaced templates in 123456789012/us-east-1 (total 1)');
    expect(code).toBe(0);
    expect(output()).toContain('ECR emulator stopped');
  });

  it('exits with code 2 and a message on a bad option', async () => {
    const { child, output } = run(['--port', 'eighty']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(output()).toContain('--port must be an integer');
  });
});
