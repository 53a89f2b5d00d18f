/**
 * Cold-start benchmark: for each Lambda bundle, its size and the whole-process time of importing
 * it (`node --input-type=module -e "await import(...)"`) as a ratio to `node -e 0`, against
 * variants that each undo one of the bundle's savings, down to a naive bundle (aggregated `ECR`
 * client, Tracer, both clients and the full credential chain loaded eagerly). All in one run, runs
 * interleaved, medians reported: the machines are shared and noisy.
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
  readonly ratioToNodeBaseline: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly nodeBaselineMs: number;
  readonly rows: readonly ColdStartRow[];
}

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

  const baseline: number[] = [];
  const samples = new Map<string, number[]>(targets.map((target) => [target.file, []]));
  // Warm the file cache, then interleave so drift on a shared machine hits every variant alike.
  timeProcess(['-e', '0'], env);
  for (const target of targets)
    timeProcess(['--input-type=module', '-e', `await import(${JSON.stringify(target.file)})`], env);
  for (let run = 0; run < runs; run++) {
    baseline.push(timeProcess(['-e', '0'], env));
    for (const target of targets) {
      samples
        .get(target.file)
        ?.push(
          timeProcess(['--input-type=module', '-e', `await import(${JSON.stringify(target.file)})`], env),
        );
    }
  }
  const nodeBaselineMs = median(baseline);
  const rows = targets.map((target) => {
    const medianMs = median(samples.get(target.file) ?? []);
    return {
      bundle: target.bundle,
      variant: target.variant.name,
      description: target.variant.description,
      initKB: Math.round(target.initKB * 10) / 10,
      totalKB: Math.round(target.totalKB * 10) / 10,
      medianMs: Math.round(medianMs * 10) / 10,
      ratioToNodeBaseline: Math.round((medianMs / nodeBaselineMs) * 100) / 100,
    };
  });
  rmSync(tmp, { recursive: true, force: true });
  return { runs, nodeBaselineMs: Math.round(nodeBaselineMs * 10) / 10, rows };
}
