/**
 * Cold-start benchmark, every process of it interleaved in one run (the machines are shared and noisy;
 * medians reported):
 *
 * - The headline, the cold **invoke**: a fresh process (bench/cold-invoke-runner.mjs) imports a
 *   function's bundle and handles one event against the emulator under Lambda's environment
 *   (bench/cold-invoke.ts), over HTTPS through a TLS front (test/helpers/tls-front.ts) as functions call
 *   AWS. The guardrail handles a `CreateRepository` on a repository already IMMUTABLE
 *   (one `DescribeRepositories`, one audit line), as a ratio to a bare-SDK handler doing the same describe,
 *   bundled by the same esbuild settings and run by the same runner. The sweep (one describe page) and the
 *   scope function (one PutObject) are timed the same way. Beside them: `node -e 0` plus one loopback
 *   request (over HTTPS, the floor; and over HTTP).
 * - The import figures: the whole-process time of `await import(bundle)` for the guardrail and sweep
 *   bundles and variants that each undo one of their savings, as a ratio to a bare-SDK bundle that only
 *   imports and constructs the `ECRClient`.
 *
 * `against` times another build's bundles (a `dist/` copied from an earlier commit) in the same loop, so
 * before and after come from one run; `profileRuns` adds CPU profiles of the guardrail's cold invokes and
 * the bare-SDK handler's (bench/cpu-profile.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { type EmulatorState, emulatorAdmin, startEmulator } from '../emulator/index.ts';
import { buildLambda, measureBundle } from '../scripts/build.ts';
import { opensslAvailable, startTlsFront, type TlsFront } from '../test/helpers/tls-front.ts';
import {
  ACCOUNT,
  BARE_SDK_HANDLER,
  expectResult,
  FUNCTION_EVENTS,
  LIMIT_DESCRIPTION,
  lambdaEnvironment,
  limitArgs,
  parseReport,
  REGION,
  REPOSITORY,
  runProcess,
  SCOPE_BUCKET,
} from './cold-invoke.ts';
import { type ProfileSummary, profileRuns, summarizeProfiles } from './cpu-profile.ts';

export interface ColdStartRow {
  readonly bundle: string;
  readonly variant: string;
  readonly description: string;
  readonly initKB: number;
  readonly totalKB: number;
  readonly medianMs: number;
  /** Import time over the bare-SDK bundle's, measured in the same run. */
  readonly ratioToBareSdk: number;
  readonly ratioToNodeBaseline: number;
}

/** One function's cold invoke: a fresh process, import plus one event. */
export interface ColdInvokeRow {
  readonly bundle: string;
  /**
   * `shipped` (this build), `before` (the `against` build), `bare-sdk` (the reference), `bare-sdk-again`
   * (the reference once more: its ratio is the run's noise) or `bare-sdk-lean` (the reference built with the
   * start-up plugins).
   */
  readonly build: string;
  readonly event: string;
  readonly initKB: number;
  readonly totalKB: number;
  /** Whole process: start, import, one event, exit. */
  readonly medianMs: number;
  /** The figure to quote: over the bare-SDK handler's whole process, measured in the same run. */
  readonly ratioToBareSdk: number;
  /** Over `node -e 0` plus one loopback request over the same transport. */
  readonly ratioToLimit: number;
  /** Inside the process (medians): from its start to the end of the import, and the event alone. */
  readonly importEndMs: number;
  readonly eventMs: number;
  /** CPU time of the main thread by the end of the event (median), and over the bare-SDK handler's. */
  readonly cpuMs: number;
  readonly cpuRatioToBareSdk: number;
  /** Emulator calls of one invocation, per operation. */
  readonly calls: Readonly<Record<string, number>>;
}

export interface ColdInvokeResult {
  /** How the handlers reach the emulator: `https` (a TLS front, as functions call AWS) or `http`. */
  readonly transport: 'https' | 'http';
  readonly nodeBaselineMs: number;
  /** `node -e 0` plus one request to the emulator over the handlers' transport: what no handler can beat. */
  readonly limitMs: number;
  /** The same over plain HTTP. */
  readonly httpLimitMs: number;
  readonly limitDescription: string;
  readonly bareSdkDescription: string;
  readonly bareSdkLeanDescription: string;
  /** The environment variables every cold invoke runs with (values in bench/cold-invoke.ts). */
  readonly environment: readonly string[];
  readonly rows: readonly ColdInvokeRow[];
  readonly profiles?: readonly ProfileSummary[];
}

