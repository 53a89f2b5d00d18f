/**
 * Security Hub's documented limits the guard works within, SDK-free so that the planner's callers (the
 * Security Hub sink, lib/securityhub-sink.ts) can size their work without loading the client. Rates are per
 * account and Region (https://docs.aws.amazon.com/securityhub/1.0/APIReference/Welcome.html); GetFindings
 * takes at most 100 results a page and 20 values per filtered attribute
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_GetFindings.html).
 */

export const GET_FINDINGS_PAGE_SIZE = 100;
/** GetFindings takes at most 20 values per filtered attribute. */
export const MAX_FILTER_VALUES = 20;
export const GET_FINDINGS_PER_SECOND = 3;
export const BATCH_UPDATE_FINDINGS_PER_SECOND = 10;
