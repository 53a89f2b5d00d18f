/**
 * The pieces of a cold invoke (bench/cold-start.ts): Lambda's environment, the event each function
 * handles on its common path, the bare-SDK reference handler, and one fresh process that imports a bundle
 * and handles one event (bench/cold-invoke-runner.mjs), timed whole.
 */
import { spawn } from 'node:child_process';
import { resolveGuardSettings } from '../infra/guard-settings.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const SCOPE_BUCKET = 'ecr-guard-bench-scope';
export const REPOSITORY = 'payments/api';

/**
 * What Lambda sets in a nodejs24.x function's environment
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * and what the construct sets for the guard's functions by default (infra/function-environment.ts), with every endpoint on
 * the emulator (over HTTPS, trusting `caFile`, when it is given). The credentials are a session's, as the
 * execution role's are.
 */
export function lambdaEnvironment(
  functionName: string,
  endpoint: string,
  caFile?: string,
): NodeJS.ProcessEnv {
  return {
    ...(caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: caFile }),
    PATH: process.env.PATH,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'ASIABENCHEXAMPLE0001',
    AWS_SECRET_ACCESS_KEY: 'bench/secret/access/key/0000000000000000',
    AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEBench//////////SessionTokenOfTheExecutionRole=',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    _HANDLER: 'index.handler',
    _X_AMZN_TRACE_ID: 'Root=1-6752a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0;Lineage=1',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    // The functions' own settings as the construct sets them by default (NODE_OPTIONS among them; the same
    // for every function without organisation mode).
    ...resolveGuardSettings({}).environment('guardrail'),
    AWS_ENDPOINT_URL_ECR: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
  };
}

/** The events of the cold invokes: each function's common path, on a registry already compliant. */
export const FUNCTION_EVENTS = {
  guardrail: {
    description:
      'CreateRepository (MUTABLE asked) of a repository already IMMUTABLE: 1 DescribeRepositories, 1 audit line',
    /** A sample of events/. */
    sample: 'create-repository-default-mutable.json',
  },
  sweep: {
    description: 'scheduled sweep of a registry of one IMMUTABLE repository: 1 DescribeRepositories page',
    event: {
      version: '0',
      id: '5f0c3a1e-7b2d-4c9e-8a1f-0e2d3c4b5a69',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2026-12-01T03:00:00Z',
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/ecr-immutability-guard-sweep`],
      detail: {},
    },
  },
  scope: {
    description: '"list the scope" of its own account-region into S3: 1 PutObject',
    event: { bucket: SCOPE_BUCKET, key: 'ecr-immutability-guard/scope/bench.json' },
  },
} as const;

/**
 * The reference handler: what a developer writes with nothing but the SDK. The same describe as the
 * guardrail and one log line, bundled by the same esbuild settings with the same environment-only
 * credentials, without the start-up plugins of scripts/lambda-startup.ts (`lean: false`).
 */
export const BARE_SDK_HANDLER = {
  description:
    'a handler over the bare @aws-sdk/client-ecr ECRClient: one DescribeRepositories, one console.log line; same esbuild settings and environment-only credentials as the shipped bundles, none of their start-up plugins',
  leanDescription: 'the same handler, built with the start-up plugins of scripts/lambda-startup.ts',
  source: `import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
const ecr = new ECRClient({});
export const handler = async (event: { account: string; detail: { requestParameters: { repositoryName: string } } }) => {
  const { repositories } = await ecr.send(
    new DescribeRepositoriesCommand({ registryId: event.account, repositoryNames: [event.detail.requestParameters.repositoryName] }),
  );
  const repository = repositories?.[0];
  console.log(JSON.stringify({ repositoryName: repository?.repositoryName, imageTagMutability: repository?.imageTagMutability }));
  return { imageTagMutability: repository?.imageTagMutability };
};
`,
};

export const LIMIT_DESCRIPTION =
  'node -e with one POST to the emulator on 127.0.0.1 (a DescribeRepositories with a credential scope, unsigned): over HTTP, and over HTTPS as the handlers call it';

/** `node -e 0` plus one loopback request (HTTP or HTTPS, as `endpoint` says): the floor no handler can beat. */
export function limitArgs(endpoint: string): string[] {
  const body = JSON.stringify({ repositoryNames: [REPOSITORY] });
  return [
    '-e',
    [
      "const r=require(process.argv[1].startsWith('https:')?'node:https':'node:http').request(process.argv[1],{method:'POST',headers:{",
      "'content-type':'application/x-amz-json-1.1',",
      "'x-amz-target':'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',",
      `authorization:'AWS4-HMAC-SHA256 Credential=ASIABENCHEXAMPLE0001/20261201/${REGION}/ecr/aws4_request, SignedHeaders=host, Signature=0'`,
      "}},(s)=>{s.resume();s.on('end',()=>process.exit(s.statusCode===200?0:1))});",
      `r.end(${JSON.stringify(body)})`,
    ].join(''),
    endpoint,
  ];
}

export interface ProcessRun {
  readonly ms: number;
  /** What the runner wrote to file descriptor 3. */
  readonly report: string;
}

/**
 * Runs `node args` to its end and times the whole process. Asynchronous, so the emulator in this
 * process keeps answering while the child runs.
 */
export function runProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let report = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, report });
    });
  });
}

/** What bench/cold-invoke-runner.mjs reports of one invocation. */
export interface RunnerReport {
  /** Milliseconds from the process's start to the end of the import, and of the invocation. */
  readonly importMs: number;
  readonly invokeMs: number;
  /** CPU time of the main thread by the end of the invocation. */
  readonly cpuMs: number;
  readonly result: unknown;
}

export function parseReport(text: string): RunnerReport {
  const value: unknown = JSON.parse(text);
  if (
    typeof value !== 'object' ||
    value === null ||
    !('importMs' in value) ||
    typeof value.importMs !== 'number' ||
    !('invokeMs' in value) ||
    typeof value.invokeMs !== 'number' ||
    !('cpuMs' in value) ||
    typeof value.cpuMs !== 'number'
  ) {
    throw new Error(`the runner reported ${text}`);
  }
  return {
    importMs: value.importMs,
    invokeMs: value.invokeMs,
    cpuMs: value.cpuMs,
    result: 'result' in value ? value.result : undefined,
  };
}

/** Checks that a handler answered `expected` at `at` (the path measured is the one named), or throws. */
export function expectResult(label: string, at: readonly string[], expected: unknown) {
  return (result: unknown): void => {
    let value: unknown = result;
    for (const key of at) {
      value = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
    }
    if (value !== expected) {
      throw new Error(
        `${label}: expected ${at.join('.')} = ${JSON.stringify(expected)}, got ${JSON.stringify(result)}`,
      );
    }
  };
}