export interface ColdStartResult {
  /** When this part ran (`npm run bench -- --only sweep` keeps it, and rewrites the file's `date`). */
  readonly measuredAt: string;
  readonly runs: number;
  readonly invoke: ColdInvokeResult;
  readonly nodeBaselineMs: number;
  /** The import reference: a bundle that imports and constructs the bare `ECRClient`, and nothing else. */
  readonly bareSdk: {
    readonly description: string;
    readonly initKB: number;
    readonly totalKB: number;
    readonly medianMs: number;
    readonly ratioToNodeBaseline: number;
  };
  readonly rows: readonly ColdStartRow[];
}

export interface ColdStartOptions {
  readonly runs: number;
  /** A `dist/` of another build whose guardrail, sweep and scope bundles are timed in the same loop. */
  readonly against?: string | undefined;
  /** Profiled cold invokes per profiled target (0: none). */
  readonly profileRuns?: number;
  /** Leave out the import variants (the cold invokes alone, quicker while iterating). */
  readonly invokeOnly?: boolean;
}

/** Built like the bare-SDK handler (same esbuild settings, slim credentials, no start-up plugins); handles nothing. */
const BARE_SDK = {
  description:
    'imports and constructs the bare @aws-sdk/client-ecr ECRClient, same esbuild settings and credentials as the shipped bundles; no handler',
  source: "import { ECRClient } from '@aws-sdk/client-ecr';\nglobalThis.__ecr = new ECRClient({});\n",
};

interface Variant {
  readonly name: string;
  readonly description: string;
  /** Extra module code evaluated at init, before the handler module (ESM, relative to bench/.tmp). */
  readonly prelude: string;
  readonly slim: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'shipped', description: 'the bundle npm run build ships', prelude: '', slim: true },
  {
    name: 'full-credential-chain',
    description: 'shipped, but with the SDK default credential chain (SSO, STS, INI, IMDS providers)',
    prelude: '',
    slim: false,
  },
  {
    name: 'classic-zod',
    description: "shipped, plus Powertools' EventBridgeSchema (zod classic namespace with its locales)",
    prelude: "import '@aws-lambda-powertools/parser/schemas/eventbridge';",
    slim: true,
  },
  {
    name: 'eager-eventbridge',
    description: 'shipped, plus an EventBridge client created at init even without an audit bus',
    prelude:
      "import { EventBridgeClient } from '@aws-sdk/client-eventbridge'; globalThis.__eb = new EventBridgeClient({});",
    slim: true,
  },
  {
    name: 'naive',
    description:
      'aggregated ECR + EventBridge clients, Tracer, classic zod, full credential chain, all eager',
    prelude: [
      "import { ECR } from '@aws-sdk/client-ecr';",
      "import { EventBridge } from '@aws-sdk/client-eventbridge';",
      "import { Tracer } from '@aws-lambda-powertools/tracer';",
      "import '@aws-lambda-powertools/parser/schemas/eventbridge';",
      'globalThis.__clients = [new ECR({}), new EventBridge({}), new Tracer()];',
    ].join('\n'),
    slim: false,
  },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const ratio = (value: number, to: number) => Math.round((value / to) * 100) / 100;
const kb = (bytes: number) => round1(bytes / 1024);

/**
 * Sizes of a bundle of `npm run build` from the metafile it keeps in `<dist>/meta/` (its outputs are
 * named `dist/<bundle>/…`, wherever that dist/ now is).
 */
function sizesOf(root: string, dist: string, bundle: string): { initKB: number; totalKB: number } {
  const meta = path.join(dist, 'meta', `${bundle}.json`);
  if (!existsSync(meta)) return { initKB: 0, totalKB: 0 };
  const metafile = JSON.parse(readFileSync(meta, 'utf8')) as Metafile;
  const { initialBytes, lazyBytes } = measureBundle(metafile, path.join(root, 'dist', bundle, 'index.mjs'));
  return { initKB: kb(initialBytes), totalKB: kb(initialBytes + lazyBytes) };
}

