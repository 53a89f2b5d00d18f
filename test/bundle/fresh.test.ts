/**
 * The bundle, e2e and reliability projects test dist/, so dist/ must be what the sources build today:
 * their globalSetup (test/helpers/fresh-bundles.ts) rebuilds it first when it is older.
 */
import { describe, expect, it } from 'vitest';
import { staleBundles } from '../helpers/fresh-bundles.ts';

describe('the bundles under test', () => {
  it('were built after the last change to anything they are built from', () => {
    expect(staleBundles()).toBeUndefined();
  });
});
