/**
 * The package another team installs: `npm pack` of this repository (from the output of `npm run
 * build` and `npm run build:lib`, which `npm test` runs first), installed offline into a throwaway
 * TypeScript CDK app, compiled by tsc as a consumer compiles it (strict, NodeNext) and synthesized.
 * The app lives under test/.tmp/ (gitignored) so that its peer dependencies (aws-cdk-lib,
 * constructs) resolve from this repository's node_modules, as they would from the consumer's own.
 */
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fixtures.ts';

const run = promisify(execFile);
const PACKAGE = 'ecr-immutability-guard';
const MARKER = '// the copy inside the installed package\n';

/** The environment of a child npm or node: this Node first on PATH, no npm lifecycle variables. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

/** Every file under `dir`, as paths relative to it with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noImplicitReturns: true,
    // As `cdk init` sets it: aws-cdk-lib's own declarations need newer libs. The typed-props
    // checks in the app below fail if this package's declarations did not resolve.
    skipLibCheck: true,
    types: [],
    outDir: 'out',
  },
  files: ['app.ts'],
};

const CONSUMER_APP = `import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  EcrImmutabilityGuard,
  EcrImmutabilityGuardOrg,
  type EcrImmutabilityGuardProps,
  type TargetMutability,
} from '${PACKAGE}';

const app = new App();
const stack = new Stack(app, 'ConsumerStack');
const target: TargetMutability = 'IMMUTABLE';
// @ts-expect-error the declarations are typed: a setting ECR does not have is refused
const unknownTarget: TargetMutability = 'SOMETIMES';
void unknownTarget;
const props: EcrImmutabilityGuardProps = {
  targetMutability: target,
  exemptRepositories: ['sandbox/*'],
  alarmTopic: new sns.Topic(stack, 'Alarms'),
};
const guard = new EcrImmutabilityGuard(stack, 'Guard', props);
const exposed: string[] = [guard.guardrailFunction.functionName, guard.sweepStateMachine.stateMachineArn];
void exposed;
// The central organisation deployment: its scope function comes from the package too, and the member
// template for the StackSet is synthesized in-process.
const central = new Stack(app, 'ConsumerOrgStack');
const org = new EcrImmutabilityGuardOrg(central, 'Guard', {
  organizationId: 'o-abcdef1234',
  stackSet: { organizationalUnitIds: ['ou-ab12-cdef3456'], regions: ['eu-west-1'] },
  alarmTopic: new sns.Topic(central, 'Alarms'),
});
void org.scopeFunction.functionName;
app.synth();
`;

describe(`the packed ${PACKAGE} installed in a consumer CDK app`, () => {
  let work: string;
  let installed: string;
  let consumer: string;
  let template: Template;
  let cdkOut: string;

  beforeAll(async () => {
    for (const built of [
      'dist/lib-js/index.js',
      'dist/guardrail/index.mjs',
      'dist/sweep/index.mjs',
      'dist/scope/index.mjs',
    ]) {
      if (!existsSync(path.join(projectRoot, built))) {
        throw new Error(`${built} is missing: run \`npm run build && npm run build:lib\` first`);
      }
    }
    mkdirSync(path.join(projectRoot, 'test', '.tmp'), { recursive: true });
    work = mkdtempSync(path.join(projectRoot, 'test', '.tmp', 'consumer-'));
    // --ignore-scripts: prepack would rebuild dist/ while other test files read it.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: projectRoot,
      env: childEnv(),
    });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];

    consumer = path.join(work, 'app');
    mkdirSync(consumer);
    writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // Offline; --legacy-peer-deps: the peers are already there (this repository's node_modules).
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--legacy-peer-deps', path.join(work, filename)],
      { cwd: consumer, env: childEnv() },
    );
    installed = path.join(consumer, 'node_modules', PACKAGE);

    writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    writeFileSync(path.join(consumer, 'app.ts'), CONSUMER_APP);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer, env: childEnv() }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`the consumer app does not compile:\n${error.stdout ?? String(error)}`);
      },
    );

    // Marks the installed guardrail bundle, so the synthesized asset shows which copy was used.
    appendFileSync(path.join(installed, 'dist', 'guardrail', 'index.mjs'), MARKER);
    cdkOut = path.join(consumer, 'cdk.out');
    await run(process.execPath, ['out/app.js'], { cwd: consumer, env: childEnv({ CDK_OUTDIR: cdkOut }) });
    template = Template.fromJSON(
      JSON.parse(readFileSync(path.join(cdkOut, 'ConsumerStack.template.json'), 'utf8')) as Record<
        string,
        unknown
      >,
    );
  }, 240_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships the compiled library, its declarations, the three Lambda bundles and the CLI, and no TypeScript source', () => {
    const files = filesUnder(installed);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/lib-js/index.js',
        'dist/lib-js/types/infra/index.d.ts',
        'dist/guardrail/index.mjs',
        'dist/sweep/index.mjs',
        'dist/scope/index.mjs',
        'dist/bin/ecr-guard.mjs',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('dist/meta/'))).toEqual([]);
  });

  it('needs nothing at run time beyond its peer dependencies: npm installed no other package', () => {
    const modules = readdirSync(path.join(consumer, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(modules).toEqual([PACKAGE]);
  });

  it('deploys each function from the bundle inside the installed package', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const byName = (name: string) => {
      const entry = Object.entries(functions).find(([id]) => id.startsWith(`Guard${name}Function`));
      if (entry === undefined) throw new Error(`no ${name} function in ${Object.keys(functions).join(', ')}`);
      const code: unknown = entry[1].Properties.Code;
      const key = typeof code === 'object' && code !== null && 'S3Key' in code ? String(code.S3Key) : '';
      return path.join(cdkOut, `asset.${key.replace(/\.zip$/, '')}`);
    };
    for (const [name, bundle] of [
      ['Guardrail', 'guardrail'],
      ['Sweep', 'sweep'],
    ] as const) {
      const asset = byName(name);
      expect(filesUnder(asset)).toEqual(filesUnder(path.join(installed, 'dist', bundle)));
      expect(readFileSync(path.join(asset, 'index.mjs'), 'utf8')).toBe(
        readFileSync(path.join(installed, 'dist', bundle, 'index.mjs'), 'utf8'),
      );
    }
    expect(readFileSync(path.join(byName('Guardrail'), 'index.mjs'), 'utf8').endsWith(MARKER)).toBe(true);
    template.allResourcesProperties('AWS::Lambda::Function', { Handler: 'index.handler' });
  });

  it('synthesizes the guardrail rule on ECR CloudTrail events, the sweep schedule and its state machine', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecr'] },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::SQS::Queue', 1);
  });

  it('deploys the organisation construct from the package: the scope bundle inside it and the member StackSets', () => {
    const org = Template.fromJSON(
      JSON.parse(readFileSync(path.join(cdkOut, 'ConsumerOrgStack.template.json'), 'utf8')) as Record<
        string,
        unknown
      >,
    );
    const functions = Object.entries(org.findResources('AWS::Lambda::Function'));
    const scope = functions.find(([id]) => id.startsWith('GuardScopeFunction'));
    if (scope === undefined)
      throw new Error(`no scope function in ${functions.map(([id]) => id).join(', ')}`);
    const code: unknown = scope[1].Properties.Code;
    const key = typeof code === 'object' && code !== null && 'S3Key' in code ? String(code.S3Key) : '';
    const asset = path.join(cdkOut, `asset.${key.replace(/\.zip$/, '')}`);
    expect(readFileSync(path.join(asset, 'index.mjs'), 'utf8')).toBe(
      readFileSync(path.join(installed, 'dist', 'scope', 'index.mjs'), 'utf8'),
    );
    // The member role's StackSet (one Region) and the forwarding rule's (every Region).
    const bodies = Object.values(org.findResources('AWS::CloudFormation::StackSet'))
      .map((stackSet) => JSON.stringify(JSON.parse(String(stackSet.Properties.TemplateBody))))
      .sort();
    expect(bodies).toHaveLength(2);
    expect(bodies.filter((body) => body.includes('"RoleName":"EcrImmutabilityGuardMember"'))).toHaveLength(1);
    expect(bodies.filter((body) => body.includes('AWS::Events::Rule'))).toHaveLength(1);
  });

  it('installs the CLI as the ecr-guard command', async () => {
    const { stdout } = await run(path.join(consumer, 'node_modules', '.bin', 'ecr-guard'), ['--help'], {
      cwd: consumer,
      env: childEnv(),
    });
    expect(stdout).toMatch(/^Usage: ecr-guard/);
  });

  it('loads with require() from a CommonJS app too', async () => {
    const { stdout } = await run(
      process.execPath,
      ['-e', `const m = require('${PACKAGE}'); console.log(typeof m.EcrImmutabilityGuard)`],
      { cwd: consumer, env: childEnv() },
    );
    expect(stdout.trim()).toBe('function');
  });
});
