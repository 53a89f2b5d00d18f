/**
 * The pure core of lib/ (docs/architecture.md, "Module map") loads no AWS SDK, no Powertools and no adapter:
 * every runtime import, followed through lib/, ends in another pure module, zod or a node: built-in. Type-only
 * imports are erased and do not count. A pure module that pulled an adapter in would bring the SDK into the
 * CLI's decision path.
 *
 * infra/ (the construct library) reaches no package of the Lambda code at all: every import of infra/, type-only
 * ones included (the published declarations name them), followed through infra/ and lib/, ends in aws-cdk-lib,
 * constructs, zod, a node: built-in or a module of the project.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fixtures.ts';

const PURE = [
  'audit',
  'aws-retry',
  'concurrency',
  'config',
  'decision',
  'enforce',
  'errors',
  'event-routing',
  'events',
  'exemption-reason',
  'finding-notes',
  'findings-sync',
  'forwarding',
  'iam-actions',
  'names',
  'org-results',
  'org-retry',
  'outcomes',
  'pagination',
  'plan',
  'policy',
  'push-history',
  'rate-limiter',
  'report',
  'report-cells',
  'report-formats',
  'report-html',
  'report-json',
  'report-lines',
  'report-markdown',
  'report-readers',
  'report-sweep-results',
  'report-view',
  'scope',
  'securityhub-limits',
  'settings',
  'sweep',
  'sweep-input',
  'validation',
  'wildcard',
] as const;

/** What a pure module may import from outside lib/. */
const ALLOWED_EXTERNAL = /^(?:node:|zod(?:\/|$))/;

/** The runtime import specifiers of a module (`import type` and `export type` are erased). */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const pattern = /^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) {
    const [, typeOnly, specifier] = match;
    if (typeOnly === undefined && specifier !== undefined) specifiers.push(specifier);
  }
  return specifiers;
}

/** Every module `name` loads at run time, through lib/: lib modules by name, other packages by specifier. */
function closure(name: string): { lib: Set<string>; external: Set<string> } {
  const lib = new Set<string>();
  const external = new Set<string>();
  const pending = [name];
  for (let module = pending.pop(); module !== undefined; module = pending.pop()) {
    if (lib.has(module)) continue;
    lib.add(module);
    for (const specifier of runtimeImports(path.join(projectRoot, 'lib', `${module}.ts`))) {
      if (specifier.startsWith('./')) pending.push(specifier.slice(2).replace(/\.ts$/, ''));
      else external.add(specifier);
    }
  }
  return { lib, external };
}

describe('the pure core of lib/', () => {
  it.each(PURE)('%s loads only pure modules, zod and node built-ins', (name) => {
    const { lib, external } = closure(name);
    expect([...lib].filter((module) => !(PURE as readonly string[]).includes(module))).toEqual([]);
    expect([...external].filter((specifier) => !ALLOWED_EXTERNAL.test(specifier))).toEqual([]);
  });

  it('sees the adapters as impure (the check is live)', () => {
    expect([...closure('ecr').external]).toContain('@aws-sdk/client-ecr');
  });
});

/** Every import specifier of a module: static, re-exports, dynamic and type-only ones. */
function everyImport(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const pattern =
    /(?:^(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?|\bimport\s*\(\s*)['"]([^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].flatMap((match) => (match[1] === undefined ? [] : [match[1]]));
}

/** The packages `entries` reach through the project's own modules, each with a module that imports it. */
function packagesReached(entries: readonly string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of everyImport(path.join(projectRoot, file))) {
      if (specifier.startsWith('.')) pending.push(path.normalize(path.join(path.dirname(file), specifier)));
      else if (!packages.has(specifier)) packages.set(specifier, file);
    }
  }
  return packages;
}

const INFRA = readdirSync(path.join(projectRoot, 'infra'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => path.join('infra', name));

/** What the Lambda code uses and the construct library must not reach. */
const LAMBDA_ONLY = /^@(?:aws-sdk|smithy|aws-lambda-powertools)\//;

describe('the imports of infra/', () => {
  it('reach no AWS SDK, Smithy or Powertools module, type-only imports included', () => {
    const reached = [...packagesReached(INFRA)]
      .filter(([specifier]) => LAMBDA_ONLY.test(specifier))
      .map(([specifier, importer]) => `${importer} -> ${specifier}`);
    expect(reached).toEqual([]);
  });

  it('are read whole (the check is live): an adapter reaches its SDK client', () => {
    expect(INFRA).toContain(path.join('infra', 'index.ts'));
    expect(packagesReached([path.join('lib', 'ecr.ts')]).get('@aws-sdk/client-ecr')).toBe(
      path.join('lib', 'ecr.ts'),
    );
  });
});
