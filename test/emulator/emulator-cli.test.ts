import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
} from '@aws-sdk/client-ecr';
import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailClient, ecrClient, ecrClientWith, organizationsClient, stsClient } from './helpers.ts';

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

  it('seeds the organisation example of emulator/README.md, whose roles and registries then work', async () => {
    // Prepare: the README's example is the seed file, so the documentation cannot drift from the format.
    const readme = await readFile(join(import.meta.dirname, '../../emulator/README.md'), 'utf8');
    const example = /## Accounts, regions and the organisation seed[\s\S]*?```json\n([\s\S]*?)```/.exec(
      readme,
    )?.[1];
    expect(example).toBeDefined();
    const seedFile = join(directory, 'organization.json');
    await writeFile(seedFile, example ?? '');

    // Act
    const { child, output } = run(['--port', '0', '--seed', seedFile]);
    const [, url = ''] = await waitFor(output, /export AWS_ENDPOINT_URL_STS=(http:\/\/127\.0\.0\.1:\d+)\n/);
    const management = { accessKeyId: 'AKIAMANAGEMENT000001', secretAccessKey: 'x' };
    const sts = stsClient(url, management);
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::333333333333:role/EcrImmutabilityGuardMember',
        RoleSessionName: 'ecr-guard',
      }),
    );
    const member = ecrClientWith(
      url,
      {
        accessKeyId: Credentials?.AccessKeyId ?? '',
        secretAccessKey: Credentials?.SecretAccessKey ?? '',
        sessionToken: Credentials?.SessionToken ?? '',
      },
      'eu-west-1',
    );
    const { repositories = [] } = await member.send(new DescribeRepositoriesCommand({ maxResults: 1000 }));
    const organizations = organizationsClient(url, management);
    const { Accounts = [] } = await organizations.send(new ListAccountsCommand({}));
    for (const client of [sts, member, organizations]) client.destroy();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;

    // Assess
    expect(output()).toContain('organisation: 5 accounts, 2 OUs, 2 roles');
    expect(output()).toContain('seeded 500 new, 0 replaced in 333333333333/eu-west-1 (total 500)');
    expect(repositories).toHaveLength(500);
    expect(Credentials?.Expiration).toBeInstanceOf(Date);
    expect(Accounts.map((account) => account.State)).toEqual([
      'ACTIVE',
      'ACTIVE',
      'ACTIVE',
      'ACTIVE',
      'SUSPENDED',
    ]);
    expect(code).toBe(0);
  });

  it('exits with code 2 and a message on a bad option', async () => {
    const { child, output } = run(['--port', 'eighty']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(output()).toContain('--port must be an integer');
  });
});

describe('emulator CLI with a trail', () => {
  it('seeds the past pushes example of emulator/README.md, delivers them to --deliver-to and throttles LookupEvents with --lookup-throttle', async () => {
    // Prepare: the README's pushes example is the seed file; a loopback server receives the events.
    const readme = await readFile(join(import.meta.dirname, '../../emulator/README.md'), 'utf8');
    const example = /- Seeded past pushes[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const seedFile = join(directory, 'pushes.json');
    await writeFile(seedFile, example ?? '');
    const received: unknown[] = [];
    const target = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((listening) => target.listen(0, '127.0.0.1', listening));
    const address = target.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    // Act
    const { child, output } = run([
      '--port',
      '0',
      '--seed',
      seedFile,
      '--deliver-to',
      `http://127.0.0.1:${port}/events`,
      '--lookup-throttle',
    ]);
    try {
      const [, url = ''] = await waitFor(
        output,
        /export AWS_ENDPOINT_URL_CLOUDTRAIL=(http:\/\/127\.0\.0\.1:\d+)\n/,
      );
      const ecr = ecrClient(url);
      const web = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web' }));
      ecr.destroy();
      const trail = cloudTrailClient(url);
      const outcomes: string[] = [];
      for (let index = 0; index < 3; index++) {
        outcomes.push(
          await trail.send(new LookupEventsCommand({})).then(
            () => 'ok',
            (error: unknown) => (error instanceof Error ? error.name : String(error)),
          ),
        );
      }
      trail.destroy();
      const deadline = Date.now() + 10_000;
      while (received.length < 4 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));

      // Assess
      expect(web.imageDetails?.map((image) => image.imageTags)).toEqual([undefined, ['latest']]);
      expect(outcomes).toEqual(['ok', 'ok', 'ThrottlingException']);
      expect(received).toHaveLength(4);
      expect(received).toContainEqual(
        expect.objectContaining({
          'detail-type': 'AWS API Call via CloudTrail',
          detail: expect.objectContaining({
            eventName: 'PutImage',
            errorCode: 'ImageTagAlreadyExistsException',
          }),
        }),
      );
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await new Promise<void>((closed) => target.close(() => closed()));
    }
  });
});
