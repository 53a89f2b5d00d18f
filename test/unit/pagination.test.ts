/**
 * Page tokens that come back: every paginating loop of lib/ fails the listing with a
 * RepeatedPageTokenError instead of running forever (lib/pagination.ts) — the ECR listing of the sweep and
 * its creation templates, the Organizations listings, CloudTrail's LookupEvents, Security Hub's GetFindings and
 * the targets of the member forwarding rule (EventBridge ListTargetsByRule).
 */
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { createCloudTrailAdapter } from '../../lib/cloudtrail.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { FORWARDING_RULE_NAME } from '../../lib/forwarding.ts';
import { createForwardingRuleReader } from '../../lib/forwarding-rule.ts';
import { createOrganizationsAdapter } from '../../lib/organizations.ts';
import { pageTokens, RepeatedPageTokenError } from '../../lib/pagination.ts';
import type { Policy } from '../../lib/policy.ts';
import { createSecurityHubAdapter } from '../../lib/securityhub.ts';
import { runSweep } from '../../lib/sweep.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';

const policy: Policy = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] }, exemptRepositories: [] };

describe('pageTokens', () => {
  it('hands each new token on and ends at an absent or empty token', () => {
    const tokens = pageTokens('test');
    expect(tokens.next('a')).toBe('a');
    expect(tokens.next('b')).toBe('b');
    expect(tokens.next(undefined)).toBeUndefined();
    expect(pageTokens('test').next('')).toBeUndefined();
    expect(pageTokens('test').next(null)).toBeUndefined();
  });

  it('fails on a token it has seen, naming the source and the page', () => {
    const tokens = pageTokens('ECR DescribeRepositories');
    tokens.next('a');
    tokens.next('b');
    expect(() => tokens.next('a')).toThrow(new RepeatedPageTokenError('ECR DescribeRepositories', 3).message);
  });

  it('counts the token a listing resumes from as seen', () => {
    expect(() => pageTokens('test', 'resume').next('resume')).toThrow(RepeatedPageTokenError);
  });

  it('for any sequence of tokens, fails exactly when one repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 8 }), (sequence) => {
        const tokens = pageTokens('test');
        const firstRepeat = sequence.findIndex((token, index) => sequence.indexOf(token) < index);
        sequence.forEach((token, index) => {
          if (index === firstRepeat) expect(() => tokens.next(token)).toThrow(RepeatedPageTokenError);
          else if (firstRepeat === -1 || index < firstRepeat) expect(tokens.next(token)).toBe(token);
        });
      }),
    );
  });
});

describe('the sweep over a registry whose listing repeats a token', () => {
  const sweep = (ecr: EcrAdapter, records: AuditRecord[], checkCreationTemplates = false) =>
    runSweep(
      {
        trigger: 'sweep',
        dryRun: true,
        repositoryNames: undefined,
        resume: undefined,
        maxRepositories: undefined,
      },
      {
        ecr,
        policy,
        region: 'eu-west-1',
        now: () => new Date('2026-11-30T00:00:00Z'),
        remainingMs: () => Number.POSITIVE_INFINITY,
        safetyMarginMs: 0,
        maxConcurrency: 2,
        record: (record) => records.push(record),
        checkCreationTemplates,
      },
    );

  it('fails the invocation after deciding the pages it read, instead of looping', async () => {
    const memory = createMemoryEcr({ 'team/a': 'MUTABLE' });
    let pages = 0;
    const looping: EcrAdapter = {
      ...memory,
      async listRepositoryPage() {
        pages += 1;
        return { repositories: [], nextToken: 'same' };
      },
    };
    const records: AuditRecord[] = [];
    await expect(sweep(looping, records)).rejects.toThrow(RepeatedPageTokenError);
    expect(pages).toBe(2);
  });

  it('records the creation templates unlisted when their listing repeats a token, and sweeps on', async () => {
    const memory = createMemoryEcr({ 'team/a': 'MUTABLE' });
    const looping: EcrAdapter = {
      ...memory,
      async listCreationTemplatePage() {
        return { templates: [], nextToken: 'same' };
      },
    };
    const records: AuditRecord[] = [];
    const result = await sweep(looping, records, true);
    expect(result.scanned).toBe(1);
    expect(records).toContainEqual(
      expect.objectContaining({ outcome: 'failed', errorCode: 'RepeatedPageTokenError' }),
    );
  });
});

