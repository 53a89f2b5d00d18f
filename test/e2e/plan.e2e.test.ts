/**
 * A plan you can act on, through the built CLI (dist/bin/ecr-guard.mjs) against the emulator on a free
 * loopback port (it has the trail, LookupEvents, DescribeImages and fault injection the plan needs): tags
 * the target leaves mutable break nothing, a flip within the allowed exclusions is written instead of an
 * exemption, the plan says `unknown` where it cannot know, its exit codes say the truth, exemptions the
 * policy does not honour are staged anew with a sanitised reason, suggestions name the exact moved tags,
 * and Ctrl-C stops it before its next write (README, "Rolling out safely").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type RunningEmulator,
  type SeedPush,
  startEmulator,
} from '../../emulator/index.ts';
import { type ChildResult, jsonLines, runNode } from '../helpers/child-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { itOnEmulator } from './backend.ts';

const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const EXEMPT_KEY = 'ecr-guard:exempt';
const EXPIRY_KEY = 'ecr-guard:until';
const TAG_OPTIONS = ['--exempt-tag-key', EXEMPT_KEY, '--exempt-expiry-tag-key', EXPIRY_KEY];
const DAY = 86_400_000;
/** Trail fields longer than this are truncated (`omitted`), as CloudTrail truncates a field over its limit. */
const FIELD_LIMIT = 2000;

const isoDaysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

const planLine = (lines: Record<string, unknown>[], name: string) =>
  lines.find((line) => line.type === 'plan' && line.repositoryName === name);
const summaryOf = (lines: Record<string, unknown>[]) => lines.find((line) => line.type === 'plan-summary');

/** A tag moving: pushed with a new image `days` and `days - 1` days ago. */
const moving = (repositoryName: string, tag: string, days = 5): SeedPush[] => [
  { repositoryName, tag, at: isoDaysAgo(days) },
  { repositoryName, tag, at: isoDaysAgo(days - 1) },
];

/** A manifest whose PutImage record keeps its request but loses its response (and so the digest). */
function digestlessManifest(repositoryName: string, tag: string): string {
  const base = { schemaVersion: 2, layers: [], annotations: { pad: '' } };
  const request = { repositoryName, imageTag: tag, registryId: ACCOUNT, imageManifest: JSON.stringify(base) };
  const pad = FIELD_LIMIT - 40 - Buffer.byteLength(JSON.stringify(request));
  return JSON.stringify({ ...base, annotations: { pad: 'x'.repeat(pad) } });
}

