import { describe, expect, it } from 'vitest';
import { newBuildId } from '../../runner/build-id';

describe('build IDs', () => {
  it('look like Prow’s, and are unique and increasing even within one millisecond', () => {
    const now = Date.UTC(2026, 10, 24, 12);
    const ids = Array.from({ length: 10_000 }, () => BigInt(newBuildId(now)));
    expect(String(ids[0])).toMatch(/^\d{19}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(BigInt(newBuildId(now + 60_000)) > ids.at(-1)!).toBe(true);
  });
});
