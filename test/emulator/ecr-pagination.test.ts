import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  type DescribeRepositoriesCommandOutput,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ecrClient, startTestEmulator, type TestEmulator } from './helpers.ts';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({ accounts: { 'other-key': '210987654321' } });
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  await emulator.admin.reset();
});

function namesOf(output: DescribeRepositoriesCommandOutput): string[] {
  return (output.repositories ?? []).map((repository) => repository.repositoryName ?? '');
}

async function firstToken(maxResults = 10): Promise<string> {
  const { nextToken } = await emulator.ecr.send(new DescribeRepositoriesCommand({ maxResults }));
  if (nextToken === undefined) throw new Error('expected a nextToken');
  return nextToken;
}

describe('DescribeRepositories paging', () => {
  it('returns every one of 2,500 repositories exactly once in pages of 1,000', async () => {
    // Prepare
    await emulator.admin.seed({ generate: { count: 2500, prefix: 'paged' } });

    // Act
    const pageSizes: number[] = [];
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await emulator.ecr.send(new DescribeRepositoriesCommand({ maxResults: 1000, nextToken }));
      pageSizes.push(page.repositories?.length ?? 0);
      seen.push(...namesOf(page));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);

    // Assess
    expect(pageSizes).toEqual([1000, 1000, 500]);
    expect(new Set(seen).size).toBe(2500);
    expect(seen).toEqual([...seen].sort());
  });

  it("works with the SDK's own paginator", async () => {
    await emulator.admin.seed({ generate: { count: 1234, prefix: 'sdk' } });
    let total = 0;
    let pages = 0;
    for await (const page of paginateDescribeRepositories({ client: emulator.ecr, pageSize: 500 }, {})) {
      total += page.repositories?.length ?? 0;
      pages += 1;
    }
    expect({ total, pages }).toEqual({ total: 1234, pages: 3 });
  });

  it('stays stable while repositories are created and deleted between pages', async () => {
    // Prepare: 2,500 repositories; some will be deleted before and after the cursor passes them.
    await emulator.admin.seed({ generate: { count: 2500, prefix: 'stable' } });
    const all = Array.from({ length: 2500 }, (_, index) => `stable-${String(index + 1).padStart(4, '0')}`);
    const deleted = new Set<string>();
    const deletedUnseen = new Set<string>();

    // Act
    const seen: string[] = [];
    let nextToken: string | undefined;
    let round = 0;
    do {
      const page = await emulator.ecr.send(new DescribeRepositoriesCommand({ maxResults: 300, nextToken }));
      seen.push(...namesOf(page));
      nextToken = page.nextToken;
      round += 1;
      // Between pages: delete one behind and one ahead of the cursor, create one behind and one ahead.
      for (const victim of [all[round * 100], all[2499 - round * 7]]) {
        if (victim !== undefined && !deleted.has(victim)) {
          deleted.add(victim);
          if (!seen.includes(victim)) deletedUnseen.add(victim);
          await emulator.ecr.send(new DeleteRepositoryCommand({ repositoryName: victim }));
        }
      }
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: `aaa-early-${round}` }));
      await emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: `zzz-late-${round}` }));
    } while (nextToken !== undefined);

    // Assess
    const counts = new Map<string, number>();
    for (const name of seen) counts.set(name, (counts.get(name) ?? 0) + 1);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    const survivors = all.filter((name) => !deleted.has(name));
    for (const name of survivors) expect(counts.get(name), name).toBe(1);
    for (const name of deletedUnseen) expect(counts.has(name), name).toBe(false);
    expect(deletedUnseen.size).toBeGreaterThan(0);
    expect(seen.some((name) => name.startsWith('zzz-late-'))).toBe(true);
    expect(seen.some((name) => name.startsWith('aaa-early-'))).toBe(false);
  });
});

