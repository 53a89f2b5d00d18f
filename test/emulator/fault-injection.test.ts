import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  PutImageTagMutabilityCommand,
} from '@aws-sdk/client-ecr';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ecrClient, eventsClient, startTestEmulator, type TestEmulator } from './helpers.ts';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  await emulator.admin.reset();
  await emulator.admin.seed({ repositories: [{ name: 'subject' }] });
});

const describeSubject = () => new DescribeRepositoriesCommand({ repositoryNames: ['subject'] });

async function outcomes(count: number): Promise<string[]> {
  const results: string[] = [];
  for (let index = 0; index < count; index++) {
    try {
      await emulator.ecr.send(describeSubject());
      results.push('ok');
    } catch (error) {
      results.push(error instanceof Error ? error.name : 'unknown');
    }
  }
  return results;
}

describe('fault injection', () => {
  it('throttles every call with probability 1 as a 400 ThrottlingException', async () => {
    // Prepare
    await emulator.admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });

    // Act / Assess
    await expect(emulator.ecr.send(describeSubject())).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const stats = await emulator.admin.stats();
    expect(stats.operations.DescribeRepositories).toEqual({
      calls: 1,
      ok: 0,
      errors: { ThrottlingException: 1 },
    });
  });

  it('leaves other operations alone', async () => {
    await emulator.admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });
    await expect(
      emulator.ecr.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'subject', imageTagMutability: 'IMMUTABLE' }),
      ),
    ).resolves.toMatchObject({ imageTagMutability: 'IMMUTABLE' });
  });

  it('has the SDK retry injected throttling and server errors', async () => {
    // Prepare
    const retrying = ecrClient(emulator.url, { maxAttempts: 2 });
    await emulator.admin.faults({
      DescribeRepositories: { throttle: { probability: 1 } },
      PutImageTagMutability: { serverErrorProbability: 1 },
    });

    // Act
    const [throttled, failing] = await Promise.allSettled([
      retrying.send(describeSubject()),
      retrying.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'subject', imageTagMutability: 'IMMUTABLE' }),
      ),
    ]);

    // Assess
    expect(throttled).toMatchObject({
      status: 'rejected',
      reason: { name: 'ThrottlingException', $metadata: { attempts: 2 } },
    });
    expect(failing).toMatchObject({
      status: 'rejected',
      reason: {
        name: 'ServerException',
        $metadata: { httpStatusCode: 500, attempts: 2 },
      },
    });
    const stats = await emulator.admin.stats();
    expect(stats.operations.DescribeRepositories?.errors).toEqual({ ThrottlingException: 2 });
    expect(stats.operations.PutImageTagMutability?.errors).toEqual({ ServerException: 2 });
    retrying.destroy();
  });

  it('repeats the same outcomes for the same seed and differs for another', async () => {
    const configure = (seed: number) =>
      emulator.admin.faults({ seed, DescribeRepositories: { throttle: { probability: 0.5 } } });
    await configure(42);
    const first = await outcomes(24);
    await configure(42);
    const again = await outcomes(24);
    await configure(7);
    const other = await outcomes(24);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('ThrottlingException');
  });

  it('adds latency to the configured operation only', async () => {
    await emulator.admin.faults({ DescribeRepositories: { latencyMs: 150 } });
    const slowStart = performance.now();
    await emulator.ecr.send(describeSubject());
    const slowMs = performance.now() - slowStart;
    const fastStart = performance.now();
    await emulator.ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: 'subject', imageTagMutability: 'MUTABLE' }),
    );
    const fastMs = performance.now() - fastStart;
    expect(slowMs).toBeGreaterThanOrEqual(140);
    expect(fastMs).toBeLessThan(140);
  });

  it('applies "*" to every operation, with per-operation fields taking precedence', async () => {
    await emulator.admin.faults({
      '*': { serverErrorProbability: 1 },
      DescribeRepositories: { serverErrorProbability: 0 },
    });
    await expect(emulator.ecr.send(describeSubject())).resolves.toBeDefined();
    await expect(
      emulator.ecr.send(new CreateRepositoryCommand({ repositoryName: 'another' })),
    ).rejects.toMatchObject({ name: 'ServerException', $metadata: { httpStatusCode: 500 } });
  });

  it('answers injected EventBridge server faults with InternalException', async () => {
    const events = eventsClient(emulator.url);
    await emulator.admin.faults({ PutEvents: { serverErrorProbability: 1 } });
    await expect(
      events.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })),
    ).rejects.toMatchObject({ name: 'InternalException', $metadata: { httpStatusCode: 500 } });
    events.destroy();
  });

  it('clears faults with DELETE and with an empty configuration', async () => {
    await emulator.admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });
    await emulator.admin.clearFaults();
    await expect(emulator.ecr.send(describeSubject())).resolves.toBeDefined();
    await emulator.admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });
    await emulator.admin.faults({});
    await expect(emulator.ecr.send(describeSubject())).resolves.toBeDefined();
  });

  it('refuses a fault configuration with a typo, naming it', async () => {
    for (const [body, named] of [
      [{ DescribeRepository: { latencyMs: 5 } }, 'DescribeRepository'],
      [{ DescribeRepositories: { latencyMS: 5 } }, 'latencyMS'],
      [{ DescribeRepositories: { throttle: { probability: 2 } } }, 'probability'],
    ] as const) {
      const response = await fetch(`${emulator.url}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: expect.stringContaining(named) });
    }
  });
});

describe('token bucket throttling', () => {
  let clocked: TestEmulator;
  let now = 1_000_000;

  beforeAll(async () => {
    clocked = await startTestEmulator({ now: () => now });
  });

  afterAll(async () => {
    await clocked.stop();
  });

  it('allows a burst, throttles beyond it and refills at the configured rate', async () => {
    // Prepare
    await clocked.admin.seed({ repositories: [{ name: 'bucket' }] });
    await clocked.admin.faults({ PutImageTagMutability: { throttle: { tps: 5, burst: 5 } } });
    const put = async (): Promise<string> => {
      try {
        await clocked.ecr.send(
          new PutImageTagMutabilityCommand({ repositoryName: 'bucket', imageTagMutability: 'IMMUTABLE' }),
        );
        return 'ok';
      } catch (error) {
        return error instanceof Error ? error.name : 'unknown';
      }
    };
    const burst = async (count: number): Promise<string[]> => {
      const results: string[] = [];
      for (let index = 0; index < count; index++) results.push(await put());
      return results;
    };

    // Act
    const first = await burst(7);
    now += 400; // 0.4 s at 5 tps refills 2 tokens
    const second = await burst(3);

    // Assess
    expect(first).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ThrottlingException', 'ThrottlingException']);
    expect(second).toEqual(['ok', 'ok', 'ThrottlingException']);
  });
});

describe('visibility delay', () => {
  let clocked: TestEmulator;
  let now = 5_000_000;

  beforeAll(async () => {
    clocked = await startTestEmulator({ now: () => now, visibilityDelayMs: 1000 });
  });

  afterAll(async () => {
    await clocked.stop();
  });

  beforeEach(async () => {
    await clocked.admin.reset();
  });

  it('hides a new repository from DescribeRepositories until the delay has passed', async () => {
    // Prepare
    await clocked.ecr.send(new CreateRepositoryCommand({ repositoryName: 'fresh' }));

    // Act / Assess: invisible by name and in listings
    await expect(
      clocked.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['fresh'] })),
    ).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });
    await expect(clocked.ecr.send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({
      repositories: [],
    });
    await expect(
      clocked.ecr.send(new CreateRepositoryCommand({ repositoryName: 'fresh' })),
    ).rejects.toMatchObject({
      name: 'RepositoryAlreadyExistsException',
    });

    now += 1000;
    const { repositories } = await clocked.ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['fresh'] }),
    );
    expect(repositories?.[0]?.repositoryName).toBe('fresh');
  });

  it('shows seeded repositories at once', async () => {
    await clocked.admin.seed({ repositories: [{ name: 'seeded' }] });
    const { repositories } = await clocked.ecr.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.map((repository) => repository.repositoryName)).toEqual(['seeded']);
  });

  it('can be changed through the fault configuration', async () => {
    await clocked.admin.faults({ visibilityDelayMs: 0 });
    await clocked.ecr.send(new CreateRepositoryCommand({ repositoryName: 'instant' }));
    await expect(
      clocked.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['instant'] })),
    ).resolves.toBeDefined();
  });
});
