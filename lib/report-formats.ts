/**
 * One entry to the evidence report's formats: the data set (lib/report.ts) as its view (lib/report-view.ts)
 * rendered as `html` (one self-contained page), `md` (Markdown) or `json`. Pure.
 */
import type { EvidenceData } from './report.ts';
import { renderHtml } from './report-html.ts';
import { renderJson } from './report-json.ts';
import { renderMarkdown } from './report-markdown.ts';
import { type ViewOptions, viewOf } from './report-view.ts';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Renders the data set in `format`; `notes` (what the source did not hold) are shown with it, and
 * `options.madeAt` as the time the report was made (outside the hashed data).
 */
export function renderEvidence(
  data: EvidenceData,
  format: ReportFormat,
  notes: readonly string[] = [],
  options: ViewOptions = {},
): string {
  const view = viewOf(data, options);
  switch (format) {
    case 'html':
      return renderHtml(view, notes);
    case 'md':
      return renderMarkdown(view, notes);
    case 'json':
      return renderJson(view, notes);
  }
}