describe('page tokens', () => {
  beforeEach(async () => {
    await emulator.admin.seed({ generate: { count: 30, prefix: 'tok' } });
  });

  it('rejects a page token whose payload was altered', async () => {
    // Prepare: move the cursor back to the start by rewriting the payload but keeping the signature.
    const token = await firstToken();
    const [, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ a: '123456789012', r: 'us-east-1', n: '' })).toString(
      'base64url',
    );

    // Act / Assess
    for (const nextToken of [`${forged}.${signature}`, `${token}x`, 'not-a-token', `${token}.extra`]) {
      await expect(emulator.ecr.send(new DescribeRepositoriesCommand({ nextToken }))).rejects.toMatchObject({
        name: 'InvalidParameterException',
        message: expect.stringContaining('nextToken'),
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it('rejects a page token from another region', async () => {
    const token = await firstToken();
    const west = ecrClient(emulator.url, { region: 'eu-west-1' });
    await expect(west.send(new DescribeRepositoriesCommand({ nextToken: token }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    west.destroy();
  });

  it('rejects a page token from another account', async () => {
    const token = await firstToken();
    const other = ecrClient(emulator.url, { accessKeyId: 'other-key' });
    await expect(other.send(new DescribeRepositoriesCommand({ nextToken: token }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    other.destroy();
  });

  it('rejects a page token from another emulator instance', async () => {
    const token = await firstToken();
    const { stop, ecr } = await startTestEmulator();
    await expect(ecr.send(new DescribeRepositoriesCommand({ nextToken: token }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await stop();
  });

  it('resumes after the last returned name even when that repository was deleted', async () => {
    const first = await emulator.ecr.send(new DescribeRepositoriesCommand({ maxResults: 10 }));
    const last = namesOf(first).at(-1) ?? '';
    await emulator.ecr.send(new DeleteRepositoryCommand({ repositoryName: last }));
    const second = await emulator.ecr.send(
      new DescribeRepositoriesCommand({ maxResults: 10, nextToken: first.nextToken }),
    );
    expect(namesOf(second)[0]).toBe('tok-11');
  });
});

describe('a registry of 100,000 repositories', () => {
  it('seeds 100,000 repositories and serves a 1,000-repository page from the middle quickly', async () => {
    // Prepare
    const seedStart = performance.now();
    const result = await emulator.admin.seed({
      generate: { count: 100_000, prefix: 'bulk', mutableEvery: 10 },
    });
    const seedMs = performance.now() - seedStart;
    const registry = emulator.emulator.state.store.registry('123456789012', 'us-east-1');
    const middle = registry.page('bulk-050000', 1, Date.now()).repositories[0]?.repositoryName;
    const token = emulator.emulator.state.tokens.encode({
      account: '123456789012',
      region: 'us-east-1',
      after: 'bulk-049999',
    });

    // Act
    await emulator.ecr.send(new DescribeRepositoriesCommand({ maxResults: 1000 })); // warm the connection
    const pageStart = performance.now();
    const page = await emulator.ecr.send(
      new DescribeRepositoriesCommand({ maxResults: 1000, nextToken: token }),
    );
    const pageMs = performance.now() - pageStart;
    const directStart = performance.now();
    registry.page('bulk-049999', 1000, Date.now());
    const directMs = performance.now() - directStart;
    console.info(
      `100k registry: seed ${seedMs.toFixed(0)} ms, 1000-repository page ${pageMs.toFixed(1)} ms over HTTP+SDK, ` +
        `${directMs.toFixed(2)} ms in the store`,
    );

    // Assess (timing is a sanity bound only; the benchmarks measure it properly)
    expect(result).toMatchObject({ created: 100_000, total: 100_000 });
    expect(middle).toBe('bulk-050001');
    expect(page.repositories).toHaveLength(1000);
    expect(page.repositories?.[0]?.repositoryName).toBe('bulk-050000');
    expect(page.repositories?.[0]?.imageTagMutability).toBe('MUTABLE');
    expect(page.repositories?.[1]?.imageTagMutability).toBe('IMMUTABLE');
    expect(page.nextToken).toEqual(expect.any(String));
    expect(pageMs).toBeLessThan(1000);
  });
});