describe('the Organizations adapter over a listing that repeats a token', () => {
  const organizations = mockClient(OrganizationsClient);
  beforeEach(() => organizations.reset());
  const account = (id: string) => ({ Id: id, Name: id, State: 'ACTIVE' as const });

  it('fails ListAccounts', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [account('111111111111')], NextToken: 'x' })
      .resolves({ Accounts: [account('222222222222')], NextToken: 'x' });
    const lister = createOrganizationsAdapter(new OrganizationsClient({ region: 'us-east-1' }));
    await expect(lister.listAccounts()).rejects.toThrow('Organizations ListAccounts repeated a page token');
  });

  it('fails the walk of an organizational unit', async () => {
    organizations.on(ListAccountsForParentCommand).resolves({ Accounts: [], NextToken: 'y' });
    organizations.on(ListOrganizationalUnitsForParentCommand).resolves({ OrganizationalUnits: [] });
    const lister = createOrganizationsAdapter(new OrganizationsClient({ region: 'us-east-1' }));
    await expect(lister.listAccountsUnder(['ou-ab12-cdef3456'])).rejects.toThrow(RepeatedPageTokenError);
  });
});

describe('the CloudTrail adapter over LookupEvents that repeats a token', () => {
  const trail = mockClient(CloudTrailClient);
  beforeEach(() => trail.reset());

  it('fails the lookup after the page that repeated it', async () => {
    trail.on(LookupEventsCommand).resolves({ Events: [], NextToken: 'z' });
    const adapter = createCloudTrailAdapter(new CloudTrailClient({ region: 'eu-west-1' }), {
      limiter: { acquire: async () => {} },
    });
    await expect(adapter.lookupPushes({ days: 1, now: new Date('2026-11-30T00:00:00Z') })).rejects.toThrow(
      'CloudTrail LookupEvents repeated a page token',
    );
    expect(trail.commandCalls(LookupEventsCommand)).toHaveLength(2);
  });
});

describe('the Security Hub adapter over GetFindings that repeats a token', () => {
  const hub = mockClient(SecurityHubClient);
  beforeEach(() => hub.reset());

  it('fails the pass after the page that repeated it', async () => {
    hub.on(GetFindingsCommand).resolves({ Findings: [], NextToken: 'again' });
    const adapter = createSecurityHubAdapter(new SecurityHubClient({ region: 'eu-west-1' }), fakeClock());
    await expect(
      adapter.findControlFindings({ accountId: '123456789012', region: 'eu-west-1' }),
    ).rejects.toThrow('Security Hub GetFindings repeated a page token');
    expect(hub.commandCalls(GetFindingsCommand)).toHaveLength(2);
  });
});

describe('the forwarding-rule reader over ListTargetsByRule that repeats a token', () => {
  const events = mockClient(EventBridgeClient);
  beforeEach(() => events.reset());

  it('fails the read as an AwsCallError (the sweep counts the account-region unguarded), after the page that repeated it', async () => {
    events.on(DescribeRuleCommand).resolves({ Name: FORWARDING_RULE_NAME, State: 'ENABLED' });
    events.on(ListTargetsByRuleCommand).resolves({ Targets: [], NextToken: 'loop' });
    const reader = createForwardingRuleReader(new EventBridgeClient({ region: 'eu-west-1' }));
    await expect(reader.read(FORWARDING_RULE_NAME)).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'ListTargetsByRule',
      code: 'RepeatedPageTokenError',
      message: expect.stringContaining('EventBridge ListTargetsByRule repeated a page token'),
    });
    expect(events.commandCalls(ListTargetsByRuleCommand)).toHaveLength(2);
  });
});
