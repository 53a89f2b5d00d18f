/**
 * The layers of docs/architecture.md ("Module map") as the imports draw them: the CLI (bin/) and the
 * functions (functions/) share lib/ only, the constructs (infra/) take lib/ only, and no module of bin/,
 * lib/, functions/ or infra/ reaches itself again through its imports (static or dynamic, type-only ones
 * included: a circle is a circle to a reader).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fixtures.ts';

const FOLDERS = ['bin', 'lib', 'functions', 'infra'] as const;

/** Every TypeScript module of the folders, by its path from the project root. */
function modules(): string[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(path.join(projectRoot, folder), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => path.relative(projectRoot, path.join(entry.parentPath, entry.name))),
  );
}

/** The project modules `file` imports: `import … from './x.ts'`, `export … from`, `import('./x.ts')`. */
function importsOf(file: string): string[] {
  const source = readFileSync(path.join(projectRoot, file), 'utf8');
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  return [...source.matchAll(pattern)].flatMap((match) =>
    match[1] === undefined ? [] : [path.normalize(path.join(path.dirname(file), match[1]))],
  );
}

const graph = new Map(modules().map((file) => [file, importsOf(file)]));

/** Each circle once, as the list of modules that form it. */
function circles(): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const circle = stack.slice(stack.indexOf(next));
        found.set([...circle].sort().join(' '), circle);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file);
  return [...found.values()];
}

describe('the layers of bin/, lib/, functions/ and infra/', () => {
  it('reads the imports (the check is live)', () => {
    expect(graph.get(path.join('bin', 'program.ts'))).toContain(path.join('bin', 'options.ts'));
  });

  it.each([
    ['bin', 'functions'],
    ['functions', 'bin'],
    ['lib', 'bin'],
    ['lib', 'functions'],
    ['lib', 'infra'],
    ['infra', 'bin'],
    ['infra', 'functions'],
    ['bin', 'infra'],
    ['functions', 'infra'],
  ])('%s/ imports nothing from %s/', (from, to) => {
    const crossings = [...graph].flatMap(([file, imports]) =>
      file.startsWith(`${from}${path.sep}`)
        ? imports
            .filter((target) => target.startsWith(`${to}${path.sep}`))
            .map((target) => `${file} -> ${target}`)
        : [],
    );
    expect(crossings).toEqual([]);
  });

  it('has no import circle', () => {
    expect(circles()).toEqual([]);
  });
});
