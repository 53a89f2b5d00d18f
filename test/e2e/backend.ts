/**
 * The ECR implementation end-to-end tests run against: the embedded emulator (default, started
 * on a free loopback port by the test itself) or, when E2E_ECR_ENDPOINT is set (npm run test:moto),
 * another implementation such as moto's server. Either way the code under test reaches it through a
 * recording pass-through (./recorder.ts), so call counts and audit events are checked on both. A test
 * that needs what only the emulator has (fault injection, creation templates) is declared with
 * {@link itOnEmulator}: a visible skip against another implementation.
 */
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  type ImageTagMutability,
  PutImageTagMutabilityCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { it } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { type OperationOutcomes, type PutEventsEntry, startRecorder } from './recorder.ts';

export const E2E_REGION = 'eu-west-1';
export const E2E_ACCOUNT = '123456789012';

export interface SeedSpec {
  readonly name: string;
  readonly mutability?: ImageTagMutability;
  readonly exclusionFilters?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface Backend {
  readonly kind: 'emulator' | 'external';
  /** Where the code under test sends its ECR and EventBridge calls (the recording pass-through). */
  readonly url: string;
  /** The emulator's control client; undefined against another implementation. */
  readonly admin: AdminClient | undefined;
  /** ECR of {@link E2E_REGION}, for the tests' own calls (not counted). */
  readonly ecr: ECRClient;
  /** Removes every repository (and, on the emulator, stats, events and faults). */
  reset(): Promise<void>;
  /** Creates the repositories in `region` ({@link E2E_REGION} unless given). */
  seed(repositories: readonly SeedSpec[], region?: string): Promise<void>;
  /** name -> mutability (and filters) of `region` ({@link E2E_REGION} unless given), as DescribeRepositories reports it. */
  snapshot(region?: string): Promise<Map<string, { mutability: string; exclusionFilters: string[] }>>;
  /** Calls per operation the code under test made (through {@link Backend.url}) since the last reset. */
  calls(): Record<string, number>;
  /** How those calls ended, per operation (answered, or the error codes). */
  operations(): Record<string, OperationOutcomes>;
  /** EventBridge entries the code under test put, and the backend accepted, since the last reset. */
  events(): PutEventsEntry[];
  /** Creates a custom event bus, as a deployment does; the emulator's PutEvents sink accepts any bus. */
  createEventBus(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** True under `npm run test:moto`: the tests run against another implementation than the emulator. */
export const external = process.env.E2E_ECR_ENDPOINT !== undefined;

/**
 * `itOnEmulator(why)(name, test)`, for a test that needs what only the emulator has (faults, templates):
 * against another implementation it is a visible skip whose name says why, never an empty pass.
 */
export function itOnEmulator(why: string, timeout?: number) {
  return (name: string, test: () => Promise<void>): void =>
    it.skipIf(external)(external ? `${name} (skipped: needs the emulator's ${why})` : name, test, timeout);
}

/**
 * `itInEmulatorRun(why)(name, test)`, for a long test whose subject is not the backend (it runs the same
 * against either): `npm test` runs it; under `npm run test:moto` it is a visible skip whose name says why.
 */
export function itInEmulatorRun(why: string, timeout?: number) {
  return (name: string, test: () => Promise<void>): void =>
    it.skipIf(external)(external ? `${name} (skipped: ${why})` : name, test, timeout);
}

/** The emulator's control client, for tests declared with {@link itOnEmulator}. */
export function adminOf(backend: Pick<Backend, 'admin' | 'url'>): AdminClient {
  if (backend.admin === undefined) throw new Error(`${backend.url} is not the emulator: no control API`);
  return backend.admin;
}

/** Environment that points the unmodified SDK inside the bundles at this backend. */
export function bundleEnv(backend: Backend, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECR: backend.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: backend.url,
    // The CLI asks STS whose account it acts on (GetCallerIdentity, once per run); no test reaches AWS.
    AWS_ENDPOINT_URL_STS: backend.url,
    AWS_REGION: E2E_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extra,
  };
}

async function describeAll(ecr: ECRClient) {
  const all: { name: string; mutability: string; exclusionFilters: string[] }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 1000, nextToken }));
    for (const repository of page.repositories ?? []) {
      all.push({
        name: repository.repositoryName ?? '',
        mutability: repository.imageTagMutability ?? 'MUTABLE',
        exclusionFilters: (repository.imageTagMutabilityExclusionFilters ?? []).map(
          (entry) => entry.filter ?? '',
        ),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/** A seed spec as the emulator's seed route takes it. */
export function emulatorRepository(repository: SeedSpec) {
  return {
    name: repository.name,
    imageTagMutability: repository.mutability ?? 'MUTABLE',
    ...exclusionFiltersOf(repository),
    ...(repository.tags ? { tags: repository.tags } : {}),
  };
}

/**
 * Creates the repositories through ECR's own API (CreateRepository, then TagResource for tags), a few at
 * once: how a test seeds an implementation that has no seed route.
 */
export function createRepositories(ecr: ECRClient, repositories: readonly SeedSpec[]): Promise<void> {
  return forEachAtOnce(repositories, async (repository) => {
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: repository.name,
        imageTagMutability: repository.mutability ?? 'MUTABLE',
        ...exclusionFiltersOf(repository),
      }),
    );
    const arn = created.repository?.repositoryArn;
    if (repository.tags && arn) {
      await ecr.send(
        new TagResourceCommand({
          resourceArn: arn,
          tags: Object.entries(repository.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
  });
}

/** Calls a test's own set-up makes at once. */
const SETUP_CONCURRENCY = 8;

/** `act` on every item, {@link SETUP_CONCURRENCY} at a time. */
async function forEachAtOnce<T>(items: readonly T[], act: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await act(item);
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_CONCURRENCY, items.length) }, worker));
}

/** The spec's filters in ECR's wire shape, or nothing. */
function exclusionFiltersOf(repository: SeedSpec) {
  return repository.exclusionFilters
    ? {
        imageTagMutabilityExclusionFilters: repository.exclusionFilters.map((filter) => ({
          filter,
          filterType: 'WILDCARD' as const,
        })),
      }
    : {};
}

export async function startBackend(): Promise<Backend> {
  const endpoint = process.env.E2E_ECR_ENDPOINT;
  const emulator: RunningEmulator | undefined =
    endpoint === undefined ? await startEmulator({ port: 0 }) : undefined;
  const target = endpoint ?? emulator?.url ?? '';
  const admin = emulator === undefined ? undefined : emulatorAdmin(target);
  const recorder = await startRecorder(target);
  // The tests' own calls (seeding, snapshots) go straight to the backend: only the code under test is counted.
  const clients = new Map<string, ECRClient>();
  const ecrIn = (region: string) => {
    const client =
      clients.get(region) ??
      new ECRClient({
        region,
        endpoint: target,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
    clients.set(region, client);
    return client;
  };
  const ecr = ecrIn(E2E_REGION);

  return {
    kind: emulator === undefined ? 'external' : 'emulator',
    url: recorder.url,
    admin,
    ecr,
    async reset() {
      recorder.clear();
      if (admin !== undefined) {
        await admin.reset();
        return;
      }
      // Every region a test seeded (each has its client).
      for (const client of clients.values()) {
        await forEachAtOnce(await describeAll(client), async ({ name }) => {
          await client.send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
        });
      }
    },
    async seed(repositories, region = E2E_REGION) {
      if (admin !== undefined) {
        await admin.seed({ region, repositories: repositories.map(emulatorRepository) });
        return;
      }
      await createRepositories(ecrIn(region), repositories);
    },
    async snapshot(region = E2E_REGION) {
      return new Map((await describeAll(ecrIn(region))).map(({ name, ...setting }) => [name, setting]));
    },
    calls: () => recorder.calls(),
    operations: () => recorder.operations(),
    events: () => recorder.events(),
    async createEventBus(name) {
      if (admin !== undefined) return;
      const eventBridge = new EventBridgeClient({
        region: E2E_REGION,
        endpoint: target,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      try {
        await eventBridge.send(new CreateEventBusCommand({ Name: name }));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
      } finally {
        eventBridge.destroy();
      }
    },
    async stop() {
      for (const client of clients.values()) client.destroy();
      await recorder.stop();
      await emulator?.stop();
    },
  };
}

/** Sets a repository's mutability through the API (used to simulate drift). */
export async function setMutability(
  backend: Backend,
  name: string,
  mutability: ImageTagMutability,
): Promise<void> {
  await backend.ecr.send(
    new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: mutability }),
  );
}