/** Emulator calls served so far, per operation. */
function callCounts(state: EmulatorState): Record<string, number> {
  return Object.fromEntries(
    Object.entries(state.stats.snapshot().operations).map(([operation, counts]) => [operation, counts.calls]),
  );
}

interface InvokeTarget {
  readonly bundle: string;
  readonly build: string;
  readonly file: string;
  readonly eventFile: string;
  readonly event: string;
  readonly functionName: string;
  readonly initKB: number;
  readonly totalKB: number;
  readonly check: (result: unknown) => void;
  readonly profile: boolean;
}

interface ImportTarget {
  readonly bundle: string;
  readonly variant: Variant;
  readonly file: string;
  readonly initKB: number;
  readonly totalKB: number;
}

async function buildImportTargets(tmp: string): Promise<ImportTarget[]> {
  const targets: ImportTarget[] = [];
  for (const bundle of ['guardrail', 'sweep']) {
    for (const variant of VARIANTS) {
      const entry = path.join(tmp, `${bundle}-${variant.name}.ts`);
      writeFileSync(
        entry,
        `${variant.prelude}\nexport { handler } from '../../functions/${bundle}/index.ts';\n`,
      );
      const outdir = path.join(tmp, `${bundle}-${variant.name}`);
      const metafile = await buildLambda(entry, outdir, { slim: variant.slim });
      const file = path.join(outdir, 'index.mjs');
      const { initialBytes, lazyBytes } = measureBundle(metafile, file);
      targets.push({
        bundle,
        variant,
        file,
        initKB: initialBytes / 1024,
        totalKB: (initialBytes + lazyBytes) / 1024,
      });
    }
  }
  return targets;
}

/** Builds `source` into `tmp/<name>` like a Lambda bundle; returns its file and sizes. */
async function buildReference(tmp: string, name: string, source: string, lean: boolean) {
  const entry = path.join(tmp, `${name}.ts`);
  writeFileSync(entry, source);
  const outdir = path.join(tmp, name);
  const metafile = await buildLambda(entry, outdir, { slim: true, lean });
  const file = path.join(outdir, 'index.mjs');
  const { initialBytes, lazyBytes } = measureBundle(metafile, file);
  return { file, initKB: kb(initialBytes), totalKB: kb(initialBytes + lazyBytes) };
}

