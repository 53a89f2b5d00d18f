/**
 * The evidence report from the functions' audit log lines: the built guardrail (dist/guardrail) hears of a
 * repository created MUTABLE and of a push ECR refused, from the emulator's CloudTrail-shaped events, and writes
 * its audit lines as Lambda would to CloudWatch Logs; the built CLI's `report --from` those lines lists the
 * remediation and the refused overwrite by account, in the window the lines were written in, gathered by the
 * function they name. README, "For auditors: the evidence report".
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { runBuiltCli } from '../helpers/cli.ts';
import { type BundleHandler, fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const GUARDRAIL_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecr-immutability-guard-guardrail`;

describe('ecr-guard report from the guardrail’s audit log lines', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let guardrail: BundleHandler | undefined;
  let work: string;
  /** What the guardrail wrote to stdout while it ran: CloudWatch Logs' view of it. */
  const logged: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({
      account: ACCOUNT,
      delivery: {
        callback: async (event) => {
          if (guardrail === undefined) return;
          const write = process.stdout.write.bind(process.stdout);
          process.stdout.write = ((chunk: string | Uint8Array) => {
            logged.push(...String(chunk).split('\n').filter(Boolean));
            return true;
          }) as typeof process.stdout.write;
          try {
            await guardrail(event, {
              ...fakeContext(30_000, 'ecr-immutability-guard-guardrail'),
              invokedFunctionArn: GUARDRAIL_ARN,
            });
          } finally {
            process.stdout.write = write;
          }
        },
      },
    });
    admin = emulatorAdmin(emulator.url);
    work = mkdtempSync(path.join(tmpdir(), 'ecr-guard-report-log-'));
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the remediation and the refused overwrite by account, in the window of the lines, gathered by the function', async () => {
    // Prepare: shop/api is IMMUTABLE with `latest` pushed; the guardrail hears of every call from here on.
    await admin.seed({
      region: REGION,
      repositories: [{ name: 'shop/api', imageTagMutability: 'IMMUTABLE' }],
      pushes: [
        { repositoryName: 'shop/api', tag: 'latest', at: new Date(Date.now() - 86_400_000).toISOString() },
      ],
    });
    await emulator.deliveries.idle();
    guardrail = await loadBundle('guardrail', {
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const ecr = new ECRClient({
      region: REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // Act: a repository created without a mutability (ECR makes it MUTABLE), and a push ECR refuses.
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'payments/api' }));
    const manifest = JSON.stringify({ schemaVersion: 2, layers: [], annotations: { build: 'ci-43' } });
    await expect(
      ecr.send(
        new PutImageCommand({ repositoryName: 'shop/api', imageTag: 'latest', imageManifest: manifest }),
      ),
    ).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
    ecr.destroy();
    await emulator.deliveries.idle();
    const lines = path.join(work, 'guardrail.jsonl');
    writeFileSync(lines, `${logged.join('\n')}\n`);
    const output = path.join(work, 'report.json');
    const { code } = await runBuiltCli(
      ['report', '--from', lines, '--format', 'json', '--output', output],
      {},
    );
    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(output, 'utf8')) as {
      data: {
        sources: { kind: string; detail: string; gatheredAt: string | null; gatheredBy: string | null }[];
        records: { outcome: string; accountId: string; subject: string; imageTag: string | null }[];
      };
    };
    expect(
      report.data.records.map((record) => [
        record.outcome,
        record.accountId,
        record.subject,
        record.imageTag,
      ]),
    ).toEqual([
      ['remediated', ACCOUNT, 'payments/api', null],
      ['blocked-overwrite', ACCOUNT, 'shop/api', 'latest'],
    ]);
    const [source] = report.data.sources;
    expect(source).toMatchObject({ kind: 'audit-log', gatheredBy: GUARDRAIL_ARN });
    expect(source?.detail).toMatch(/^.*guardrail\.jsonl \(audit log lines written \S+Z – \S+Z\)$/);
    expect(Date.parse(source?.gatheredAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  }, 60_000);
});
