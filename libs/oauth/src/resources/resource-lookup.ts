import { Injectable } from '@nestjs/common';
import { MAX_RESOURCE_IDENTIFIER_LENGTH } from '@gatehouse/core';
import { SqlPool } from '@gatehouse/db';
import type { RegisteredResource } from './resolve-resource';

/** A registered resource with what a person is shown about it (the consent page). */
export interface ResourceDescription extends RegisteredResource {
  id: string;
  orgId: string;
  orgName: string;
  name: string;
  /** The declared scopes with their descriptions, in the order the admin gave them. */
  scopeDescriptions: readonly { name: string; description: string }[];
}

interface ResourceRow {
  id: string;
  org_id: string;
  org_name: string;
  identifier: string;
  name: string;
  scopes: { name: string; description: string }[];
  token_ttl_s: number | null;
}

const SELECT = `SELECT r.id, r.org_id, o.name AS org_name, r.identifier, r.name, r.scopes, r.token_ttl_s
                  FROM resources r JOIN organizations o ON o.id = r.org_id`;

/**
 * Registered resources as the protocol side reads them (docs/resources.md): by identifier,
 * compared exactly. {@link byIdentifier} is the platform-wide lookup a sign-in uses to learn
 * the organization a `resource` names (one identifier, one organization);
 * {@link inOrg} is the same lookup inside one organization.
 */
@Injectable()
export class ResourceLookup {
  constructor(private readonly sql: SqlPool) {}

  /**
   * The resource `identifier` names across the platform, or null. A legacy identifier that
   * several organizations kept (docs/resources.md#migration) names none of them here.
   */
  async byIdentifier(identifier: string): Promise<ResourceDescription | null> {
    if (!identifier || identifier.length > MAX_RESOURCE_IDENTIFIER_LENGTH) return null;
    const rows = await this.sql.query<ResourceRow>(`${SELECT} WHERE r.identifier = $1 LIMIT 2`, [identifier]);
    return rows.length === 1 ? describe(rows[0]) : null;
  }

  /**
   * Every scope name a registered (not legacy) resource declares, sorted, at most 1000: the
   * authorization server metadata's `scopes_supported` (docs/client-registration.md#discovery).
   */
  async declaredScopeNames(): Promise<string[]> {
    const rows = await this.sql.query<{ name: string }>(
      `SELECT DISTINCT e ->> 'name' AS name FROM resources r, jsonb_array_elements(r.scopes) e
        WHERE NOT r.legacy ORDER BY 1 LIMIT 1000`,
    );
    return rows.map((r) => r.name);
  }

  /** The resource `identifier` names in `orgId`, or null (another org's is not found). */
  async inOrg(orgId: string, identifier: string): Promise<ResourceDescription | null> {
    if (!identifier || identifier.length > MAX_RESOURCE_IDENTIFIER_LENGTH) return null;
    const [row] = await this.sql.query<ResourceRow>(`${SELECT} WHERE r.org_id = $1 AND r.identifier = $2`, [
      orgId,
      identifier,
    ]);
    return row ? describe(row) : null;
  }
}

function describe(r: ResourceRow): ResourceDescription {
  return {
    id: r.id,
    orgId: r.org_id,
    orgName: r.org_name,
    identifier: r.identifier,
    name: r.name,
    scopes: r.scopes.map((s) => s.name),
    scopeDescriptions: r.scopes.map((s) => ({ name: s.name, description: s.description || s.name })),
    tokenTtlS: r.token_ttl_s,
  };
}