export async function runColdStartBench(root: string, options: ColdStartOptions): Promise<ColdStartResult> {
  const { runs } = options;
  const tmp = path.join(root, 'bench', '.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const runner = path.join(root, 'bench', 'cold-invoke-runner.mjs');
  const importEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };

  const importTargets = options.invokeOnly ? [] : await buildImportTargets(tmp);
  const bareImport = await buildReference(tmp, 'bare-sdk', BARE_SDK.source, false);
  const bareHandler = await buildReference(tmp, 'bare-sdk-handler', BARE_SDK_HANDLER.source, false);
  const bareHandlerLean = await buildReference(tmp, 'bare-sdk-handler-lean', BARE_SDK_HANDLER.source, true);

  const emulator = await startEmulator({ port: 0, buckets: [{ name: SCOPE_BUCKET, region: REGION }] });
  // Over HTTPS, as functions call AWS: `node:https` and a TLS handshake. Over HTTP the SDK would import
  // `node:http` instead, whose ESM facade loads undici: a cost no function has in Lambda.
  let front: TlsFront | undefined;
  if (opensslAvailable()) front = await startTlsFront(emulator.port, path.join(tmp, 'tls'));
  else
    console.warn('cold start: no openssl command for a loopback certificate; the cold invokes go over HTTP');
  const endpoint = front?.url ?? emulator.url;
  try {
    await emulatorAdmin(emulator.url).seed({
      region: REGION,
      account: ACCOUNT,
      repositories: [{ name: REPOSITORY, imageTagMutability: 'IMMUTABLE' }],
    });
    const guardrailEvent = path.join(root, 'events', FUNCTION_EVENTS.guardrail.sample);
    const sweepEvent = path.join(tmp, 'sweep-event.json');
    writeFileSync(sweepEvent, JSON.stringify(FUNCTION_EVENTS.sweep.event));
    const scopeEvent = path.join(tmp, 'scope-event.json');
    writeFileSync(scopeEvent, JSON.stringify(FUNCTION_EVENTS.scope.event));

    const builds = [{ name: 'shipped', dist: path.join(root, 'dist') }];
    if (options.against !== undefined) builds.push({ name: 'before', dist: path.resolve(options.against) });
    const functions = [
      {
        bundle: 'guardrail',
        eventFile: guardrailEvent,
        check: expectResult('guardrail', ['counts', 'compliant'], 1),
      },
      { bundle: 'sweep', eventFile: sweepEvent, check: expectResult('sweep', ['counts', 'compliant'], 1) },
      { bundle: 'scope', eventFile: scopeEvent, check: expectResult('scope', ['count'], 1) },
    ] as const;
    const invokeTargets: InvokeTarget[] = [];
    for (const { bundle, eventFile, check } of functions) {
      for (const build of builds) {
        const file = path.join(build.dist, bundle, 'index.mjs');
        if (!existsSync(file)) throw new Error(`no ${file}: run npm run build (or give --against a dist/)`);
        invokeTargets.push({
          bundle,
          build: build.name,
          file,
          eventFile,
          event: FUNCTION_EVENTS[bundle].description,
          functionName: `ecr-immutability-guard-${bundle}`,
          ...sizesOf(root, build.dist, bundle),
          check,
          profile: bundle === 'guardrail',
        });
      }
    }
    const bareCheck = expectResult('bare-sdk handler', ['imageTagMutability'], 'IMMUTABLE');
    // The bare-SDK handler twice: the second one's ratio to the first is this run's noise.
    for (const [build, built] of [
      ['bare-sdk', bareHandler],
      ['bare-sdk-again', bareHandler],
      ['bare-sdk-lean', bareHandlerLean],
    ] as const) {
      invokeTargets.push({
        bundle: 'guardrail',
        build,
        file: built.file,
        eventFile: guardrailEvent,
        event: 'the same event: 1 DescribeRepositories, 1 log line',
        functionName: 'bare-sdk-handler',
        initKB: built.initKB,
        totalKB: built.totalKB,
        check: bareCheck,
        profile: build === 'bare-sdk',
      });
    }

    const invoke = (target: InvokeTarget, nodeArgs: readonly string[] = []) =>
      runProcess(
        [...nodeArgs, runner, target.file, target.eventFile, 'report'],
        lambdaEnvironment(target.functionName, endpoint, front?.caFile),
      );
    const limit = limitArgs(endpoint);
    const httpLimit = limitArgs(emulator.url);
    const limitEnv = { ...importEnv, ...(front === undefined ? {} : { NODE_EXTRA_CA_CERTS: front.caFile }) };
    const timeImport = (file: string) =>
      runProcess(['--input-type=module', '-e', `await import(${JSON.stringify(file)})`], importEnv);

    // One checked invocation each (the path measured is the one named, with the calls it makes); it also
    // warms the file cache, as the first import of each other process does.
    const callsOf = new Map<InvokeTarget, Record<string, number>>();
    for (const target of invokeTargets) {
      const before = callCounts(emulator.state);
      target.check(parseReport((await invoke(target)).report).result);
      const after = callCounts(emulator.state);
      callsOf.set(
        target,
        Object.fromEntries(
          Object.entries(after)
            .map(([operation, calls]) => [operation, calls - (before[operation] ?? 0)] as const)
            .filter(([, calls]) => calls > 0),
        ),
      );
    }
    await runProcess(limit, limitEnv);
    await runProcess(httpLimit, importEnv);
    await runProcess(['-e', '0'], importEnv);
    if (!options.invokeOnly) await timeImport(bareImport.file);
    for (const target of importTargets) await timeImport(target.file);

    // Interleaved, so drift on a shared machine hits every process alike.
    const baseline: number[] = [];
    const limits: number[] = [];
    const httpLimits: number[] = [];
    const bareImportSamples: number[] = [];
    const importSamples = new Map<ImportTarget, number[]>(importTargets.map((target) => [target, []]));
    const invokeSamples = new Map(
      invokeTargets.map((target) => [
        target,
        { ms: [] as number[], importEnd: [] as number[], event: [] as number[], cpu: [] as number[] },
      ]),
    );
    for (let run = 0; run < runs; run++) {
      baseline.push((await runProcess(['-e', '0'], importEnv)).ms);
      limits.push((await runProcess(limit, limitEnv)).ms);
      httpLimits.push((await runProcess(httpLimit, importEnv)).ms);
      for (const target of invokeTargets) {
        const result = await invoke(target);
        const report = parseReport(result.report);
        const samples = invokeSamples.get(target);
        samples?.ms.push(result.ms);
        samples?.importEnd.push(report.importMs);
        samples?.event.push(report.invokeMs - report.importMs);
        samples?.cpu.push(report.cpuMs);
      }
      if (!options.invokeOnly) bareImportSamples.push((await timeImport(bareImport.file)).ms);
      for (const target of importTargets) importSamples.get(target)?.push((await timeImport(target.file)).ms);
      process.stdout.write(`\r  run ${run + 1} of ${runs}`);
    }
    process.stdout.write('\n');

    const nodeBaselineMs = median(baseline);
    const limitMs = median(limits);
    const bareSamples = [...invokeSamples.entries()].find(([target]) => target.build === 'bare-sdk')?.[1];
    const bareInvokeMs = median(bareSamples?.ms ?? []);
    const bareCpuMs = median(bareSamples?.cpu ?? []);
    const invokeRows: ColdInvokeRow[] = invokeTargets.map((target) => {
      const samples = invokeSamples.get(target) ?? { ms: [], importEnd: [], event: [], cpu: [] };
      const ms = median(samples.ms);
      const cpuMs = median(samples.cpu);
      return {
        bundle: target.bundle,
        build: target.build,
        event: target.event,
        initKB: target.initKB,
        totalKB: target.totalKB,
        medianMs: round1(ms),
        ratioToBareSdk: ratio(ms, bareInvokeMs),
        ratioToLimit: ratio(ms, limitMs),
        importEndMs: round1(median(samples.importEnd)),
        eventMs: round1(median(samples.event)),
        cpuMs: round1(cpuMs),
        cpuRatioToBareSdk: ratio(cpuMs, bareCpuMs),
        calls: callsOf.get(target) ?? {},
      };
    });

    let profiles: ProfileSummary[] | undefined;
    if ((options.profileRuns ?? 0) > 0) {
      profiles = [];
      for (const target of invokeTargets.filter((candidate) => candidate.profile)) {
        process.stdout.write(`  profiling ${target.bundle} (${target.build})\n`);
        const dir = path.join(tmp, 'profiles', `${target.bundle}-${target.build}`);
        const files = await profileRuns(
          (nodeArgs) => invoke(target, nodeArgs),
          dir,
          options.profileRuns ?? 0,
        );
        profiles.push(summarizeProfiles(`${target.bundle} (${target.build})`, files));
      }
    }

    const bareImportMs = median(bareImportSamples);
    const importRows = importTargets.map((target) => {
      const medianMs = median(importSamples.get(target) ?? []);
      return {
        bundle: target.bundle,
        variant: target.variant.name,
        description: target.variant.description,
        initKB: round1(target.initKB),
        totalKB: round1(target.totalKB),
        medianMs: round1(medianMs),
        ratioToBareSdk: ratio(medianMs, bareImportMs),
        ratioToNodeBaseline: ratio(medianMs, nodeBaselineMs),
      };
    });
    return {
      measuredAt: new Date().toISOString(),
      runs,
      invoke: {
        transport: front === undefined ? 'http' : 'https',
        nodeBaselineMs: round1(nodeBaselineMs),
        limitMs: round1(limitMs),
        httpLimitMs: round1(median(httpLimits)),
        limitDescription: LIMIT_DESCRIPTION,
        bareSdkDescription: BARE_SDK_HANDLER.description,
        bareSdkLeanDescription: BARE_SDK_HANDLER.leanDescription,
        environment: Object.keys(lambdaEnvironment('f', endpoint, front?.caFile)).filter(
          (key) => key !== 'PATH',
        ),
        rows: invokeRows,
        ...(profiles === undefined ? {} : { profiles }),
      },
      nodeBaselineMs: round1(nodeBaselineMs),
      bareSdk: {
        description: BARE_SDK.description,
        initKB: bareImport.initKB,
        totalKB: bareImport.totalKB,
        medianMs: round1(bareImportMs),
        ratioToNodeBaseline: ratio(bareImportMs, nodeBaselineMs),
      },
      rows: importRows,
    };
  } finally {
    await front?.stop();
    await emulator.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
