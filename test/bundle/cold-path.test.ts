/**
 * The common path of each built function, as a cold start runs it: a fresh Node imports the bundle and
 * handles one event against the emulator over HTTPS, as against AWS (test/helpers/tls-front.ts), then lists
 * the Node modules it loaded. None of these may be among them (docs/architecture.md, "Lambda bundles"):
 * undici (what `node:http`'s ESM facade loads; over HTTPS nothing imports `node:http`), Web Crypto and the
 * process report (what the ESM facades of `node:crypto` and `node:process` load), web streams (what the SDK's
 * stream checks would load), nor `fs/promises` (the facade of `node:fs`, or the SDK reading `~/.aws/config`,
 * which Lambda does not have). The scope function's S3 client is let off web streams: its checksum stream
 * class extends `ReadableStream` when it is imported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAdmin, type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { runNode } from '../helpers/child-process.ts';
import { loadSampleEvent, projectRoot } from '../helpers/fixtures.ts';
import { opensslAvailable, startTlsFront, type TlsFront } from '../helpers/tls-front.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BUCKET = 'cold-path-scope';
const UNWANTED = [
  'internal/deps/undici/undici',
  'internal/crypto/webcrypto',
  'internal/webstreams/readablestream',
  'internal/process/report',
  'internal/fs/promises',
];

const built = ['guardrail', 'sweep', 'scope'].every((name) =>
  existsSync(path.join(projectRoot, 'dist', name, 'index.mjs')),
);
const openssl = opensslAvailable();
const skip = !built || !openssl;
const skipReason = !built
  ? ' (skipped: run npm run build)'
  : !openssl
    ? ' (skipped: no openssl command to make the loopback certificate)'
    : '';

interface ColdRun {
  readonly result: unknown;
  readonly modules: readonly string[];
}

/** Imports dist/<bundle>/index.mjs in a fresh Node, handles `event` once, reports its answer and modules. */
async function coldInvoke(bundle: string, event: unknown, front: TlsFront): Promise<ColdRun> {
  const url = pathToFileURL(path.join(projectRoot, 'dist', bundle, 'index.mjs')).href;
  const script = `
    const { handler } = await import(${JSON.stringify(url)});
    const result = await handler(${JSON.stringify(event)}, {
      functionName: 'cold-path', awsRequestId: 'cold-path-1', getRemainingTimeInMillis: () => 30000,
      invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT}:function:cold-path',
    });
    process.stderr.write(JSON.stringify({ result, modules: process.moduleLoadList }));
    process.exit(0);`;
  const child = await runNode(['--input-type=module', '-e', script], {
    PATH: process.env.PATH,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'ASIACOLDPATHTEST0001',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: 'test-session',
    AWS_LAMBDA_FUNCTION_NAME: 'cold-path',
    AWS_ENDPOINT_URL_ECR: front.url,
    AWS_ENDPOINT_URL_S3: front.url,
    NODE_EXTRA_CA_CERTS: front.caFile,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_NAMESPACE: 'ColdPath',
  });
  if (child.code !== 0) throw new Error(`the child exited ${child.code}: ${child.stderr}`);
  const parsed: unknown = JSON.parse(child.stderr);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('modules' in parsed) ||
    !Array.isArray(parsed.modules)
  ) {
    throw new Error(`the child reported ${child.stderr}`);
  }
  return {
    result: 'result' in parsed ? parsed.result : undefined,
    modules: parsed.modules.map((entry: unknown) => String(entry).replace(/^NativeModule /, '')),
  };
}

describe('a cold invocation of each built function', () => {
  let emulator: RunningEmulator;
  let front: TlsFront;

  beforeAll(async () => {
    emulator = await startEmulator({ buckets: [{ name: BUCKET, region: REGION }] });
    if (openssl)
      front = await startTlsFront(emulator.port, path.join(projectRoot, 'test', '.tmp', 'cold-path-tls'));
    await emulatorAdmin(emulator.url).seed({
      region: REGION,
      account: ACCOUNT,
      repositories: [{ name: 'payments/api', imageTagMutability: 'IMMUTABLE' }],
    });
  });

  afterAll(async () => {
    if (openssl) await front.stop();
    await emulator.stop();
  });

  it.skipIf(skip)(
    `guardrail: a CreateRepository of a compliant repository loads none of the unneeded modules${skipReason}`,
    async () => {
      const run = await coldInvoke(
        'guardrail',
        loadSampleEvent('create-repository-default-mutable.json'),
        front,
      );
      expect(run.result).toMatchObject({ counts: { compliant: 1 } });
      expect(run.modules.filter((name) => UNWANTED.includes(name))).toEqual([]);
    },
  );

  it.skipIf(skip)(`sweep: a scheduled sweep loads none of the unneeded modules${skipReason}`, async () => {
    const run = await coldInvoke(
      'sweep',
      {
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        account: ACCOUNT,
        region: REGION,
        detail: {},
      },
      front,
    );
    expect(run.result).toMatchObject({ counts: { compliant: 1 } });
    expect(run.modules.filter((name) => UNWANTED.includes(name))).toEqual([]);
  });

  it.skipIf(skip)(
    `scope: listing the scope into S3 loads none of the unneeded modules${skipReason}`,
    async () => {
      const run = await coldInvoke('scope', { bucket: BUCKET, key: 'scope/cold-path.json' }, front);
      expect(run.result).toMatchObject({ bucket: BUCKET, count: 1 });
      const unwanted = UNWANTED.filter((name) => name !== 'internal/webstreams/readablestream');
      expect(run.modules.filter((name) => unwanted.includes(name))).toEqual([]);
    },
  );
});
