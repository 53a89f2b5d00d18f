/**
 * The evidence report as a person sees it: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core) opens an HTML report from disk — one rendered here, and one the built CLI
 * (dist/bin/ecr-guard.mjs) wrote of the emulator organisation — and the test reads what is on the screen —
 * the matrix cells, the order of the exemptions, who gathered the data, the hash and the data it is of —
 * takes a screenshot (test/.tmp/report.png, test/.tmp/cli-report.png), and fails on any request other than
 * the file itself, and on any dialog a hostile value could have opened.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emulatorAdmin, startEmulator } from '../../emulator/index.ts';
import { buildEvidence, evidenceHash, reportPolicy, zeroCounts } from '../../lib/report.ts';
import { renderEvidence } from '../../lib/report-formats.ts';
import { MANAGEMENT_ACCESS_KEY, ORG_ACCOUNTS, ORG_REGIONS, orgSeed } from '../../scripts/org-seed.ts';
import { runBuiltCli } from '../helpers/cli.ts';
import { projectRoot } from '../helpers/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const OUT = path.join(projectRoot, 'test', '.tmp');
const A = '111111111111';
const B = '222222222222';
const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

function reportData() {
  const counts = (values: Partial<ReturnType<typeof zeroCounts>>) => ({ ...zeroCounts(), ...values });
  const base = {
    accountName: null,
    status: 'completed' as const,
    scanned: 10,
    code: null,
    reason: null,
  };
  const record = (
    accountId: string,
    subject: string,
    reason: string,
    outcome: 'exempt' | 'remediated' | 'blocked-overwrite' = 'exempt',
  ) => ({
    outcome,
    accountId,
    region: 'eu-west-1',
    subject,
    reason,
    before: 'MUTABLE',
    after: outcome === 'remediated' ? 'IMMUTABLE' : 'MUTABLE',
    trigger: 'sweep',
    dryRun: false,
    actor: null,
    imageTag: outcome === 'blocked-overwrite' ? 'v1' : null,
    errorCode: null,
  });
  return buildEvidence({
    policy: reportPolicy({
      target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
      allowedExclusions: ['latest'],
      exemptRepositories: ['legacy/**'],
      exemptTag: { key: 'ecr-guard:exempt', expiryKey: 'ecr-guard:until' },
    }),
    sources: [
      {
        kind: 'result-writer',
        detail: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/Map:1',
        gatheredAt: '2026-06-01T00:00:00.000Z',
        gatheredBy: 'arn:aws:sts::111111111111:assumed-role/Auditor/alice',
      },
    ],
    accountRegions: [
      {
        ...base,
        accountId: A,
        accountName: 'prod',
        region: 'eu-west-1',
        counts: counts({ compliant: 7, remediated: 2, exempt: 1 }),
      },
      {
        ...base,
        accountId: A,
        region: 'us-east-1',
        status: 'failed',
        code: 'AccessDeniedException',
        reason: 'sts:AssumeRole failed',
        counts: counts({}),
      },
      { ...base, accountId: B, region: 'eu-west-1', counts: counts({ compliant: 9, exempt: 2 }) },
      {
        ...base,
        accountId: B,
        region: 'us-east-1',
        status: 'skipped',
        code: 'suspended',
        reason: 'the account is SUSPENDED',
        counts: counts({}),
      },
    ],
    records: [
      record(A, 'legacy/base', "rule exempt-name: repository name matches 'legacy/**'"),
      record(B, 'vendor/far', "rule exempt-tag: ecr-guard:exempt='vendor image' until 2027-01-31"),
      record(B, `vendor/${HOSTILE}`, `rule exempt-tag: ecr-guard:exempt='${HOSTILE}' until 2026-06-10`),
      record(A, 'app', 'rule target: MUTABLE allows tags to be overwritten', 'remediated'),
      record(
        B,
        'web',
        "push to tag 'v1' refused with ImageTagAlreadyExistsException: the tag is immutable",
        'blocked-overwrite',
      ),
    ],
  });
}

/** What a page shows on screen, read as a person reads it. */
type Rendered = (selector: string) => Promise<string>;

/**
 * Opens `file` in headless Chromium with a fresh profile, hands the page to `check`, then takes a screenshot
 * to `screenshot` and asserts that nothing but the file itself was requested and no dialog opened.
 */
