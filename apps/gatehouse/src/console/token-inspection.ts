/** Whether an administrator may see a token: platform admins all, org admins their orgs' only. */
export function mayInspect(
  admin: { role: 'platform' | 'org'; orgIds: readonly string[] },
  claims: { tier: string; org_id?: string },
): boolean {
  if (admin.role === 'platform') return true;
  return claims.tier !== 'admin' && claims.org_id !== undefined && admin.orgIds.includes(claims.org_id);
}
