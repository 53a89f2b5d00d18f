/**
 * `npm run bench`: runs every benchmark in one process, prints tables and writes
 * bench/results.json. Figures are ratios measured in the same run (the machines are shared).
 *   npm run bench                 all parts
 *   npm run bench -- --only cold-start
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runColdStartBench } from './cold-start.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { only: { type: 'string' }, runs: { type: 'string', default: '15' } },
});
const parts = values.only === undefined ? ['cold-start'] : values.only.split(',');
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  },
};

function table<Row extends object>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const line = (row: readonly string[]) =>
    row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ');
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

if (parts.includes('cold-start')) {
  const runs = Number(values.runs);
  console.log(`cold start: median of ${runs} runs per bundle, interleaved\n`);
  const coldStart = await runColdStartBench(root, runs);
  results.coldStart = coldStart;
  console.log(`node -e 0: ${coldStart.nodeBaselineMs} ms`);
  console.log(
    table(coldStart.rows, ['bundle', 'variant', 'initKB', 'totalKB', 'medianMs', 'ratioToNodeBaseline']),
  );
  console.log();
}

const file = path.join(root, 'bench', 'results.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${path.relative(root, file)}`);
