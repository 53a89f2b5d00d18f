/**
 * Where a cold invocation's milliseconds go: runs it under `node --cpu-prof` and summarises the V8 CPU
 * profiles (https://nodejs.org/api/cli.html#--cpu-prof) by module and by function, self time (the
 * function itself) and total time (it and what it called), averaged over the runs. Minified bundles are
 * mapped back to their sources with their source maps (`node:module` SourceMap), so a sample in
 * dist/guardrail/index.mjs is charged to, say, `@smithy/core (endpoints)` or `lib/events.ts`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One entry of a top list: milliseconds per invocation (mean over the runs). */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly label: string;
  readonly runs: number;
  /** From the profiler's start (early in Node's bootstrap) to the process's exit, per run. */
  readonly profiledMs: number;
  /** Waiting (for the network, mostly), per run. */
  readonly idleMs: number;
  /** Where the CPU was, by the module of the running function (Node's own modules included). */
  readonly selfByModule: readonly ProfileEntry[];
  /** The bundles' modules with everything they called (Node's work they asked for included). */
  readonly totalByModule: readonly ProfileEntry[];
  readonly selfByFunction: readonly ProfileEntry[];
  readonly totalByFunction: readonly ProfileEntry[];
}

/** The parts of a `.cpuprofile` read here. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
      readonly columnNumber: number;
    };
    readonly children?: readonly number[];
    readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[];
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Sampling interval in microseconds: a cold invoke is ~100 ms, the default 1 ms would give ~100 samples. */
const INTERVAL_US = 100;
const TOP = 5;
/** The longest time one sample may stand for (see {@link summarizeProfiles}). */
const MAX_SAMPLE_US = 10 * INTERVAL_US;

/**
 * Runs `run` `count` times with the profiler on, writing into `dir`; returns the profile files.
 * `run` gets the Node flags to put before the script.
 */
export async function profileRuns(
  run: (nodeArgs: readonly string[]) => Promise<unknown>,
  dir: string,
  count: number,
): Promise<string[]> {
  for (let index = 0; index < count; index++) {
    await run(['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(INTERVAL_US)]);
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(dir, name));
}

interface Frame {
  readonly module: string;
  readonly fn: string;
  /** Code of a bundle (mapped to a package or a project file), as opposed to Node's, V8's or the runner's. */
  readonly bundled: boolean;
}

const PSEUDO = new Set(['(program)', '(garbage collector)', '(idle)', '(root)']);

/** The module a source belongs to: a package (with @smithy/core's and @aws-sdk/core's submodule), or a project file. */
function moduleOfSource(source: string): string {
  const at = source.lastIndexOf('node_modules/');
  if (at < 0) return source.replace(/^(\.\.\/)+/, '');
  const parts = source.slice(at + 'node_modules/'.length).split('/');
  const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? source);
  const submodule = parts.indexOf('submodules');
  return submodule >= 0 && parts[submodule + 1] !== undefined ? `${name} (${parts[submodule + 1]})` : name;
}

/** `node:internal/modules/esm/loader` → `node:internal/modules`; `node:http` stays. */
function moduleOfNodeUrl(url: string): string {
  const parts = url.split('/');
  return parts[0] === 'node:internal' && parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
}

interface Resolver {
  frame(callFrame: CallFrame): Frame;
  /**
   * A bundle's top-level code is one V8 function per chunk, spanning many source modules: its self time
   * is split by the lines its ticks fell on (bundles are built with a line limit; see scripts/build.ts),
   * each line charged to the module it came from. Undefined for any other frame.
   */
  lines(callFrame: CallFrame, ticks: readonly { line: number; ticks: number }[]): Frame[] | undefined;
}

type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/** Maps call frames to modules and functions, reading each bundle's source map once. */
function createResolver(): Resolver {
  const files = new Map<string, { map: SourceMap; lines: string[] } | undefined>();
  const fileOf = (url: string) => {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (!files.has(file)) {
      let loaded: { map: SourceMap; lines: string[] } | undefined;
      try {
        loaded = {
          map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))),
          lines: readFileSync(file, 'utf8').split('\n'),
        };
      } catch {
        loaded = undefined;
      }
      files.set(file, loaded);
    }
    return { file, loaded: files.get(file) };
  };
  // findOrigin is 1-based; a profile's positions are 0-based. An unmapped position answers `{}`.
  const origin = (map: SourceMap, line: number, column: number) => {
    const found = map.findOrigin(line + 1, column + 1);
    if (!('fileName' in found)) return undefined;
    const source = found.fileName.replace(/^file:\/\//, '');
    const module = moduleOfSource(source);
    const short = source.slice(source.lastIndexOf('/') + 1);
    return {
      ...found,
      module,
      where: `${module === source ? '' : `${module} `}${short}:${found.lineNumber}`,
    };
  };
  return {
    frame(callFrame) {
      const { url, functionName, lineNumber, columnNumber } = callFrame;
      if (url === '') {
        const fn = functionName || '(anonymous)';
        return PSEUDO.has(fn)
          ? { module: fn, fn, bundled: false }
          : { module: '(V8 built-ins)', fn, bundled: false };
      }
      if (url.startsWith('node:')) {
        return {
          module: moduleOfNodeUrl(url),
          fn: `${functionName || '(anonymous)'} ${url}`,
          bundled: false,
        };
      }
      const { file, loaded } = fileOf(url);
      const name = path.basename(file);
      if (loaded !== undefined && functionName === '' && lineNumber === 0 && columnNumber === 0) {
        // Chunk names carry a content hash: all chunks are one entry, so that two builds compare.
        const chunk = name === 'index.mjs' ? name : 'a chunk';
        return { module: `(evaluation of ${chunk})`, fn: `(evaluation of ${chunk})`, bundled: true };
      }
      const found = loaded === undefined ? undefined : origin(loaded.map, lineNumber, columnNumber);
      if (found !== undefined) {
        return {
          module: found.module,
          bundled: true,
          fn: `${found.name ?? (functionName || '(anonymous)')} ${found.where}`,
        };
      }
      return {
        module: name,
        fn: `${functionName || '(anonymous)'} ${name}:${lineNumber + 1}`,
        bundled: false,
      };
    },
    lines(callFrame, ticks) {
      const { url, functionName, lineNumber, columnNumber } = callFrame;
      if (functionName !== '' || lineNumber !== 0 || columnNumber !== 0 || url.startsWith('node:')) {
        return undefined;
      }
      const { loaded } = fileOf(url);
      if (loaded === undefined) return undefined;
      return ticks.map(({ line }) => {
        const text = loaded.lines[line - 1] ?? '';
        const found = origin(loaded.map, line - 1, Math.max(0, text.search(/\S/)));
        return found === undefined
          ? { module: '(unmapped top level)', fn: '(unmapped top level)', bundled: true }
          : { module: found.module, fn: `(top level) ${found.where}`, bundled: true };
      });
    },
  };
}

