/** Kept so existing imports of `emulator/faults.ts` (the reliability harness) resolve; see core/faults.ts. */
export { mulberry32 } from './core/faults.ts';
