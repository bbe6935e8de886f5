import { requireDelegation, requireScopes, type Verifier } from '@gatehouse/verifier';
import type { NoteStore } from './notes';

export const SUMMARY_STEP = 'summarise';

/**
 * The specialist a step is handed to. It trusts nothing but the step token it is given: it
 * verifies it itself (signature, audience, expiry), and requires that it is a step token for its
 * step holding `notes:read` — so a leaked step token reads notes for a minute and can delete
 * nothing.
 */
export class Specialist {
  constructor(
    private readonly verifier: Verifier,
    private readonly notes: NoteStore,
  ) {}

  async summarise(stepToken: string): Promise<{ summary: string; token: Record<string, unknown> }> {
    const p = await this.verifier.verify(stepToken);
    requireDelegation(p, { steps: [SUMMARY_STEP] });
    requireScopes(p, 'notes:read');
    const notes = this.notes.list(p.sub);
    const summary = notes.length
      ? `${notes.length} note(s): ${notes.map((n) => n.text.split(' ').slice(0, 4).join(' ')).join('; ')}…`
      : 'No notes.';
    return {
      summary,
      token: {
        jti: p.jti,
        step: p.step,
        scope: p.scopes.join(' '),
        actors: p.actors,
        expires_in: p.exp - Math.floor(Date.now() / 1000),
      },
    };
  }
}
