import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_CONFIG, newId, type GatehouseConfig } from '@gatehouse/core';
import { PrismaService, type Tx } from '@gatehouse/db';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isHandleOf } from '../interactions/interaction-kinds';
import { SignInInteractionRepository, type SignInInteraction } from '../interactions/sign-in-interaction.repository';

/** Whose passkey: a user of an org, or an administrator. */
export type PasskeyOwner =
  { kind: 'user'; id: string; orgId: string; email: string } | { kind: 'admin'; id: string; email: string };

/** A ceremony's challenge lives as long as the browser's default WebAuthn timeout. */
export const CEREMONY_TTL_S = 300;

export interface StoredPasskey {
  id: string;
  userId: string | null;
  orgId: string | null;
  adminId: string | null;
  credentialId: string;
  publicKey: Uint8Array;
  counter: bigint;
  transports: string[];
}

/** Why a ceremony was refused, for the audit trail only: every refusal answers the same. */
export class PasskeyRefused extends Error {
  constructor(
    readonly reason: string,
    readonly subjectId: string | null = null,
  ) {
    super(reason);
  }
}

/**
 * Passkeys (WebAuthn, docs/sign-in-experience.md#passkeys) through @simplewebauthn/server.
 * A ceremony's challenge is the handle of a `webauthn` interaction: the browser signs it,
 * and the answer is matched back to the interaction by that value, which is kept only as a
 * keyed hash and spent once, so a replayed assertion or attestation finds a spent
 * interaction. The RP ID and the allowed origins come from the configuration; the
 * signature counter and the backup flags are stored and updated on every use.
 */
@Injectable()
export class PasskeyFactor {
  constructor(
    private readonly prisma: PrismaService,
    private readonly interactions: SignInInteractionRepository,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
  ) {}

