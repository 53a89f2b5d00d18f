/**
 * Runs one sweep in its own process so its peak RSS is its own (the emulator runs in the parent).
 *   node bench/sweep-child.ts <shipped|naive> <concurrency>
 * Environment: AWS_ENDPOINT_URL_ECR and dummy credentials. Prints one JSON line: counts, wall time, maxRSS.
 *
 * `shipped` imports dist/sweep/index.mjs and invokes its handler until no nextToken is returned.
 * `naive` is the baseline the issue names (what Cloud Custodian's periodic mode does): pages with the
 * default page size and lists tags for every repository before deciding.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  type Repository,
} from '@aws-sdk/client-ecr';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [mode = 'shipped', concurrencyArg = '4'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);

async function shipped(): Promise<Record<string, number>> {
  const module = (await import(pathToFileURL(path.join(root, 'dist', 'sweep', 'index.mjs')).href)) as {
    handler: (
      event: unknown,
      context: unknown,
    ) => Promise<{ counts: Record<string, number>; nextToken?: string }>;
  };
  const totals: Record<string, number> = {};
  let input: unknown = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  for (;;) {
    const result = await module.handler(input, { getRemainingTimeInMillis: () => 900_000 });
    for (const [outcome, count] of Object.entries(result.counts))
      totals[outcome] = (totals[outcome] ?? 0) + count;
    if (result.nextToken === undefined) return totals;
    input = { nextToken: result.nextToken };
  }
}

async function naive(): Promise<Record<string, number>> {
  const client = new ECRClient({ retryMode: 'adaptive', maxAttempts: 8 });
  const totals: Record<string, number> = { compliant: 0, remediated: 0, failed: 0 };
  const decide = async (repository: Repository) => {
    try {
      await client.send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn }));
      if (repository.imageTagMutability === 'IMMUTABLE') {
        totals.compliant = (totals.compliant ?? 0) + 1;
        return;
      }
      await client.send(
        new PutImageTagMutabilityCommand({
          repositoryName: repository.repositoryName,
          imageTagMutability: 'IMMUTABLE',
        }),
      );
      totals.remediated = (totals.remediated ?? 0) + 1;
    } catch {
      totals.failed = (totals.failed ?? 0) + 1;
    }
  };
  let nextToken: string | undefined;
  do {
    const page = await client.send(new DescribeRepositoriesCommand({ nextToken }));
    const queue = [...(page.repositories ?? [])];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await decide(next);
      }),
    );
    nextToken = page.nextToken;
  } while (nextToken);
  return totals;
}

const started = performance.now();
const counts = mode === 'naive' ? await naive() : await shipped();
const seconds = (performance.now() - started) / 1000;
// Heap still reachable after a full GC: what the sweep retains, as opposed to garbage V8 had not collected yet.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const retainedHeapMiB = process.memoryUsage().heapUsed / 2 ** 20;
console.log(
  JSON.stringify({
    mode,
    counts,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    retainedHeapMiB,
  }),
);