async function openInChromium(
  file: string,
  screenshot: string,
  check: (page: Page, rendered: Rendered) => Promise<void>,
): Promise<void> {
  const url = pathToFileURL(file).href;
  const profile = mkdtempSync(path.join(tmpdir(), 'ecr-guard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const requests: string[] = [];
  const dialogs: string[] = [];
  try {
    context.on('request', (request) => requests.push(request.url()));
    await context.route('**/*', (route) =>
      route.request().url() === url ? route.continue() : route.abort('blockedbyclient'),
    );
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    await page.setViewportSize({ width: 1280, height: 900 });
    const rendered: Rendered = (selector) =>
      // biome-ignore lint/performance/useDomNodeTextContent: what a person reads is the rendered text
      page.locator(selector).first().innerText();
    await check(page, rendered);
    // Nothing from the data became an element, nothing ran, nothing was fetched.
    expect(await page.locator('script, img, iframe, link').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(requests).toEqual([url]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const cellSelector = (account: string, region: string) =>
  `#matrix td[data-account="${account}"][data-region="${region}"]`;

describe('the HTML evidence report in a browser', () => {
  it.skipIf(!hasChromium)(
    hasChromium
      ? 'shows the matrix, the exemptions soonest first and the hash, and requests nothing but itself'
      : 'shows the matrix, the exemptions soonest first and the hash, and requests nothing but itself (skipped: Debian chromium not installed: apt-get install chromium)',
    async () => {
      // Prepare: the report on disk.
      mkdirSync(OUT, { recursive: true });
      const data = reportData();
      const file = path.join(OUT, 'report.html');
      writeFileSync(file, renderEvidence(data, 'html'));
      // Act, and assess what is on the screen.
      await openInChromium(file, path.join(OUT, 'report.png'), async (page, rendered) => {
        // The matrix as read on screen, symbol and word in every cell.
        const cell = (account: string, region: string) => rendered(cellSelector(account, region));
        expect(await cell(A, 'eu-west-1')).toMatch(/^↻\s*remediated\s+7 compliant, 2 remediated, 1 exempt$/);
        expect(await cell(A, 'us-east-1')).toMatch(
          /^✖\s*failed\s+AccessDeniedException: sts:AssumeRole failed; no repositories$/,
        );
        expect(await cell(B, 'eu-west-1')).toMatch(/^◐\s*exempt\s+9 compliant, 2 exempt$/);
        expect(await cell(B, 'us-east-1')).toMatch(/^⊘\s*skipped\s+suspended: the account is SUSPENDED$/);
        // The exemptions, the one expiring within 30 days first, its hostile name shown as text.
        const repositories = await page.locator('#exemptions tbody tr td:nth-child(4)').allInnerTexts();
        expect(repositories).toEqual([`vendor/${HOSTILE}`, 'vendor/far', 'legacy/base']);
        expect(await rendered('#exemptions tbody tr')).toContain('2026-06-10 (within 30 days)');
        // The hash, and the data it is of, as the page shows them.
        expect(await rendered('#sha256')).toBe(evidenceHash(data));
        const shown = await page.locator('#evidence-data').textContent();
        expect(
          createHash('sha256')
            .update(shown ?? '')
            .digest('hex'),
        ).toBe(evidenceHash(data));
      });
    },
    60_000,
  );

  it.skipIf(!hasChromium)(
    hasChromium
      ? 'shows the report the built CLI wrote of the emulator organisation: every account-region, who gathered it, the hash of what it shows'
      : 'shows the report the built CLI wrote of the emulator organisation: every account-region, who gathered it, the hash of what it shows (skipped: Debian chromium not installed: apt-get install chromium)',
    async () => {
      // Prepare: the demo organisation (scripts/org-seed.ts) with a tag exemption expiring in 10 days.
      mkdirSync(OUT, { recursive: true });
      const emulator = await startEmulator({ port: 0 });
      const file = path.join(OUT, 'cli-report.html');
      const until = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
      try {
        const admin = emulatorAdmin(emulator.url);
        await admin.organization(orgSeed());
        await admin.seed({
          account: ORG_ACCOUNTS.payments,
          region: 'eu-west-1',
          repositories: [
            {
              name: 'vendor/mirror',
              imageTagMutability: 'MUTABLE',
              tags: { 'ecr-guard:exempt': 'upstream re-tags', 'ecr-guard:exempt-until': until },
            },
          ],
        });
        // Act: the built CLI, as a person runs it.
        const { code } = await runBuiltCli(
          [
            'report',
            '--org',
            ...ORG_REGIONS.flatMap((region) => ['--region', region]),
            '--exempt-tag-key',
            'ecr-guard:exempt',
            '--exempt-expiry-tag-key',
            'ecr-guard:exempt-until',
            '--output',
            file,
          ],
          {
            AWS_ENDPOINT_URL: emulator.url,
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: MANAGEMENT_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY: 'test',
          },
        );
        expect(code).toBe(0);
      } finally {
        await emulator.stop();
      }
      // Assess: what a person sees.
      await openInChromium(file, path.join(OUT, 'cli-report.png'), async (page, rendered) => {
        const { management, payments, legacy, closed } = ORG_ACCOUNTS;
        const cell = (account: string, region: string) => rendered(cellSelector(account, region));
        for (const region of ORG_REGIONS) {
          expect(await cell(management, region)).toMatch(
            /^⚠\s*non-compliant\s+3 compliant, 3 would-remediate$/,
          );
          expect(await cell(legacy, region)).toMatch(/^✖\s*failed\s+AccessDenied: sts:AssumeRole failed/);
          expect(await cell(closed, region)).toMatch(/^⊘\s*skipped\s+suspended: /);
        }
        expect(await cell(payments, 'eu-west-1')).toMatch(
          /^⚠\s*non-compliant\s+3 compliant, 3 would-remediate, 1 exempt$/,
        );
        expect(await rendered('#exemptions tbody tr')).toContain(`${until} (within 30 days)`);
        expect(await rendered('#sources tbody tr')).toMatch(
          /live dry run \(nothing written\)\s+the organisation × eu-west-1, us-east-1; dry run, nothing written\s+\d{4}-\d\d-\d\dT\S+\s+arn:aws:iam::111111111111:user\/\S+/,
        );
        const shown = await page.locator('#evidence-data').textContent();
        expect(
          createHash('sha256')
            .update(shown ?? '')
            .digest('hex'),
        ).toBe(await rendered('#sha256'));
      });
    },
    90_000,
  );
});
