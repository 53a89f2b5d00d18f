/** Typed loaders for sample events. Always returns a fresh copy, so a test may mutate it. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const eventsDir = path.join(projectRoot, 'events');
/**
 * Real CloudTrail/EventBridge samples kept outside the project (see ../shared/reference-events/SOURCES.md);
 * REFERENCE_EVENTS_DIR when the tests run from a copy of the project (Stryker's sandbox).
 */
export const referenceEventsDir =
  process.env.REFERENCE_EVENTS_DIR ?? path.resolve(projectRoot, '../shared/reference-events');

export type JsonObject = Record<string, unknown>;

function readJson(file: string): JsonObject {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file} is not a JSON object`);
  }
  return parsed as JsonObject;
}

export function sampleEventNames(): string[] {
  return readdirSync(eventsDir)
    .filter((file) => file.endsWith('.json'))
    .sort();
}

export function loadSampleEvent(name: string): JsonObject {
  return structuredClone(readJson(path.join(eventsDir, name)));
}

export function referenceEventsAvailable(): boolean {
  return existsSync(referenceEventsDir);
}

/**
 * `it` for a test that needs ../shared/reference-events: where the folder is missing (a fresh clone
 * outside this workspace) it is a visible skip whose name says why, never a pass that checked nothing.
 */
export function itWithReferenceEvents(name: string, test: () => void): void {
  const missing = !referenceEventsAvailable();
  it.skipIf(missing)(missing ? `${name} (skipped: ${referenceEventsDir} not found)` : name, test);
}

export function referenceEventNames(): string[] {
  if (!referenceEventsAvailable()) return [];
  return readdirSync(referenceEventsDir)
    .filter((file) => file.endsWith('.json'))
    .sort();
}

export function loadReferenceEvent(name: string): JsonObject {
  return structuredClone(readJson(path.join(referenceEventsDir, name)));
}

/** Reads a nested field of a sample for assertions (`['detail', 'requestParameters']`). */
export function field(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
