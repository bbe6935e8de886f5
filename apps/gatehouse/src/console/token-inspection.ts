import type { ActClaim } from '@gatehouse/verifier';

/** The `act` claim (RFC 8693 §4.1) as a list, the current actor first and the original last. */
export function actChain(act: ActClaim | undefined, maxDepth = 32): string[] {
  const chain: string[] = [];
  for (let a = act; a && chain.length < maxDepth; a = a.act) chain.push(a.sub);
  return chain;
}

/** Whether an administrator may see a token: platform admins all, org admins their orgs' only. */
export function mayInspect(
  admin: { role: 'platform' | 'org'; orgIds: readonly string[] },
  claims: { tier: string; org_id?: string },
): boolean {
  if (admin.role === 'platform') return true;
  return claims.tier !== 'admin' && claims.org_id !== undefined && admin.orgIds.includes(claims.org_id);
}
