/**
 * esbuild plugins that make a Lambda bundle's cold start do only what its first event needs
 * (docs/architecture.md, "Lambda bundles"). The SDK, Middy and Powertools stay as they are; what changes is
 * how their Node built-ins are loaded and three SDK modules that look for things Lambda does not have.
 * `npm run bench -- --only cold-start --profile` shows where the milliseconds go with and without them.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import type * as esbuild from 'esbuild';

/**
 * Node built-ins without their ESM facades. A static `import … from 'node:crypto'` makes Node build a facade
 * module that reads every export of the built-in once, getters included: `node:crypto`'s `webcrypto` and
 * `subtle` load the Web Crypto API, `node:fs`'s `promises` and file streams load `fs/promises` (and readline),
 * `node:process`'s `report` the diagnostic report. Here such an import becomes a CommonJS module over
 * `process.getBuiltinModule`, whose exports esbuild reads where the code uses them. Dynamic `import()`s keep
 * Node's namespace (they run only on the path that needs them), as do `require()` calls, which build no facade.
 * https://nodejs.org/api/process.html#processgetbuiltinmoduleid
 */
const nodeBuiltinsPlugin: esbuild.Plugin = {
  name: 'node-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtinModules.includes(name)) return undefined;
      return { path: name, namespace: 'node-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * SDK modules replaced by equivalents with the same exports (paths under `node_modules/`):
 * - No shared config or credentials files: Lambda has no `~/.aws/config`; the execution role's credentials
 *   (scripts/lambda-credentials.ts) and every SDK setting come in environment variables, which the SDK
 *   still reads first. Without this a client's first call reads both files (through `node:fs/promises`
 *   and the libuv thread pool) for the settings no variable names.
 * - No web globals: Node loads `ReadableStream`, `Blob` and `crypto` (Web Crypto) on their first use
 *   (≈ 2 ms together). The stream checks run on every response body, which the Node HTTP handler always
 *   hands over as a Node stream; the invocation id is a v4 UUID, which `node:crypto` makes as well.
 */
const SDK_MODULES: Readonly<Record<string, string>> = {
  '@smithy/core/dist-es/submodules/config/shared-ini-file-loader/loadSharedConfigFiles.js': [
    'export { CONFIG_PREFIX_SEPARATOR } from "./constants";',
    'export const loadSharedConfigFiles = async () => ({ configFile: {}, credentialsFile: {} });',
  ].join('\n'),
  '@smithy/core/dist-es/submodules/serde/util-stream/stream-type-check.js': [
    'const isNodeStream = (value) => typeof value?.pipe === "function" && typeof value?.on === "function";',
    'export const isReadableStream = (stream) => !isNodeStream(stream) && typeof ReadableStream === "function" &&',
    '    (stream?.constructor?.name === ReadableStream.name || stream instanceof ReadableStream);',
    'export const isBlob = (blob) => !isNodeStream(blob) && typeof Blob === "function" &&',
    '    (blob?.constructor?.name === Blob.name || blob instanceof Blob);',
  ].join('\n'),
  '@smithy/core/dist-es/submodules/serde/uuid/v4.js': [
    'import { randomUUID } from "node:crypto";',
    'export function bindV4() {',
    '    return () => randomUUID();',
    '}',
  ].join('\n'),
};

function sdkModulesPlugin(root: string): esbuild.Plugin {
  return {
    name: 'lambda-sdk-modules',
    setup(build) {
      for (const [file, contents] of Object.entries(SDK_MODULES)) {
        const target = path.join(root, 'node_modules', file);
        // A module that moved in a new SDK version fails the build, rather than silently ship unreplaced.
        if (!existsSync(target)) throw new Error(`scripts/lambda-startup.ts: no ${file} any more`);
        const exact = new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        build.onLoad({ filter: exact }, () => ({ contents, loader: 'js' }));
      }
    },
  };
}

/** The plugins of every Lambda bundle, for the project at `root`. */
export function lambdaStartupPlugins(root: string): esbuild.Plugin[] {
  return [nodeBuiltinsPlugin, sdkModulesPlugin(root)];
}
