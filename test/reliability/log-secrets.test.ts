/**
 * Secrets and whole events never appear in the logs. The built bundles run at INFO (every audit
 * record written, VERBOSE_AUDIT on, an audit bus configured) in their own processes against the
 * emulator, over every sample event, the hostile corpus, a sweep with failures and bad input; their
 * stdout and stderr, and the errors they throw (which the Lambda runtime logs), are then searched
 * for the credentials they ran with, access key IDs, and the parts of the events that identify a
 * request or a session rather than a decision.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { REPOSITORY_NAME_PATTERN } from '../../lib/names.ts';
import {
  eventsDir,
  loadReferenceEvent,
  loadSampleEvent,
  referenceEventNames,
  sampleEventNames,
} from '../helpers/fixtures.ts';
import { reliableAdmin } from './harness/admin.ts';
import {
  ACCESS_KEY_PATTERN,
  type Container,
  CREDENTIALS,
  credentialLeaks,
  type Invocation,
  lambdaEnv,
  REGION,
  startContainer,
} from './harness/lambda.ts';
import { writeResult } from './harness/results.ts';
import { SCHEDULED_EVENT } from './harness/sweep.ts';

const corpusDir = path.join(import.meta.dirname, 'corpus');

function corpusEvents(): unknown[] {
  return readdirSync(corpusDir)
    .filter((file) => file.endsWith('.json') && file !== 'expected.json')
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8')));
}

function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * What identifies a request or a session in an event, as opposed to the decision the audit record
 * keeps (actor ARN, source IP and event ID are in the record by design): these must never be logged.
 */
function forbiddenValues(events: readonly unknown[]): Set<string> {
  const values = new Set<string>();
  for (const event of events) {
    for (const keys of [
      ['detail', 'requestID'],
      ['detail', 'userAgent'],
      ['detail', 'userIdentity', 'accessKeyId'],
      ['detail', 'userIdentity', 'principalId'],
      ['detail', 'userIdentity', 'sessionContext', 'sessionIssuer', 'principalId'],
    ]) {
      const value = field(event, ...keys);
      if (typeof value === 'string' && value.length >= 8) values.add(value);
    }
    const tls = field(event, 'detail', 'tlsDetails');
    if (typeof tls === 'object' && tls !== null) {
      for (const value of Object.values(tls)) if (typeof value === 'string') values.add(value);
    }
  }
  // A service's own calls carry its name as user agent, source IP and actor alike: the latter two
  // are in the audit record by design.
  for (const event of events) {
    values.delete(String(field(event, 'detail', 'sourceIPAddress')));
    values.delete(String(field(event, 'detail', 'userIdentity', 'invokedBy')));
  }
  return values;
}

/** Keys that only a copy of a whole CloudTrail record would put in a log line. */
const EVENT_ONLY_KEYS = [
  '"userIdentity"',
  '"tlsDetails"',
  '"requestParameters"',
  '"responseElements"',
  '"sessionContext"',
  '"userAgent"',
];

