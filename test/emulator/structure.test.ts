import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../emulator');
const SERVICES = ['ecr', 'events', 'sts', 'organizations', 'cloudtrail', 's3', 'securityhub'];
// Static imports and re-exports (`import … from`, `export … from`, `import type`, bare `import '…'`) and dynamic imports.
const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function modules(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module (relative to emulator/) → the emulator modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of modules(ROOT)) {
    const imports: string[] = [];
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? '';
      if (!specifier.startsWith('.')) continue;
      imports.push(relative(ROOT, resolve(dirname(file), specifier)));
    }
    graph.set(relative(ROOT, file), imports);
  }
  return graph;
}

function folderOf(module: string): string {
  return module.includes('/') ? (module.split('/')[0] ?? '') : '(root)';
}

/** Every import cycle, each as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (module: string, path: string[]): void => {
    const seen = state.get(module);
    // Back to a module still on the path: that path closes a cycle. A finished module adds nothing.
    if (seen === 'visiting') found.push([...path.slice(path.indexOf(module)), module]);
    if (seen === undefined) {
      state.set(module, 'visiting');
      for (const next of graph.get(module) ?? []) visit(next, [...path, module]);
      state.set(module, 'done');
    }
  };
  for (const module of graph.keys()) visit(module, []);
  return found;
}

describe('the emulator source layout', () => {
  const graph = importGraph();

  it('finds the modules and their imports (the check below is not vacuous)', () => {
    expect(graph.get('index.ts')).toContain('core/server.ts');
    expect(graph.get('sts/service.ts')).toContain('core/errors.ts');
    expect([...graph.keys()].filter((module) => module.startsWith('core/')).length).toBeGreaterThan(5);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('resolves every relative import to a module that exists', () => {
    const missing = [...graph].flatMap(([module, imports]) =>
      imports.filter((target) => !graph.has(target)).map((target) => `${module} → ${target}`),
    );
    expect(missing).toEqual([]);
  });

  it('keeps core free of any service or of the composition root', () => {
    const leaks = [...graph]
      .filter(([module]) => folderOf(module) === 'core')
      .flatMap(([module, imports]) =>
        imports.filter((target) => folderOf(target) !== 'core').map((target) => `${module} → ${target}`),
      );
    expect(leaks).toEqual([]);
  });

  it.each(SERVICES)('lets the %s folder import only core and itself, never another service', (service) => {
    const modulesOfService = [...graph].filter(([module]) => folderOf(module) === service);
    expect(modulesOfService.length).toBeGreaterThan(0);
    const leaks = modulesOfService.flatMap(([module, imports]) =>
      imports
        .filter((target) => folderOf(target) !== 'core' && folderOf(target) !== service)
        .map((target) => `${module} → ${target}`),
    );
    expect(leaks).toEqual([]);
  });
});
