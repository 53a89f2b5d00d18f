/**
 * Embedded Amazon ECR emulator: a loopback HTTP server speaking the ECR wire protocol (AWS JSON 1.1) for the
 * operations this project uses (repositories, their tags, repository creation templates), plus an EventBridge
 * PutEvents sink and `/_emulator/*` control routes.
 *
 * ```ts
 * const emulator = await startEmulator();
 * const ecr = new ECRClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * // …
 * await emulator.stop();
 * ```
 */
import { createServer } from 'node:http';
import { createRequestHandler, DEFAULT_MAX_BODY_BYTES } from './server.ts';
import { EmulatorState, type EmulatorStateOptions } from './state.ts';

export type {
  AdminClient,
  FaultInput,
  FaultSpecInput,
  ListedRepository,
  ListedTemplate,
} from './admin-client.ts';
export { emulatorAdmin } from './admin-client.ts';
export type { StoredEvent } from './events.ts';
export type { FaultConfig, FaultSpec } from './faults.ts';
export type {
  AppliedFor,
  ExclusionFilter,
  ImageTagMutability,
  Repository,
  RepositoryCreationTemplate,
} from './model.ts';
export type {
  SeedCounts,
  SeedGenerator,
  SeedRepository,
  SeedRequest,
  SeedResult,
  SeedTemplate,
} from './seed.ts';
export { DEFAULT_ACCOUNT, DEFAULT_REGION, EmulatorState } from './state.ts';
export type { CallCounts, StatsSnapshot } from './stats.ts';

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
  /** Stops listening and closes every connection, keep-alive ones included. */
  stop(): Promise<void>;
}

/** Starts an emulator and resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const host = options.host ?? '127.0.0.1';
  const stopping = new AbortController();
  const server = createServer(
    createRequestHandler(state, {
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      signal: stopping.signal,
    }),
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
