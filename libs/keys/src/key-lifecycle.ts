import type { GatehouseConfig } from '@gatehouse/core';
import type { SigningKeyRecord } from './signing-key.repository';

/**
 * The lifecycle rules of docs/design.md §4 as pure functions of the configuration and a
 * time, so the services, the listing and the unit specs all read the same arithmetic.
 *
 *   next ──rotation──▶ current ──rotation──▶ retired ──overlap──▶ expired
 *     │                   │                    │
 *     └───────────────────┴──── revocation ────┴──▶ revoked
 *
 * next: published in the JWKS, not signing. There is always one, created with the first
 * current key and after every promotion, so a rotation finds a key that verifiers have
 * held for a whole rotation period. current: the one signing key. retired: no longer
 * signs, published for the overlap after it stopped. expired and revoked: not published.
 */
type KeyTimes = GatehouseConfig['keys'];

/** Retired keys that stopped signing after this instant are still published. */
export function retiredPublishedAfter(keys: KeyTimes, now: Date): Date {
  return new Date(now.getTime() - keys.overlapS * 1000);
}

/** When a next key has been published long enough for every verifier to hold it. */
export function maySignFrom(keys: KeyTimes, next: Pick<SigningKeyRecord, 'createdAt'>): Date {
  return new Date(next.createdAt.getTime() + keys.publishAheadS * 1000);
}

/** When the schedule retires `current` (its activation plus the rotation period). */
export function rotationDueAt(keys: KeyTimes, current: Pick<SigningKeyRecord, 'activatedAt' | 'createdAt'>): Date {
  return new Date((current.activatedAt ?? current.createdAt).getTime() + keys.rotationS * 1000);
}

/** Whether `key` belongs in the JWKS at `now`. */
export function isPublished(keys: KeyTimes, key: Pick<SigningKeyRecord, 'state' | 'retiredAt'>, now: Date): boolean {
  if (key.state === 'next' || key.state === 'current') return true;
  return key.state === 'retired' && key.retiredAt !== null && key.retiredAt > retiredPublishedAfter(keys, now);
}

/** When a published key leaves the JWKS without further action (null: not scheduled). */
export function publishedUntil(keys: KeyTimes, key: Pick<SigningKeyRecord, 'state' | 'retiredAt'>): Date | null {
  return key.state === 'retired' && key.retiredAt ? new Date(key.retiredAt.getTime() + keys.overlapS * 1000) : null;
}
