/**
 * Embedded AWS emulator: a loopback HTTP server speaking the ECR wire protocol (AWS JSON 1.1) for the
 * operations this project uses (repositories, their tags, images, repository creation templates), an
 * EventBridge PutEvents sink, STS AssumeRole/GetCallerIdentity, the Organizations list calls, CloudTrail
 * LookupEvents over a trail of every ECR call (optionally delivered as EventBridge events to a callback or a
 * loopback URL), a minimal path-style S3 (buckets and objects), Security Hub findings (GetFindings, BatchUpdateFindings,
 * BatchImportFindings, and ECR.2 control findings evaluated from the registries), and `/_emulator/*` control routes. Each service lives in its own folder over the shared `core/` (see emulator/README.md).
 *
 * ```ts
 * const emulator = await startEmulator();
 * const ecr = new ECRClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * // …
 * await emulator.stop();
 * ```
 */
import { createServer } from 'node:http';
import { adminRoute } from './admin-routes.ts';
import type { EventDelivery } from './cloudtrail/delivery.ts';
import { createRequestHandler, DEFAULT_MAX_BODY_BYTES } from './core/server.ts';
import { EmulatorState, type EmulatorStateOptions } from './state.ts';

export type {
  AdminClient,
  AdminStats,
  FaultInput,
  FaultSpecInput,
  ListedRepository,
  ListedTemplate,
  OrganizationSeedRequest,
  OrganizationSeedResult,
  SecurityHubSettings,
  SecurityHubSummary,
} from './admin-client.ts';
export { emulatorAdmin, isOrganizationSeed } from './admin-client.ts';
export type {
  DeliveryCallback,
  DeliveryStats,
  DeliveryTarget,
  EventDelivery,
} from './cloudtrail/delivery.ts';
export type { TrailRecord } from './cloudtrail/record.ts';
export type { AccountState, OrganizationSeed } from './core/directory.ts';
export type { FaultConfig, FaultScope, FaultSpec } from './core/faults.ts';
export type { CallCounts, StatsScope, StatsSnapshot } from './core/stats.ts';
export type {
  AppliedFor,
  ExclusionFilter,
  ImageTagMutability,
  Repository,
  RepositoryCreationTemplate,
} from './ecr/model.ts';
export type { SeedPush } from './ecr/pushes.ts';
export type {
  SeedCounts,
  SeedGenerator,
  SeedRepository,
  SeedRequest,
  SeedResult,
  SeedTemplate,
} from './ecr/seed.ts';
export type { StoredEvent } from './events/events.ts';
export type { Bucket, StoredObject } from './s3/store.ts';
export type { ExclusionVerdict, SecurityHubConfig } from './securityhub/config.ts';
export type { ControlEvaluation } from './securityhub/control.ts';
export type { StoredFinding } from './securityhub/findings.ts';
export { DEFAULT_ACCOUNT, DEFAULT_REGION, EmulatorState } from './state.ts';

/** Options of {@link startEmulator}. */
export interface EmulatorOptions extends EmulatorStateOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to bind; default `127.0.0.1` (loopback only). */
  readonly host?: string;
  /** Largest request body accepted; default 1 MiB. Larger ones get HTTP 413. */
  readonly maxBodyBytes?: number;
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the `endpoint` for SDK clients. */
  readonly url: string;
  readonly port: number;
  /** In-memory state, for direct assertions. */
  readonly state: EmulatorState;
  /** Event delivery: `await emulator.deliveries.idle()` waits until every queued event is delivered or failed. */
  readonly deliveries: EventDelivery;
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

/** Starts an emulator and resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const host = options.host ?? '127.0.0.1';
  const stopping = new AbortController();
  const server = createServer(
    createRequestHandler(
      {
        services: state.services,
        faults: state.faults,
        stats: state.stats,
        defaultAccount: state.account,
        now: state.now,
        identify: (scope, sessionToken) => state.identify(scope, sessionToken),
        admin: (method, url, bytes) => adminRoute(state, method, url, bytes),
        observe: (call) => state.observe(call),
      },
      {
        maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        signal: stopping.signal,
      },
    ),
  );
  // The SDK keeps connections alive; a short idle timeout keeps stray sockets from holding the process.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the emulator is not listening on a TCP port');
  const { port } = address;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    state,
    deliveries: state.delivery,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        stopping.abort();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
