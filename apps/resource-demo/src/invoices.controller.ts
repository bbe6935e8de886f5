import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { Verifier, VerifiedPrincipal } from '@gatehouse/verifier';
import {
  AllowAnonymous,
  CurrentPrincipal,
  GATEHOUSE_VERIFIER,
  RequireDecision,
  RequireOrgParam,
  RequireScopes,
  RequireTier,
} from '@gatehouse/verifier/nest';

/** A toy invoice API: each route shows one of the guard's rules. Nothing is stored. */
@Controller()
export class InvoicesController {
  constructor(@Inject(GATEHOUSE_VERIFIER) private readonly verifier: Verifier) {}

  /** Liveness plus the verifier's view: key freshness and revocation mode. */
  @Get('healthz')
  @AllowAnonymous()
  health() {
    return this.verifier.health();
  }

  /** Any valid token, any tier. */
  @Get('whoami')
  whoami(@CurrentPrincipal() p: VerifiedPrincipal) {
    const { claims: _claims, ...principal } = p;
    return principal;
  }

  @Get('orgs/:orgId/invoices')
  @RequireTier('app', 'user')
  @RequireScopes('invoices:read')
  @RequireOrgParam('orgId')
  list(@Param('orgId') orgId: string, @CurrentPrincipal() p: VerifiedPrincipal) {
    return { org_id: orgId, caller: p.sub, invoices: [{ id: 'inv_1', total: 4200, currency: 'EUR' }] };
  }

  @Post('orgs/:orgId/invoices')
  @HttpCode(201)
  @RequireTier('app')
  @RequireScopes('invoices:write')
  @RequireOrgParam('orgId')
  create(@Param('orgId') orgId: string, @Body() body: unknown) {
    return { org_id: orgId, id: 'inv_2', accepted: body ?? null };
  }

  /**
   * Governed by Gatehouse's live decision (docs/control.md#authzen): runs only while the
   * org's contract, billing, entitlements, policy, pauses and approvals allow `invoices.export`.
   */
  @Post('orgs/:orgId/invoices/export')
  @HttpCode(202)
  @RequireTier('app', 'user')
  @RequireScopes('invoices:read')
  @RequireOrgParam('orgId')
  @RequireDecision('invoices.export', { resourceType: 'org', resourceParam: 'orgId' })
  export(@Param('orgId') orgId: string) {
    return { org_id: orgId, export: 'queued' };
  }

  /** Platform operators only: admin tokens carry no organization. */
  @Get('admin/overview')
  @RequireTier('admin')
  overview(@CurrentPrincipal() p: VerifiedPrincipal) {
    return { admin: p.sub, orgs: 1 };
  }
}