describe('the logs of the built bundles at INFO', () => {
  let emulator: RunningEmulator;
  const containers: Container[] = [];
  const invocations: Invocation[] = [];
  const events: unknown[] = [];
  const started = Date.now();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    const admin = reliableAdmin(emulator.url);
    const env = lambdaEnv(emulator.url, {
      VERBOSE_AUDIT: 'true',
      AUDIT_EVENT_BUS_NAME: 'security-audit',
      EXEMPT_TAG_KEY: 'ecr-guard:exempt',
      EXEMPT_REPOSITORIES: 'sandbox/**',
      AWS_MAX_ATTEMPTS: '1',
    });
    events.push(
      ...sampleEventNames().map(loadSampleEvent),
      ...referenceEventNames().map(loadReferenceEvent),
      ...corpusEvents(),
    );
    // Every repository an event names exists (MUTABLE), so creations do not wait out their describe retry.
    const named = new Set<string>();
    for (const event of events) {
      for (const keys of [
        ['detail', 'requestParameters', 'repositoryName'],
        ['detail', 'serviceEventDetails', 'repositoryName'],
      ]) {
        const name = field(event, ...keys);
        if (
          typeof name === 'string' &&
          REPOSITORY_NAME_PATTERN.test(name) &&
          name.length >= 2 &&
          name.length <= 256
        ) {
          named.add(name);
        }
      }
    }
    const seed = async () =>
      admin.seed({
        region: REGION,
        repositories: [
          ...[...named].map((name) => ({ name, imageTagMutability: 'MUTABLE' as const })),
          {
            name: 'vendor/mirror',
            imageTagMutability: 'MUTABLE',
            tags: { 'ecr-guard:exempt': 'vendor mirror' },
          },
          { name: 'sandbox/play', imageTagMutability: 'MUTABLE' },
          { name: 'svc/compliant', imageTagMutability: 'IMMUTABLE' },
        ],
      });
    const guardrail = await startContainer('guardrail', env);
    const sweep = await startContainer('sweep', env);
    containers.push(guardrail, sweep);

    for (const event of events) {
      await seed();
      invocations.push(await guardrail.invoke(event));
    }
    // A real change padded with a 1 MB user agent.
    const padded = loadSampleEvent('put-image-tag-mutability-mutable.json');
    (padded.detail as Record<string, unknown>).userAgent = `${'u'.repeat(1024 * 1024)}-padded`;
    events.push(padded);
    await seed();
    invocations.push(await guardrail.invoke(padded));

    // Failure paths: a throttled describe (rethrown for redelivery), failing puts (a failed record at
    // ERROR) and an audit bus that refuses every event (warnings).
    await seed();
    await admin.faults({ DescribeRepositories: { throttle: { probability: 1 } } });
    invocations.push(await guardrail.invoke(loadSampleEvent('put-image-tag-mutability-mutable.json')));
    await admin.faults({
      PutImageTagMutability: { serverErrorProbability: 1 },
      PutEvents: { serverErrorProbability: 1 },
    });
    invocations.push(
      await sweep.invoke({
        repositoryNames: ['payments/api', 'vendor/mirror', 'sandbox/play', 'svc/compliant'],
      }),
    );
    await admin.clearFaults();
    invocations.push(await sweep.invoke(SCHEDULED_EVENT));
    invocations.push(await sweep.invoke({ repositoryNames: ['payments/api', 'svc/missing'] }));
    invocations.push(await sweep.invoke({ dryrun: true, secret: CREDENTIALS.AWS_SECRET_ACCESS_KEY }));
    invocations.push(await sweep.invoke({ nextToken: 'not-a-token' }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(containers.map((container) => container.stop()));
    await emulator.stop();
  });

  function everything(): string[] {
    const lines = [
      ...containers.flatMap((container) => container.initLogs.map((line) => line.text)),
      ...invocations.flatMap((invocation) => invocation.logs.map((line) => line.text)),
    ];
    // The Lambda runtime logs a thrown error's type and message.
    for (const invocation of invocations) {
      if (invocation.error !== undefined) lines.push(`${invocation.error.name}: ${invocation.error.message}`);
    }
    return lines;
  }

  it('captured audit records, warnings and errors to search', () => {
    const levels = new Set(
      invocations.flatMap((invocation) => invocation.logs.map((line) => line.json?.level)),
    );
    expect([...levels]).toEqual(expect.arrayContaining(['INFO', 'WARN', 'ERROR']));
    expect(invocations.flatMap((invocation) => invocation.records).length).toBeGreaterThan(20);
  });

  it('never contains the credentials the functions ran with, nor any access key ID', () => {
    const lines = everything();
    for (const secret of Object.values(CREDENTIALS)) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(lines.filter((line) => ACCESS_KEY_PATTERN.test(line))).toEqual([]);
    expect(credentialLeaks()).toEqual([]);
  });

  it('never contains request IDs, user agents, TLS details, session principals or whole events', () => {
    const lines = everything();
    const forbidden = forbiddenValues(events);
    expect(forbidden.size).toBeGreaterThan(10);
    for (const value of forbidden) {
      expect(
        lines.filter((line) => line.includes(value)).map((line) => line.slice(0, 300)),
        `logged: ${value.slice(0, 80)}`,
      ).toEqual([]);
    }
    for (const key of EVENT_ONLY_KEYS) expect(lines.filter((line) => line.includes(key))).toEqual([]);
    // No line grows with the input: the 1 MB event produced ordinary lines.
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(16_384);

    writeResult({
      id: 'security-01-logs',
      group: 'security',
      title: 'secrets and whole events never logged at INFO',
      faults: 'throttled describe, failing puts and audit bus, hostile corpus, a 1 MB event, bad sweep input',
      repositories: 8,
      work: `${invocations.length} invocations over ${events.length} events (samples in ${path.basename(eventsDir)}/, reference events, corpus)`,
      outcomes: {
        'log lines searched': lines.length,
        'forbidden values': forbidden.size + Object.keys(CREDENTIALS).length,
      },
      injected: {},
      writes: 0,
      after:
        'no credential, access key ID, request ID, user agent, TLS detail or session principal in any line',
      verified: [
        'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN of the functions appear nowhere',
        'no AKIA…/ASIA… access key ID appears, including the events’ own',
        'no requestID, userAgent, tlsDetails value or principalId of any event appears; no line carries userIdentity, requestParameters or responseElements',
        'no log line is longer than 16 KB, whatever the event size',
      ],
      durationMs: Date.now() - started,
    });
  });
});
