/**
 * Bundles each Lambda to dist/<function>/index.mjs (ESM, minified, sourcemap, node24) and the CLI
 * to dist/bin/ecr-guard.mjs, then prints each bundle's size.
 *
 * Lambda bundles swap the SDK's default credential chain for the environment-only provider: Lambda
 * hands credentials over in environment variables, and the full chain (SSO, STS, INI files,
 * process and instance-metadata providers) is dead weight at cold start. They also load Node's
 * built-ins without ESM facades and leave out SDK lookups Lambda has no use for
 * (scripts/lambda-startup.ts; docs/architecture.md, "Lambda bundles").
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { lambdaStartupPlugins } from './lambda-startup.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Lambda functions: every folder of functions/ with an index.ts, except shared code. */
export function functionNames(): string[] {
  return readdirSync(path.join(root, 'functions'))
    .filter((name) => name !== 'shared' && existsSync(path.join(root, 'functions', name, 'index.ts')))
    .sort();
}

const lambdaCredentialsPlugin: esbuild.Plugin = {
  name: 'lambda-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: path.join(root, 'scripts', 'lambda-credentials.ts'),
    }));
  },
};

const common: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  // Minified code on lines of at most 500 characters rather than one line per chunk, so that a CPU
  // profile's line ticks (`node --cpu-prof`; bench/cpu-profile.ts) map back to the source module.
  lineLimit: 500,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  outExtension: { '.js': '.mjs' },
  // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle one (without
  // importing node:module, whose ESM facade would read all its exports: scripts/lambda-startup.ts).
  banner: {
    js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
  },
  mainFields: ['module', 'main'],
  metafile: true,
  logLevel: 'warning',
};

export interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  /** Bytes loaded at init. */
  readonly bytes: number;
  /** All JavaScript bytes shipped, including chunks loaded on demand. */
  readonly totalBytes: number;
}

/**
 * Bytes loaded at init (the entry and every chunk it imports statically) and bytes loaded only on
 * demand (dynamic imports), from esbuild's metafile.
 */
export function measureBundle(
  metafile: esbuild.Metafile,
  entry: string,
): { initialBytes: number; lazyBytes: number } {
  const outputs = metafile.outputs;
  const initial = new Set<string>();
  const visit = (file: string) => {
    const output = outputs[file];
    if (initial.has(file) || output === undefined) return;
    initial.add(file);
    for (const imported of output.imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(path.relative(root, entry));
  let initialBytes = 0;
  let lazyBytes = 0;
  for (const [file, output] of Object.entries(outputs)) {
    if (!file.endsWith('.mjs')) continue;
    if (initial.has(file)) initialBytes += output.bytes;
    else lazyBytes += output.bytes;
  }
  return { initialBytes, lazyBytes };
}

/** How a Lambda bundle is built; the defaults are what `npm run build` ships. */
export interface LambdaBuildOptions {
  /** The environment-only credential provider instead of the SDK's default chain (default true). */
  readonly slim?: boolean;
  /** The start-up plugins of scripts/lambda-startup.ts (default true; the benchmark's bare-SDK reference is built without). */
  readonly lean?: boolean;
}

/** Builds one Lambda bundle into `outdir`. Exported for the benchmark's baseline builds. */
export async function buildLambda(entry: string, outdir: string, options: LambdaBuildOptions = {}) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...common,
    entryPoints: { index: entry },
    outdir,
    // Split so that dynamically imported code (the EventBridge client, only with an audit bus) is its own chunk.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [
      ...(options.slim === false ? [] : [lambdaCredentialsPlugin]),
      ...(options.lean === false ? [] : lambdaStartupPlugins(root)),
    ],
  });
  if (result.metafile === undefined) throw new Error('esbuild returned no metafile');
  return result.metafile;
}

async function main(): Promise<void> {
  mkdirSync(dist, { recursive: true });
  const bundles: BuiltBundle[] = [];
  for (const name of functionNames()) {
    const outdir = path.join(dist, name);
    const metafile = await buildLambda(path.join(root, 'functions', name, 'index.ts'), outdir);
    // Kept outside the function's folder: that folder is the Lambda asset, shipped as it is.
    mkdirSync(path.join(dist, 'meta'), { recursive: true });
    writeFileSync(path.join(dist, 'meta', `${name}.json`), JSON.stringify(metafile));
    const file = path.join(outdir, 'index.mjs');
    const { initialBytes, lazyBytes } = measureBundle(metafile, file);
    bundles.push({ name, file, bytes: initialBytes, totalBytes: initialBytes + lazyBytes });
  }
  const cliEntry = path.join(root, 'bin', 'ecr-guard.ts');
  if (existsSync(cliEntry)) {
    const outdir = path.join(dist, 'bin');
    rmSync(outdir, { recursive: true, force: true });
    await esbuild.build({
      ...common,
      entryPoints: { 'ecr-guard': cliEntry },
      outdir,
      banner: {
        js: `#!/usr/bin/env node\n${String(common.banner?.js)}`,
      },
    });
    const file = path.join(outdir, 'ecr-guard.mjs');
    // Runnable as `./dist/bin/ecr-guard.mjs` and through npm's `bin` link: the shebang above and mode 0755.
    chmodSync(file, 0o755);
    bundles.push({
      name: 'bin/ecr-guard',
      file,
      bytes: statSync(file).size,
      totalBytes: statSync(file).size,
    });
  }
  for (const bundle of bundles) {
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    const extra =
      bundle.totalBytes > bundle.bytes
        ? ` loaded at init (+ ${kb(bundle.totalBytes - bundle.bytes)} on demand)`
        : '';
    console.log(
      `built ${path.relative(root, bundle.file).padEnd(30)} ${kb(bundle.bytes).padStart(10)}${extra}`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
