/**
 * Per-account outcome metrics from the built bundles, against an organisation (./org-backend.ts: the
 * emulator, or moto under `npm run test:moto`): the EMF a member sweep or member event writes carries {service, AccountId} for
 * the outcome counts; a sweep of the function's own account writes the {service} document alone
 * (docs/architecture.md, "Metrics").
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_DIMENSION } from '../../lib/audit.ts';
import { MUTABLE_EVERY, REPOSITORIES_PER_ACCOUNT_REGION } from '../../scripts/org-seed.ts';
import { captureStdoutEmf, type EmfDocument } from '../helpers/emf.ts';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { type OrgBackend, startOrgBackend } from './org-backend.ts';

const HOME_REGION = 'eu-west-1';
const MUTABLE_PER_ACCOUNT_REGION = REPOSITORIES_PER_ACCOUNT_REGION / MUTABLE_EVERY;
const SERVICE = 'ecr-immutability-guard';

const withAccount = (documents: EmfDocument[]) =>
  documents.filter((document) => document.dimensions.flat().includes(ACCOUNT_DIMENSION));

describe('per-account outcome metrics of the built bundles', () => {
  let org: OrgBackend;
  let emf: ReturnType<typeof captureStdoutEmf> | undefined;
  const managementContext = () => ({
    ...fakeContext(60_000),
    invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${org.accounts.management}:function:ecr-guard`,
  });
  const env = () => ({
    AWS_ENDPOINT_URL: org.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: org.caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: org.caller.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });

  beforeAll(async () => {
    org = await startOrgBackend();
  });
  beforeEach(async () => {
    await org.reset();
  });
  afterEach(() => {
    emf?.stop();
    emf = undefined;
    restoreBundleEnv();
  });
  afterAll(async () => {
    await org?.stop();
  });

  it('a member sweep counts its outcomes under {service, AccountId} with the member’s id', async () => {
    const { payments } = org.accounts;
    const handler = await loadBundle('sweep', env());
    emf = captureStdoutEmf();
    await handler({ accountId: payments, region: 'us-east-1' }, managementContext());
    const documents = emf.documents();
    emf.stop();
    expect(withAccount(documents)).toEqual([
      {
        namespace: 'EcrImmutabilityGuard',
        dimensions: [['service', ACCOUNT_DIMENSION]],
        dimensionValues: { service: SERVICE, [ACCOUNT_DIMENSION]: payments },
        metrics: { Compliant: REPOSITORIES_PER_ACCOUNT_REGION - MUTABLE_PER_ACCOUNT_REGION },
      },
      {
        namespace: 'EcrImmutabilityGuard',
        dimensions: [['service', ACCOUNT_DIMENSION]],
        dimensionValues: { service: SERVICE, [ACCOUNT_DIMENSION]: payments },
        metrics: { Remediated: MUTABLE_PER_ACCOUNT_REGION },
      },
    ]);
  }, 60_000);

  it('a sweep of its own account writes only the {service} document, as before', async () => {
    const handler = await loadBundle('sweep', env());
    emf = captureStdoutEmf();
    await handler({}, managementContext());
    const documents = emf.documents();
    emf.stop();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      dimensions: [['service']],
      metrics: { Remediated: MUTABLE_PER_ACCOUNT_REGION },
    });
  }, 60_000);

  it('a member event the guardrail fixed counts under {service, AccountId}', async () => {
    const { payments } = org.accounts;
    await org.seed(payments, 'us-east-1', [{ name: 'payments/api', mutability: 'MUTABLE' }]);
    const sample = loadSampleEvent('create-repository-default-mutable.json');
    const handler = await loadBundle('guardrail', { ...env(), ORGANIZATION_MODE: 'true' });
    emf = captureStdoutEmf();
    await handler({ ...sample, account: payments, region: 'us-east-1' }, managementContext());
    const documents = emf.documents();
    emf.stop();
    expect(withAccount(documents)).toMatchObject([
      { dimensionValues: { [ACCOUNT_DIMENSION]: payments }, metrics: { Remediated: 1 } },
    ]);
  }, 60_000);
});
