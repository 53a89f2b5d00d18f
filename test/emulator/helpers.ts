import { createHash } from 'node:crypto';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import {
  type AdminClient,
  type EmulatorOptions,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';

/** Credentials any emulator accepts; the access key ID selects the account when `accounts` maps it. */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** An ECR client pointed at the emulator, without retries unless asked. */
export function ecrClient(
  url: string,
  options: { region?: string; accessKeyId?: string; maxAttempts?: number } = {},
): ECRClient {
  return new ECRClient({
    region: options.region ?? 'us-east-1',
    endpoint: url,
    credentials: { ...TEST_CREDENTIALS, accessKeyId: options.accessKeyId ?? TEST_CREDENTIALS.accessKeyId },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** Long-term or temporary credentials for a client. */
export interface ClientCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** An STS client pointed at the emulator, acting with `credentials`. */
export function stsClient(url: string, credentials: ClientCredentials = TEST_CREDENTIALS): STSClient {
  return new STSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
}

/** An Organizations client pointed at the emulator, acting with `credentials`. */
export function organizationsClient(
  url: string,
  credentials: ClientCredentials = TEST_CREDENTIALS,
): OrganizationsClient {
  return new OrganizationsClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
}

/** A Security Hub client pointed at the emulator, acting with `credentials` in `region`, without retries unless asked. */
export function securityHubClient(
  url: string,
  options: { region?: string; credentials?: ClientCredentials; maxAttempts?: number } = {},
): SecurityHubClient {
  return new SecurityHubClient({
    region: options.region ?? 'us-east-1',
    endpoint: url,
    credentials: options.credentials ?? TEST_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** An ECR client in `region` acting with `credentials` (e.g. from AssumeRole). */
export function ecrClientWith(url: string, credentials: ClientCredentials, region = 'us-east-1'): ECRClient {
  return new ECRClient({ region, endpoint: url, credentials, maxAttempts: 1 });
}

/** An EventBridge client pointed at the emulator. */
export function eventsClient(url: string, region = 'us-east-1'): EventBridgeClient {
  return new EventBridgeClient({ region, endpoint: url, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

/** A started emulator with ready clients. */
export interface TestEmulator {
  readonly emulator: RunningEmulator;
  readonly url: string;
  readonly ecr: ECRClient;
  readonly admin: AdminClient;
  stop(): Promise<void>;
}

/** Starts an emulator on a free loopback port with a us-east-1 ECR client and the admin client. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ port: 0, ...options });
  const ecr = ecrClient(emulator.url);
  return {
    emulator,
    url: emulator.url,
    ecr,
    admin: emulatorAdmin(emulator.url),
    async stop() {
      ecr.destroy();
      await emulator.stop();
    },
  };
}

/** The signed-looking headers the SDK would send, for raw `fetch` calls. */
export function awsJsonHeaders(target: string, region = 'us-east-1'): Record<string, string> {
  return {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': target,
    authorization: `AWS4-HMAC-SHA256 Credential=test/20261129/${region}/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  };
}

/** Sends a raw AWS JSON 1.1 request and returns the status and decoded body. */
export async function rawCall(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; contentType: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/`, { method: 'POST', headers, body });
  const decoded: unknown = await response.json();
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new Error(`expected a JSON object, got ${JSON.stringify(decoded)}`);
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body: { ...decoded } };
}

/** A CloudTrail client pointed at the emulator, acting with `credentials`. */
export function cloudTrailClient(
  url: string,
  options: { region?: string; credentials?: ClientCredentials; maxAttempts?: number } = {},
): CloudTrailClient {
  return new CloudTrailClient({
    region: options.region ?? 'us-east-1',
    endpoint: url,
    credentials: options.credentials ?? TEST_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** A small image manifest (Docker v2 schema 2) whose content, and so digest, depends on `seed`. */
export function manifestFor(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1000,
      digest: `sha256:${createHash('sha256').update(`config-${seed}`).digest('hex')}`,
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 2345,
        digest: `sha256:${createHash('sha256').update(`layer-${seed}`).digest('hex')}`,
      },
    ],
  });
}

/** `sha256:` + hex SHA-256 of the text, computed independently of the emulator. */
export function sha256Digest(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}
