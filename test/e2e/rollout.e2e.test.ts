/**
 * A safe roll-out end to end, through the built CLI (dist/bin/ecr-guard.mjs) and the built
 * guardrail bundle (dist/guardrail/index.mjs) against the emulator on a free loopback port: plan from
 * CloudTrail history, staged exemptions, the sweep flipping only the safe repository, and a CI-style
 * push of `latest` refused by ECR and recorded by the guardrail as `blocked-overwrite` without any
 * ECR call (docs/architecture.md; AWS: "Preventing image tags from being overwritten in Amazon ECR").
 */
import path from 'node:path';
import {
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import { type ChildResult, runNode } from '../helpers/child-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { type BundleHandler, fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { itOnEmulator } from './backend.ts';

const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const MOVING = 'shop/web';
const STEADY = 'shop/api';
const EXEMPT_KEY = 'ecr-guard:exempt';
const EXPIRY_KEY = 'ecr-guard:until';
const TAG_OPTIONS = ['--exempt-tag-key', EXEMPT_KEY, '--exempt-expiry-tag-key', EXPIRY_KEY];
const CI = `arn:aws:sts::${ACCOUNT}:assumed-role/ci/build-42`;
const DAY = 86_400_000;

function cli(args: readonly string[], env: Record<string, string>): Promise<ChildResult> {
  return runNode([CLI, ...args], { PATH: process.env.PATH, ...env });
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const planLine = (lines: Record<string, unknown>[], name: string) =>
  lines.find((line) => line.type === 'plan' && line.repositoryName === name);

const isoDaysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe('a safe roll-out with the built CLI and guardrail', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let ecr: ECRClient;
  // Only the push at the end goes to the guardrail: earlier calls are the roll-out itself.
  let guardrail: BundleHandler | undefined;
  const guardrailResults: unknown[] = [];
  const env = () => ({
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_CLOUDTRAIL: emulator.url,
    AWS_ENDPOINT_URL_STS: emulator.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  beforeAll(async () => {
    emulator = await startEmulator({
      account: ACCOUNT,
      delivery: {
        callback: async (event) => {
          if (guardrail !== undefined) guardrailResults.push(await guardrail(event, fakeContext()));
        },
      },
    });
    admin = emulatorAdmin(emulator.url);
    ecr = new ECRClient({
      region: REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => {
    ecr.destroy();
    await emulator.stop();
  });

  const tagsOf = async (name: string) => {
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
    const listed = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return Object.fromEntries((listed.tags ?? []).map((tag) => [tag.Key, tag.Value]));
  };
  const mutabilityOf = async (name: string) => {
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return described.repositories?.[0]?.imageTagMutability;
  };

  itOnEmulator('trail, event delivery and call statistics', 60_000)(
    'plans, stages an exemption, flips the safe repository and records the blocked push',
    async () => {
      // Prepare: two MUTABLE repositories; `latest` moved in one, no tag ever moved in the other.
      await admin.seed({
        region: REGION,
        repositories: [
          { name: MOVING, imageTagMutability: 'MUTABLE' },
          { name: STEADY, imageTagMutability: 'MUTABLE' },
        ],
        pushes: [
          { repositoryName: MOVING, tag: 'latest', at: isoDaysAgo(9), actor: CI },
          { repositoryName: MOVING, tag: 'latest', at: isoDaysAgo(4), actor: CI },
          { repositoryName: STEADY, tag: 'latest', at: isoDaysAgo(8) },
          { repositoryName: STEADY, tag: 'v1', at: isoDaysAgo(7) },
        ],
      });

      // The plan: one safe to flip, one that would break on `latest` (exit 3: something unresolved).
      const planned = await cli(['plan', '--json'], env());
      expect(planned.stderr).toBe('');
      expect(planned.code).toBe(3);
      const lines = jsonLines(planned.stdout);
      expect(planLine(lines, STEADY)).toMatchObject({ verdict: 'safe-to-flip', movedTags: [] });
      expect(planLine(lines, MOVING)).toMatchObject({
        verdict: 'would-break',
        movedTags: [expect.objectContaining({ tag: 'latest', lastPusher: CI })],
      });
      expect(await tagsOf(MOVING)).toEqual({});

      // Staging: the exemption and its expiry go on the would-break repository only.
      const until = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);
      const staged = await cli(
        ['plan', '--json', ...TAG_OPTIONS, '--stage-exemptions', '--until', until],
        env(),
      );
      expect(staged.code).toBe(0);
      expect(planLine(jsonLines(staged.stdout), MOVING)).toMatchObject({ staging: 'exemption-staged' });
      const exemption = await tagsOf(MOVING);
      expect(exemption[EXEMPT_KEY]).toContain('latest');
      expect(exemption[EXPIRY_KEY]).toBe(until);
      expect(await tagsOf(STEADY)).toEqual({});

      // A second staging with another date never overwrites the exemption already there: the
      // repository is exempt now, so it is no longer a candidate at all.
      const later = new Date(Date.now() + 60 * DAY).toISOString().slice(0, 10);
      const again = await cli(
        ['plan', '--json', ...TAG_OPTIONS, '--stage-exemptions', '--until', later],
        env(),
      );
      expect(again.code).toBe(0);
      expect(planLine(jsonLines(again.stdout), MOVING)).toBeUndefined();
      expect(await tagsOf(MOVING)).toEqual(exemption);

      // The sweep flips the safe repository and leaves the exempt one as it is.
      const swept = await cli(['sweep', '--json', ...TAG_OPTIONS], env());
      expect(swept.code).toBe(0);
      expect(await mutabilityOf(STEADY)).toBe('IMMUTABLE');
      expect(await mutabilityOf(MOVING)).toBe('MUTABLE');

      // From here on, the emulator delivers each call to the built guardrail, as EventBridge would.
      await emulator.deliveries.idle();
      guardrail = await loadBundle('guardrail', {
        AWS_ENDPOINT_URL_ECR: emulator.url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        EXEMPT_TAG_KEY: EXEMPT_KEY,
        EXEMPT_EXPIRY_TAG_KEY: EXPIRY_KEY,
      });
      const before = (await admin.stats()).operations;

      // Act: a CI-style push of `latest` with a new manifest to the flipped repository.
      const manifest = JSON.stringify({ schemaVersion: 2, layers: [], annotations: { build: 'ci-43' } });
      const push = ecr.send(
        new PutImageCommand({ repositoryName: STEADY, imageTag: 'latest', imageManifest: manifest }),
      );
      await expect(push).rejects.toMatchObject({ name: 'ImageTagAlreadyExistsException' });
      await emulator.deliveries.idle();

      // Assess: recorded as blocked-overwrite with the tag and actor, and no ECR call besides the push.
      expect(guardrailResults).toEqual([
        expect.objectContaining({
          counts: expect.objectContaining({ 'blocked-overwrite': 1 }),
          records: [
            expect.objectContaining({
              outcome: 'blocked-overwrite',
              repositoryName: STEADY,
              imageTag: 'latest',
              actor: `arn:aws:iam::${ACCOUNT}:user/emulator`,
              errorCode: 'ImageTagAlreadyExistsException',
            }),
          ],
        }),
      ]);
      const after = (await admin.stats()).operations;
      const made = Object.fromEntries(
        Object.entries(after)
          .map(([operation, counts]) => [operation, counts.calls - (before[operation]?.calls ?? 0)] as const)
          .filter(([, calls]) => calls > 0),
      );
      expect(made).toEqual({ PutImage: 1 });
      expect((await admin.stats()).deliveries).toMatchObject({ failed: 0, pending: 0 });
    },
  );
});
