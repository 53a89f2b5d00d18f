/**
 * The one entry to the evidence report's formats (lib/report-formats.ts): each format by its name, with
 * the reader's notes and the time the report was made passed on, and no notes section when there are none.
 */
import { describe, expect, it } from 'vitest';
import { buildEvidence, type EvidenceData } from '../../lib/report.ts';
import { REPORT_FORMATS, renderEvidence } from '../../lib/report-formats.ts';
import { PLAIN_POLICY } from '../helpers/report-data.ts';

const DATA: EvidenceData = buildEvidence({
  policy: PLAIN_POLICY,
  sources: [{ kind: 'live-dry-run', detail: 'account 111111111111', gatheredAt: null, gatheredBy: null }],
  accountRegions: [],
  records: [],
});

/** The notes a rendering shows, and when it says the report was made, read back from each format. */
const shownIn: Record<
  (typeof REPORT_FORMATS)[number],
  (text: string) => { notes: readonly string[]; madeAt: string | null }
> = {
  html: (text) => ({
    notes: [
      ...(/<section id="notes">(.*?)<\/section>/s.exec(text)?.[1] ?? '').matchAll(/<li>(.*?)<\/li>/g),
    ].map((match) => match[1] ?? ''),
    madeAt: /<span id="made-at">(.*?)<\/span>/.exec(text)?.[1] ?? null,
  }),
  md: (text) => ({
    notes: (text.split('## About the source\n\n')[1] ?? '')
      .split('\n')
      .filter((line) => line.startsWith('- '))
      .map((line) => line.slice(2)),
    madeAt: /^Report made at (\S+) /m.exec(text)?.[1] ?? null,
  }),
  json: (text) => {
    const parsed: { notes: string[]; madeAt: string | null } = JSON.parse(text);
    return { notes: parsed.notes, madeAt: parsed.madeAt };
  },
};

describe('renderEvidence', () => {
  it.each(REPORT_FORMATS)('renders %s with the notes and the time the report was made', (format) => {
    const text = renderEvidence(DATA, format, ['no summary lines'], { madeAt: '2026-07-01T00:00:00Z' });
    expect(shownIn[format](text)).toEqual({ notes: ['no summary lines'], madeAt: '2026-07-01T00:00:00Z' });
  });

  it.each(REPORT_FORMATS)('renders %s without notes or a time when given none', (format) => {
    const text = renderEvidence(DATA, format);
    expect(shownIn[format](text)).toEqual({ notes: [], madeAt: null });
  });

  it.each([
    ['html', /^<!doctype html>\n/],
    ['md', /^# ECR tag immutability: evidence\n/],
    ['json', /^\{\n {2}"schema": "ecr-guard-evidence\/1",\n/],
  ] as const)('renders %s in its own format', (format, start) => {
    expect(renderEvidence(DATA, format)).toMatch(start);
  });
});
