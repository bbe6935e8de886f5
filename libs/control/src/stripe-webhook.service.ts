import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, GATEHOUSE_CONFIG, ProblemError, Problems, type Clock, type GatehouseConfig } from '@gatehouse/core';
import { isUniqueViolation, PrismaService, type Tx } from '@gatehouse/db';
import type { RequestMeta } from '@gatehouse/audit';
import { ControlService, type ControlActor } from './control.service';
import { BILLING_STATUSES, type BillingStatus } from './org-state';
import { verifyStripeSignature } from './stripe-signature';

const STRIPE: ControlActor = { id: 'stripe', tier: 'system' };

interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

/**
 * POST /v1/integrations/stripe/webhook (docs/control.md#stripe). A verified event is applied
 * once: its id is stored in the same transaction as the change, so a replay is refused and
 * nothing changes twice. `customer.subscription.*` sets billing for the org named in the
 * subscription's `metadata.org_id` (and remembers the Stripe customer);
 * `entitlements.active_entitlement_summary.updated` sets the packages of that customer's org
 * from the entitlements' lookup keys.
 */
@Injectable()
export class StripeWebhookService {
  private readonly log = new Logger('StripeWebhook');

  constructor(
    private readonly prisma: PrismaService,
    private readonly control: ControlService,
    @Inject(GATEHOUSE_CONFIG) private readonly config: GatehouseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.stripeWebhookSecret !== null;
  }

  async receive(meta: RequestMeta, signature: string | undefined, raw: Buffer) {
    const secret = this.config.stripeWebhookSecret;
    if (!secret) throw Problems.notFound('route');
    const check = verifyStripeSignature(signature, raw, secret, Math.floor(this.clock.now().getTime() / 1000));
    if (!check.ok) {
      this.log.warn({ why: check.why }, 'stripe webhook: signature refused');
      throw new ProblemError(400, 'malformed_request', 'Invalid signature', {
        detail:
          check.why === 'stale'
            ? 'The Stripe-Signature timestamp is outside the 5-minute tolerance.'
            : 'The Stripe-Signature header does not verify for this payload.',
      });
    }
    const event = parse(raw);
    try {
      return await this.prisma.transaction(async (tx) => {
        const orgId = await this.apply(tx, meta, event);
        await tx.stripeEvent.create({ data: { id: event.id, type: event.type, orgId } });
        return { received: true, applied: orgId !== null, org_id: orgId };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw Problems.conflict(`Event ${event.id} was already received.`);
      throw err;
    }
  }

  private async apply(tx: Tx, meta: RequestMeta, event: StripeEvent): Promise<string | null> {
    const o = event.data.object;
    if (event.type.startsWith('customer.subscription.')) {
      const orgId = await this.orgFromMetadata(tx, o.metadata);
      const status = event.type === 'customer.subscription.deleted' ? 'canceled' : o.status;
      if (!orgId || !isBillingStatus(status)) return null;
      const ids = { stripeCustomerId: str(o.customer), stripeSubscriptionId: str(o.id) };
      await tx.orgControl.upsert({ where: { orgId }, create: { orgId, ...ids }, update: ids });
      await this.control.setBilling(STRIPE, meta, orgId, { status, reason: `stripe ${event.type} ${event.id}` }, tx);
      return orgId;
    }
    if (event.type === 'entitlements.active_entitlement_summary.updated') {
      const customer = str(o.customer);
      const row = customer ? await tx.orgControl.findFirst({ where: { stripeCustomerId: customer } }) : null;
      if (!row) return null;
      const active = lookupKeys(o.entitlements);
      const current = await tx.orgEntitlement.findMany({ where: { orgId: row.orgId, source: 'stripe' } });
      const reason = `stripe ${event.type} ${event.id}`;
      for (const pkg of active) {
        await this.control.setEntitlement(STRIPE, meta, row.orgId, pkg, { status: 'active', reason }, tx);
      }
      for (const e of current) {
        if (!active.includes(e.package) && e.status === 'active') {
          await this.control.setEntitlement(STRIPE, meta, row.orgId, e.package, { status: 'inactive', reason }, tx);
        }
      }
      return row.orgId;
    }
    return null;
  }

  private async orgFromMetadata(tx: Tx, metadata: unknown): Promise<string | null> {
    const id = str((metadata as Record<string, unknown> | undefined)?.org_id);
    if (!id) return null;
    return (await tx.organization.findUnique({ where: { id }, select: { id: true } }))?.id ?? null;
  }
}

function parse(raw: Buffer): StripeEvent {
  let e: unknown;
  try {
    e = JSON.parse(raw.toString('utf8'));
  } catch {
    throw Problems.malformed('The request body is not valid JSON.');
  }
  const ev = e as Partial<StripeEvent>;
  if (
    typeof ev?.id !== 'string' ||
    typeof ev.type !== 'string' ||
    typeof ev.data?.object !== 'object' ||
    !ev.data.object
  ) {
    throw Problems.malformed('Not a Stripe event: id, type and data.object are required.');
  }
  return ev as StripeEvent;
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);

function isBillingStatus(v: unknown): v is BillingStatus {
  return typeof v === 'string' && (BILLING_STATUSES as readonly string[]).includes(v);
}

/** The summary's `entitlements.data[].lookup_key`: Stripe's feature keys name our packages. */
function lookupKeys(list: unknown): string[] {
  const data = (list as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((e: unknown) => str((e as { lookup_key?: unknown })?.lookup_key))
    .filter((k): k is string => k !== null && /^[a-z0-9][a-z0-9._-]{0,62}$/.test(k));
}