describe('a plan you can act on, with the built CLI', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let ecr: ECRClient;
  const env = () => ({
    PATH: process.env.PATH ?? '',
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_ENDPOINT_URL_STS: emulator.url,
    AWS_ENDPOINT_URL_CLOUDTRAIL: emulator.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const cli = (args: readonly string[]): Promise<ChildResult> => runNode([CLI, ...args], env());
  const calls = async (operation: string) => (await admin.stats()).operations[operation]?.calls ?? 0;
  const tagsOf = async (name: string) => {
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
    const listed = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return Object.fromEntries((listed.tags ?? []).map((tag) => [tag.Key, tag.Value]));
  };
  const settingOf = async (name: string) => {
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    const repository = described.repositories?.[0];
    return {
      mutability: repository?.imageTagMutability,
      filters: (repository?.imageTagMutabilityExclusionFilters ?? []).map((entry) => entry.filter),
    };
  };

  beforeAll(async () => {
    emulator = await startEmulator({ account: ACCOUNT, trailFieldLimitBytes: FIELD_LIMIT });
    admin = emulatorAdmin(emulator.url);
    ecr = new ECRClient({
      region: REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  beforeEach(async () => {
    await admin.reset();
  });
  afterAll(async () => {
    ecr.destroy();
    await emulator.stop();
  });

  itOnEmulator('trail and LookupEvents', 30_000)(
    'calls a repository that moves only a tag the target leaves mutable safe to flip',
    async () => {
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/web' }, { name: 'shop/api' }],
        pushes: [
          ...moving('shop/web', 'latest'),
          ...moving('shop/api', 'latest'),
          ...moving('shop/api', 'dev'),
        ],
      });

      const planned = await cli([
        'plan',
        '--json',
        '--target',
        'IMMUTABLE_WITH_EXCLUSION',
        '--exclusion-filter',
        'latest',
      ]);

      const lines = jsonLines(planned.stdout);
      expect(planLine(lines, 'shop/web')).toMatchObject({
        verdict: 'safe-to-flip',
        breakingTags: [],
        suggestion: { kind: 'target', setting: { exclusionFilters: ['latest'] } },
      });
      expect(planLine(lines, 'shop/api')).toMatchObject({ verdict: 'would-break', breakingTags: ['dev'] });
      expect(planned.code).toBe(3);
    },
  );

  itOnEmulator('trail and LookupEvents', 30_000)(
    'sets a repository within the allowed exclusions instead of exempting it, and exempts only the one that needs its owner',
    async () => {
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/web' }, { name: 'shop/legacy' }],
        pushes: [...moving('shop/web', 'latest'), ...moving('shop/legacy', 'prod')],
      });
      const until = inDays(30);

      const staged = await cli([
        'plan',
        '--json',
        ...TAG_OPTIONS,
        '--allowed-exclusion',
        'latest',
        '--stage-exemptions',
        '--until',
        until,
      ]);

      expect(staged.stderr).toBe('');
      expect(staged.code).toBe(0);
      const lines = jsonLines(staged.stdout);
      expect(planLine(lines, 'shop/web')).toMatchObject({ staging: 'exclusion-set' });
      expect(planLine(lines, 'shop/legacy')).toMatchObject({ staging: 'exemption-staged' });
      expect(summaryOf(lines)).toMatchObject({ wouldBreak: 2, exclusionsSet: 1, staged: 1 });
      expect(lines).toContainEqual(
        expect.objectContaining({
          type: 'audit',
          outcome: 'remediated',
          repositoryName: 'shop/web',
          after: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        }),
      );
      expect(await settingOf('shop/web')).toEqual({
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        filters: ['latest'],
      });
      expect(await tagsOf('shop/web')).toEqual({});
      expect(await tagsOf('shop/legacy')).toMatchObject({ [EXPIRY_KEY]: until });

      // The next sweep leaves both as they are: one compliant, one exempt.
      const swept = await cli(['sweep', '--json', ...TAG_OPTIONS, '--allowed-exclusion', 'latest']);
      expect(swept.code).toBe(0);
      expect(await settingOf('shop/web')).toEqual({
        mutability: 'IMMUTABLE_WITH_EXCLUSION',
        filters: ['latest'],
      });
      expect((await settingOf('shop/legacy')).mutability).toBe('MUTABLE');
    },
  );

  itOnEmulator('trail, truncated trail fields and DescribeImages', 30_000)(
    'says unknown, never safe, where it cannot know: no digest, an unreadable record, a tag moved before the window',
    async () => {
      const large = JSON.stringify({ schemaVersion: 2, layers: [], annotations: { pad: 'x'.repeat(3000) } });
      await admin.seed({
        region: REGION,
        repositories: [
          { name: 'shop/steady' },
          { name: 'shop/digestless' },
          { name: 'shop/unreadable' },
          { name: 'shop/old-move' },
        ],
        pushes: [
          { repositoryName: 'shop/steady', tag: 'v1', at: isoDaysAgo(3) },
          { repositoryName: 'shop/digestless', tag: 'v1', at: isoDaysAgo(3) },
          {
            repositoryName: 'shop/digestless',
            tag: 'v1',
            manifest: digestlessManifest('shop/digestless', 'v1'),
            at: isoDaysAgo(2),
          },
          { repositoryName: 'shop/unreadable', tag: 'v1', manifest: large, at: isoDaysAgo(2) },
          // `latest` moved 60 and 40 days ago, outside a 30-day window: its old image stays, untagged.
          ...moving('shop/old-move', 'latest', 60).map((push, index) => ({
            ...push,
            at: isoDaysAgo(60 - index * 20),
          })),
        ],
      });

      const planned = await cli(['plan', '--json', '--days', '30']);

      const lines = jsonLines(planned.stdout);
      expect(planLine(lines, 'shop/steady')).toMatchObject({ verdict: 'safe-to-flip' });
      expect(planLine(lines, 'shop/digestless')).toMatchObject({
        verdict: 'unknown',
        reason: expect.stringContaining('push(es) of [v1] without a digest'),
      });
      expect(planLine(lines, 'shop/unreadable')).toMatchObject({
        verdict: 'unknown',
        reason: expect.stringContaining('1 CloudTrail PutImage record(s) could not be read'),
      });
      expect(planLine(lines, 'shop/old-move')).toMatchObject({
        verdict: 'unknown',
        reason: expect.stringContaining('1 untagged image(s)'),
      });
      expect(summaryOf(lines)).toMatchObject({ safeToFlip: 1, unknown: 3, unreadable: 1 });
      expect(planned.code).toBe(3);
    },
  );

  itOnEmulator('fault injection', 60_000)(
    'fails (exit 1) when CloudTrail cannot be read, counting every LookupEvents call made',
    async () => {
      await admin.seed({ region: REGION, repositories: [{ name: 'shop/web' }] });
      await admin.faults({ LookupEvents: { accessDenied: true } });

      const denied = await cli(['plan', '--json']);

      expect(denied.code).toBe(1);
      expect(summaryOf(jsonLines(denied.stdout))).toMatchObject({
        cloudTrailError: 'AccessDeniedException',
        lookupCalls: await calls('LookupEvents'),
        unknown: 1,
      });

      await admin.reset();
      await admin.seed({ region: REGION, repositories: [{ name: 'shop/web' }] });
      await admin.faults({ LookupEvents: { throttle: { probability: 1 } } });

      const throttled = await cli(['plan', '--json']);

      expect(throttled.code).toBe(1);
      const summary = summaryOf(jsonLines(throttled.stdout));
      expect(summary).toMatchObject({ cloudTrailError: 'ThrottlingException' });
      expect(summary?.lookupCalls).toBeGreaterThan(1);
      expect(summary?.lookupCalls).toBe(await calls('LookupEvents'));
    },
  );

  itOnEmulator('trail and LookupEvents', 30_000)(
    'stages anew over an expired exemption, with a reason sanitised to what a tag value may hold',
    async () => {
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/old', tags: { [EXEMPT_KEY]: 'legacy CI', [EXPIRY_KEY]: '2020-01-01' } }],
        pushes: moving('shop/old', 'feat;x'),
      });
      const until = inDays(30);

      const staged = await cli(['plan', '--json', ...TAG_OPTIONS, '--stage-exemptions', '--until', until]);

      expect(staged.code).toBe(0);
      expect(planLine(jsonLines(staged.stdout), 'shop/old')).toMatchObject({ staging: 'exemption-staged' });
      expect(await tagsOf('shop/old')).toEqual({
        [EXEMPT_KEY]: `ecr-guard plan: moving tags feat_x - flip after ${until}`,
        [EXPIRY_KEY]: until,
      });
      // The sweep honours it now.
      const swept = await cli(['sweep', '--json', ...TAG_OPTIONS]);
      expect(swept.code).toBe(0);
      expect((await settingOf('shop/old')).mutability).toBe('MUTABLE');
    },
  );

  itOnEmulator('trail, LookupEvents and the PutEvents sink', 30_000)(
    'publishes the exemption it stages to the audit bus, as every command’s decisions are',
    async () => {
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/web' }],
        pushes: moving('shop/web', 'latest'),
      });
      const until = inDays(30);

      const staged = await runNode(
        [
          CLI,
          'plan',
          '--json',
          ...TAG_OPTIONS,
          '--stage-exemptions',
          '--until',
          until,
          '--audit-event-bus',
          'audit',
        ],
        { ...env(), AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url },
      );

      expect(staged.code).toBe(0);
      expect(
        (await admin.events()).map((event) => [event.eventBusName, event.detailType, event.detail.outcome]),
      ).toEqual([['audit', 'ECR Repository Tag Mutability Exemption Staged', 'exemption-staged']]);
    },
  );

  itOnEmulator('trail and LookupEvents', 30_000)(
    'suggests the exact moved tags rather than a covering allowed wildcard',
    async () => {
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/web' }],
        pushes: [...moving('shop/web', 'dev-1'), ...moving('shop/web', 'dev-2')],
      });

      const planned = await cli(['plan', '--json', '--allowed-exclusion', 'dev-*']);

      expect(planLine(jsonLines(planned.stdout), 'shop/web')).toMatchObject({
        verdict: 'would-break',
        suggestion: {
          kind: 'exclusion',
          setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-1', 'dev-2'] },
        },
      });
    },
  );

  itOnEmulator('fault injection', 60_000)(
    'writes nothing after Ctrl-C during the CloudTrail read, and summarises what it did',
    async () => {
      // 120 pushes: three LookupEvents pages, each answered after 3 s.
      const pushes = Array.from({ length: 60 }, (_, index) =>
        moving(index % 2 === 0 ? 'shop/web' : 'shop/api', `t${index}`),
      ).flat();
      await admin.seed({
        region: REGION,
        repositories: [{ name: 'shop/web' }, { name: 'shop/api' }],
        pushes,
      });
      await admin.faults({ LookupEvents: { latencyMs: 3000 } });
      const child: ChildProcess = spawn(
        process.execPath,
        [CLI, 'plan', '--json', ...TAG_OPTIONS, '--stage-exemptions', '--until', inDays(30)],
        { env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const done = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Ctrl-C once the first page is answered, while the second is read.
      const deadline = Date.now() + 20_000;
      while ((await calls('LookupEvents')) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      child.kill('SIGINT');
      const code = await done;

      expect(code).toBe(130);
      expect(await calls('TagResource')).toBe(0);
      expect(await calls('PutImageTagMutability')).toBe(0);
      expect(await tagsOf('shop/web')).toEqual({});
      expect(summaryOf(jsonLines(stdout))).toMatchObject({ candidates: 2, interrupted: true, staged: 0 });
    },
  );
});
