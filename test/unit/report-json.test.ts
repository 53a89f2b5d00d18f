/**
 * The evidence report as JSON (lib/report-json.ts): the data set with what the other formats show computed
 * from it, member by member.
 */
import { describe, expect, it } from 'vitest';
import { evidenceHash, HASH_DESCRIPTION } from '../../lib/report.ts';
import { renderJson } from '../../lib/report-json.ts';
import { viewOf } from '../../lib/report-view.ts';
import { reportData as data } from '../helpers/report-data.ts';

describe('renderJson', () => {
  it('writes the data, its hash, what the hash is of, and the summary every format shows', () => {
    const view = viewOf(data(), { madeAt: '2026-06-02T00:00:00Z' });
    const text = renderJson(view, ['a note']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{\n  "schema": "ecr-guard-evidence/1",\n  "sha256": ')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      schema: 'ecr-guard-evidence/1',
      sha256: evidenceHash(view.data),
      hashed: HASH_DESCRIPTION,
      data: view.data,
      madeAt: '2026-06-02T00:00:00Z',
      summary: {
        exemptionsMeasuredFrom: { at: '2026-06-01T00:00:00Z', basis: 'gathered' },
        totals: { compliant: 2, remediated: 0, 'would-remediate': 0, exempt: 2, gone: 0, failed: 0 },
        accountRegions: view.cellTotals,
        matrix: [
          {
            accountId: '111111111111',
            accountName: 'prod',
            regions: {
              'eu-west-1': { kind: 'exempt', detail: '2 compliant, 2 exempt', label: 'exempt' },
              'us-east-1': {
                kind: 'absent',
                detail: 'the data has no summary for this account-region',
                label: 'not in the data',
              },
            },
          },
          {
            accountId: '222222222222',
            accountName: null,
            regions: {
              'eu-west-1': {
                kind: 'absent',
                detail: 'the data has no summary for this account-region',
                label: 'not in the data',
              },
              'us-east-1': { kind: 'failed', detail: 'AccessDenied: no; no repositories', label: 'failed' },
            },
          },
        ],
        exemptions: JSON.parse(JSON.stringify(view.exemptions)),
      },
      notes: ['a note'],
    });
  });

  it('writes no notes and no time when given none', () => {
    expect(JSON.parse(renderJson(viewOf(data())))).toMatchObject({ madeAt: null, notes: [] });
  });
});
