import type { GatehouseConfig } from '@gatehouse/core';
import { isPublished, publishedUntil } from './key-lifecycle';
import type { SigningKeyRecord, SigningKeyState } from './signing-key.repository';

/** A signing key as the management API shows it: ids, states and dates, no key material. */
export interface SigningKeyView {
  kid: string;
  state: SigningKeyState;
  alg: string;
  /** Whether the key is in the JWKS now. */
  published: boolean;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  revoked_at: string | null;
  /** A retired key leaves the JWKS at this time (retired_at + GATEHOUSE_KEY_OVERLAP_S). */
  published_until: string | null;
}

export interface SigningKeyList {
  keys: SigningKeyView[];
  rotation: {
    period_s: number;
    overlap_s: number;
    publish_ahead_s: number;
    /** When the schedule will next rotate (checked every 30 s by every instance). */
    next_rotation_at: string | null;
  };
}

export interface RotationResult {
  current_kid: string;
  retired_kid: string;
  next_kid: string;
  rotated_at: string;
}

export interface RevocationResult {
  kid: string;
  state: 'revoked';
  previous_state: SigningKeyState;
  revoked_at: string;
  /** The key signing after the revocation (changed when the current key was revoked). */
  current_kid: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function keyView(keys: GatehouseConfig['keys'], k: SigningKeyRecord, now: Date): SigningKeyView {
  return {
    kid: k.kid,
    state: k.state,
    alg: k.alg,
    published: isPublished(keys, k, now),
    created_at: k.createdAt.toISOString(),
    activated_at: iso(k.activatedAt),
    retired_at: iso(k.retiredAt),
    revoked_at: iso(k.revokedAt),
    published_until: iso(publishedUntil(keys, k)),
  };
}