  async registrationOptions(owner: PasskeyOwner, displayName: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.prisma.passkey.findMany({
      where: owner.kind === 'user' ? { userId: owner.id } : { adminId: owner.id },
      select: { credentialId: true, transports: true },
    });
    const { handle } = await this.interactions.create({
      kind: 'webauthn',
      subjectId: owner.id,
      orgId: owner.kind === 'user' ? owner.orgId : null,
      params: { ceremony: 'registration' },
      ttlS: CEREMONY_TTL_S,
    });
    return generateRegistrationOptions({
      rpName: displayName,
      rpID: this.config.webauthn.rpId,
      userName: owner.email,
      userDisplayName: owner.email,
      userID: new Uint8Array(Buffer.from(owner.id, 'utf8')),
      challenge: handle,
      timeout: CEREMONY_TTL_S * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      // Discoverable, so the passkey can sign in without a typed identifier; verified, so it
      // is two factors on its own (docs/sign-in-experience.md#amr).
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Verifies a registration and stores the credential, in `tx`; throws PasskeyRefused. */
  async register(tx: Tx, owner: PasskeyOwner, response: RegistrationResponseJSON, name: string) {
    const ceremony = await this.ceremony(response, 'registration', owner.id);
    let result;
    try {
      result = await verifyRegistrationResponse({
        response,
        expectedChallenge: ceremony.challenge,
        expectedOrigin: [...this.config.webauthn.origins],
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
      });
    } catch (err) {
      throw new PasskeyRefused(`registration not verified: ${(err as Error).message}`, owner.id);
    }
    if (!result.verified) throw new PasskeyRefused('registration not verified', owner.id);
    if (!(await this.interactions.consume(ceremony.interaction.id, tx))) {
      throw new PasskeyRefused('challenge already used', owner.id);
    }
    const info = result.registrationInfo;
    const taken = await tx.passkey.findUnique({ where: { credentialId: info.credential.id } });
    if (taken) throw new PasskeyRefused('credential already registered', owner.id);
    return tx.passkey.create({
      data: {
        id: newId('passkey'),
        ...(owner.kind === 'user' ? { userId: owner.id, orgId: owner.orgId } : { adminId: owner.id }),
        credentialId: info.credential.id,
        publicKey: new Uint8Array(info.credential.publicKey),
        counter: BigInt(info.credential.counter),
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name,
      },
    });
  }

  /**
   * Options for an assertion. With `userId`, only that user's passkeys are allowed (the
   * second factor); without, any discoverable passkey (first factor, conditional UI).
   */
  async authenticationOptions(scope: {
    orgId: string;
    userId?: string;
  }): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allow = scope.userId
      ? await this.prisma.passkey.findMany({
          where: { userId: scope.userId, orgId: scope.orgId },
          select: { credentialId: true, transports: true },
        })
      : [];
    const { handle } = await this.interactions.create({
      kind: 'webauthn',
      subjectId: scope.userId ?? null,
      orgId: scope.orgId,
      params: { ceremony: 'authentication' },
      ttlS: CEREMONY_TTL_S,
    });
    return generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      challenge: handle,
      timeout: CEREMONY_TTL_S * 1000,
      userVerification: 'required',
      allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports })),
    });
  }

  /**
   * Verifies an assertion for a user of `orgId` (and, for a second factor, that user), spends
   * the challenge and updates the counter, in `tx`. Returns the passkey's owner.
   */
  async authenticate(
    tx: Tx,
    response: AuthenticationResponseJSON,
    expect: { orgId: string; userId?: string },
  ): Promise<{ userId: string; passkeyId: string; userVerified: boolean }> {
    const ceremony = await this.ceremony(response, 'authentication', expect.userId ?? null, expect.orgId);
    const passkey = await tx.passkey.findUnique({ where: { credentialId: String(response.id ?? '') } });
    if (!passkey || passkey.orgId !== expect.orgId || !passkey.userId) {
      throw new PasskeyRefused('unknown credential', expect.userId ?? null);
    }
    if (expect.userId && passkey.userId !== expect.userId) {
      throw new PasskeyRefused('credential of another user', expect.userId);
    }
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: ceremony.challenge,
        expectedOrigin: [...this.config.webauthn.origins],
        expectedRPID: this.config.webauthn.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: Number(passkey.counter),
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch (err) {
      throw new PasskeyRefused(`assertion not verified: ${(err as Error).message}`, passkey.userId);
    }
    if (!result.verified) throw new PasskeyRefused('assertion not verified', passkey.userId);
    if (!(await this.interactions.consume(ceremony.interaction.id, tx))) {
      throw new PasskeyRefused('challenge already used', passkey.userId);
    }
    const info = result.authenticationInfo;
    // A counter that goes backwards is a cloned authenticator (WebAuthn §6.1.1): refused.
    const moved = await tx.passkey.updateMany({
      where: { id: passkey.id, OR: [{ counter: { lt: BigInt(info.newCounter) } }, { counter: 0n }] },
      data: {
        counter: BigInt(info.newCounter),
        backedUp: info.credentialBackedUp,
        deviceType: info.credentialDeviceType,
        lastUsedAt: new Date(),
      },
    });
    if (moved.count !== 1) throw new PasskeyRefused('signature counter did not increase', passkey.userId);
    return { userId: passkey.userId, passkeyId: passkey.id, userVerified: info.userVerified };
  }

  /**
   * The live ceremony a response answers: its clientDataJSON's challenge is the handle of a
   * `webauthn` interaction of the right ceremony (and subject, org). Anything else is refused.
   */
  private async ceremony(
    response: RegistrationResponseJSON | AuthenticationResponseJSON,
    kind: 'registration' | 'authentication',
    subjectId: string | null,
    orgId?: string,
  ): Promise<{ challenge: string; interaction: SignInInteraction }> {
    let challenge = '';
    try {
      const client = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8')) as {
        challenge?: unknown;
      };
      challenge = typeof client.challenge === 'string' ? client.challenge : '';
    } catch {
      throw new PasskeyRefused('malformed clientDataJSON', subjectId);
    }
    const handle = Buffer.from(challenge, 'base64url').toString('utf8');
    if (!isHandleOf('webauthn', handle)) throw new PasskeyRefused('unknown challenge', subjectId);
    const found = await this.interactions.findLive('webauthn', handle);
    if (found.status === 'unknown') throw new PasskeyRefused('unknown challenge', subjectId);
    if (found.status !== 'live') throw new PasskeyRefused('challenge already used or expired', subjectId);
    const i = found.interaction;
    if (i.params.ceremony !== kind) throw new PasskeyRefused('challenge of another ceremony', subjectId);
    if (subjectId !== null && i.subjectId !== subjectId)
      throw new PasskeyRefused('challenge of another subject', subjectId);
    if (subjectId === null && i.subjectId !== null) throw new PasskeyRefused('challenge of another subject', null);
    if (orgId !== undefined && i.orgId !== orgId)
      throw new PasskeyRefused('challenge of another organization', subjectId);
    return { challenge, interaction: i };
  }
}
