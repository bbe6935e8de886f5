import { loadConfig } from '@gatehouse/core';
import { isPublished, maySignFrom, publishedUntil, retiredPublishedAfter, rotationDueAt } from './key-lifecycle';

const keys = loadConfig({}).keys; // 30 days, 86 400 s overlap, 390 s publish-ahead
const t0 = new Date('2026-11-23T00:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

describe('key lifecycle rules', () => {
  it('a next key may sign once it has been published for the publish-ahead', () => {
    expect(maySignFrom(keys, { createdAt: t0 })).toEqual(at(390));
  });

  it('the schedule rotates a current key one period after it started signing', () => {
    expect(rotationDueAt(keys, { activatedAt: at(10), createdAt: t0 })).toEqual(at(10 + 30 * 86400));
    // a key that never recorded its activation counts from its creation
    expect(rotationDueAt(keys, { activatedAt: null, createdAt: t0 })).toEqual(at(30 * 86400));
  });

  it('publishes next and current keys, and retired ones for the overlap after they stopped signing', () => {
    expect(isPublished(keys, { state: 'next', retiredAt: null }, t0)).toBe(true);
    expect(isPublished(keys, { state: 'current', retiredAt: null }, t0)).toBe(true);
    const retired = { state: 'retired' as const, retiredAt: t0 };
    expect(isPublished(keys, retired, at(86399))).toBe(true);
    expect(isPublished(keys, retired, at(86400))).toBe(false);
    expect(publishedUntil(keys, retired)).toEqual(at(86400));
    expect(retiredPublishedAfter(keys, at(86400))).toEqual(t0);
  });

  it('never publishes an expired or revoked key', () => {
    expect(isPublished(keys, { state: 'expired', retiredAt: t0 }, t0)).toBe(false);
    expect(isPublished(keys, { state: 'revoked', retiredAt: null }, t0)).toBe(false);
    expect(publishedUntil(keys, { state: 'revoked', retiredAt: null })).toBeNull();
  });
});