function top(totals: Map<string, number>, runs: number, count: number): ProfileEntry[] {
  return [...totals.entries()]
    .filter(([name]) => name !== '(idle)' && name !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: Math.round(us / runs / 100) / 10 }));
}

/** Sums the profiles of one target's runs into its top contributors. */
export function summarizeProfiles(label: string, files: readonly string[], count = TOP): ProfileSummary {
  const resolver = createResolver();
  const selfByModule = new Map<string, number>();
  const totalByModule = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const totalByFunction = new Map<string, number>();
  let profiledUs = 0;
  let idleUs = 0;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    profiledUs += profile.endTime - profile.startTime;
    const parent = new Map<number, number>();
    const frames = new Map<number, Frame>();
    /** Where a top-level frame's self time goes: each line's frame, with its share of the ticks. */
    const splits = new Map<number, { frame: Frame; share: number }[]>();
    for (const node of profile.nodes) {
      frames.set(node.id, resolver.frame(node.callFrame));
      for (const child of node.children ?? []) parent.set(child, node.id);
      const ticks = node.positionTicks ?? [];
      const lineFrames = ticks.length > 0 ? resolver.lines(node.callFrame, ticks) : undefined;
      if (lineFrames !== undefined) {
        const all = ticks.reduce((sum, tick) => sum + tick.ticks, 0);
        splits.set(
          node.id,
          lineFrames.map((frame, index) => ({ frame, share: (ticks[index]?.ticks ?? 0) / all })),
        );
      }
    }
    let time = profile.startTime;
    for (let index = 0; index < profile.samples.length; index++) {
      time += profile.timeDeltas[index] ?? 0;
      // A sample stands for the time until the next one, capped: on a loaded machine the sampler thread
      // is sometimes not scheduled for tens of milliseconds, and that gap is not the sampled function's.
      const next =
        index + 1 < profile.samples.length ? (profile.timeDeltas[index + 1] ?? 0) : profile.endTime - time;
      const us = Math.min(Math.max(0, next), MAX_SAMPLE_US);
      const leaf = profile.samples[index] ?? 0;
      const leafFrame = frames.get(leaf);
      if (leafFrame === undefined) continue;
      if (leafFrame.module === '(idle)') idleUs += us;
      for (const { frame, share } of splits.get(leaf) ?? [{ frame: leafFrame, share: 1 }]) {
        add(selfByModule, frame.module, us * share);
        add(selfByFunction, frame.fn, us * share);
      }
      const modules = new Set<string>();
      const functions = new Set<string>();
      for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
        const frame = frames.get(id);
        // Total time is the bundles' code with what it called (Node's work included); Node's, V8's and
        // the runner's own frames wrap everything and would top every list.
        if (frame === undefined || !frame.bundled) continue;
        modules.add(frame.module);
        functions.add(frame.fn);
      }
      for (const module of modules) add(totalByModule, module, us);
      for (const fn of functions) add(totalByFunction, fn, us);
    }
  }
  const runs = Math.max(1, files.length);
  return {
    label,
    runs: files.length,
    profiledMs: Math.round(profiledUs / runs / 100) / 10,
    idleMs: Math.round(idleUs / runs / 100) / 10,
    selfByModule: top(selfByModule, runs, count),
    totalByModule: top(totalByModule, runs, count),
    selfByFunction: top(selfByFunction, runs, count),
    totalByFunction: top(totalByFunction, runs, count),
  };
}
