/**
 * The pure core of lib/ (docs/architecture.md, "Module map") loads no AWS SDK, no Powertools and no adapter:
 * every runtime import, followed through lib/, ends in another pure module, zod or a node: built-in. Type-only
 * imports are erased and do not count. A pure module that pulled an adapter in would bring the SDK into the
 * CLI's decision path and the construct library's bundle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fixtures.ts';

const PURE = [
  'audit',
  'aws-retry',
  'concurrency',
  'config',
  'enforce',
  'errors',
  'events',
  'exemption-reason',
  'findings-sync',
  'forwarding',
  'names',
  'org-results',
  'org-retry',
  'outcomes',
  'pagination',
  'plan',
  'policy',
  'rate-limiter',
  'report',
  'report-formats',
  'report-html',
  'report-json',
  'report-markdown',
  'report-readers',
  'scope',
  'securityhub-actions',
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
