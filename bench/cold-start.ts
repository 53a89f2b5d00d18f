/**
 * Cold-start benchmark: for each Lambda bundle, its size and the whole-process time of importing
 * it (`node --input-type=module -e "await import(...)"`) as a ratio to a bare-SDK bundle built and
 * timed in the same run (it only imports and constructs the modular `ECRClient` and handles
 * nothing), against variants that each undo one of the bundle's savings, down to a naive bundle
 * (aggregated `ECR` client, Tracer, both clients and the full credential chain loaded eagerly).
 * All in one run, runs interleaved, medians reported: the machines are shared and noisy, and a
 * ratio to `node -e 0` alone moved from 2.09 × to 3.67 × between two machines, so it is kept for
 * orientation only.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildLambda, measureBundle } from '../scripts/build.ts';

export interface ColdStartRow {
  readonly bundle: string;
  readonly variant: string;
  readonly description: string;
  readonly initKB: number;
  readonly totalKB: number;
  readonly medianMs: number;
  /** Import time over the bare-SDK bundle's, measured in the same run: the figure to quote. */
  readonly ratioToBareSdk: number;
  readonly ratioToNodeBaseline: number;
}

export interface ColdStartResult {
  /** When this part ran (`npm run bench -- --only sweep` keeps it, and rewrites the file's `date`). */
  readonly measuredAt: string;
  readonly runs: number;
  readonly nodeBaselineMs: number;
  /** The reference: a bundle that imports and constructs the bare `ECRClient`, and nothing else. */
  readonly bareSdk: {
    readonly description: string;
    readonly initKB: number;
    readonly totalKB: number;
    readonly medianMs: number;
    readonly ratioToNodeBaseline: number;
  };
  readonly rows: readonly ColdStartRow[];
}

/** Built like the shipped bundles (same esbuild settings, slim credentials); handles nothing. */
const BARE_SDK = {
  description:
    'imports and constructs the bare @aws-sdk/client-ecr ECRClient, built like the shipped bundles; no handler',
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

function timeProcess(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${String(result.stderr)}`);
  return elapsed;
}

export async function runColdStartBench(root: string, runs = 15): Promise<ColdStartResult> {
  const tmp = path.join(root, 'bench', '.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };

  const targets: { bundle: string; variant: Variant; file: string; initKB: number; totalKB: number }[] = [];
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

  const bareEntry = path.join(tmp, 'bare-sdk.ts');
  writeFileSync(bareEntry, BARE_SDK.source);
  const bareMetafile = await buildLambda(bareEntry, path.join(tmp, 'bare-sdk'), { slim: true });
  const bareFile = path.join(tmp, 'bare-sdk', 'index.mjs');
  const bareBytes = measureBundle(bareMetafile, bareFile);

  const baseline: number[] = [];
  const bareSamples: number[] = [];
  const samples = new Map<string, number[]>(targets.map((target) => [target.file, []]));
  const timeImport = (file: string) =>
    timeProcess(['--input-type=module', '-e', `await import(${JSON.stringify(file)})`], env);
  // Warm the file cache, then interleave so drift on a shared machine hits every variant alike.
  timeProcess(['-e', '0'], env);
  timeImport(bareFile);
  for (const target of targets) timeImport(target.file);
  for (let run = 0; run < runs; run++) {
    baseline.push(timeProcess(['-e', '0'], env));
    bareSamples.push(timeImport(bareFile));
    for (const target of targets) samples.get(target.file)?.push(timeImport(target.file));
  }
  const nodeBaselineMs = median(baseline);
  const bareMs = median(bareSamples);
  const ratio = (ms: number, to: number) => Math.round((ms / to) * 100) / 100;
  const rows = targets.map((target) => {
    const medianMs = median(samples.get(target.file) ?? []);
    return {
      bundle: target.bundle,
      variant: target.variant.name,
      description: target.variant.description,
      initKB: Math.round(target.initKB * 10) / 10,
      totalKB: Math.round(target.totalKB * 10) / 10,
      medianMs: Math.round(medianMs * 10) / 10,
      ratioToBareSdk: ratio(medianMs, bareMs),
      ratioToNodeBaseline: ratio(medianMs, nodeBaselineMs),
    };
  });
  rmSync(tmp, { recursive: true, force: true });
  return {
    measuredAt: new Date().toISOString(),
    runs,
    nodeBaselineMs: Math.round(nodeBaselineMs * 10) / 10,
    bareSdk: {
      description: BARE_SDK.description,
      initKB: Math.round((bareBytes.initialBytes / 1024) * 10) / 10,
      totalKB: Math.round(((bareBytes.initialBytes + bareBytes.lazyBytes) / 1024) * 10) / 10,
      medianMs: Math.round(bareMs * 10) / 10,
      ratioToNodeBaseline: ratio(bareMs, nodeBaselineMs),
    },
    rows,
  };
}
