import { z } from 'zod';
import { BILLING_STATUSES, CONTRACT_STATUSES, PAUSE_TARGETS, parseRoute } from '@gatehouse/control';
import { scope } from './scope-schema';

/** Request bodies of the control layer's API (docs/control.md#api). Strict, like schemas.ts. */

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const text = (max: number) =>
  z.string().trim().min(1).max(max).refine(noControl, 'must not contain control characters');
const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .describe('RFC 3339 date-time');
const reason = text(500).optional();

export const packageName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, '1–63 characters: a-z 0-9 . _ - ');
export const packages = z
  .array(packageName)
  .max(50)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a package');

export const putContract = z
  .strictObject({
    status: z.enum(CONTRACT_STATUSES),
    starts_at: instant.nullable().optional(),
    ends_at: instant.nullable().optional(),
    contract_read_only: z.boolean().optional(),
    reason,
  })
  .refine((c) => !(c.starts_at && c.ends_at) || c.starts_at < c.ends_at, 'starts_at must be before ends_at');

export const putBilling = z.strictObject({
  status: z.enum(BILLING_STATUSES),
  grace_days: z.number().int().min(0).max(90).optional(),
  reason,
});

export const putEntitlement = z.strictObject({
  status: z.enum(['active', 'inactive']),
  expires_at: instant.nullable().optional(),
  reason,
});

export const deleteEntitlementQuery = z.strictObject({ reason: reason });

export const putPolicy = z.strictObject({
  required_version: text(100).nullable(),
  document_url: z.string().url().max(2048).nullable().optional(),
  reason,
});

export const policyAcceptance = z.strictObject({ version: text(100) });

export const putApprovalRules = z.strictObject({
  actions: z
    .array(text(200))
    .max(100)
    .refine((a) => new Set(a).size === a.length, 'must not repeat an action'),
  review_last_days: z.number().int().min(1).max(365).nullable().optional(),
  reason,
});

/** docs/control.md#package-map: the whole map, replaced at once. */
export const putPackageMap = z.strictObject({
  scopes: z
    .record(scope, packageName)
    .refine((m) => Object.keys(m).length <= 500, 'at most 500 scopes')
    .default({}),
  routes: z
    .array(
      z.strictObject({
        route: z
          .string()
          .max(300)
          .refine(
            (r) => parseRoute(r, '-') !== null,
            'a route is "METHOD /path" or "/path"; a trailing * matches any rest',
          ),
        package: packageName,
      }),
    )
    .max(200)
    .refine((a) => new Set(a.map((r) => r.route)).size === a.length, 'must not repeat a route')
    .default([]),
  reason,
});

export const createPause = z.strictObject({
  target: z.strictObject({ type: z.enum(PAUSE_TARGETS), id: text(200).optional() }),
  reason: text(500),
});

export const resumePause = z.strictObject({ review_note: text(2000) });

export const approvalQuery = z.strictObject({
  state: z.enum(['pending', 'approved', 'rejected', 'consumed', 'expired']).optional(),
});

export const decideApproval = z.strictObject({
  note: text(2000),
  valid_for_s: z.number().int().min(10).max(86_400).optional(),
});

/** A proposed change for POST /v1/orgs/{orgId}/control/simulate: any of the PUT bodies above. */
export const simulate = z.strictObject({
  contract: z
    .strictObject({
      status: z.enum(CONTRACT_STATUSES),
      starts_at: instant.nullable().optional(),
      ends_at: instant.nullable().optional(),
      contract_read_only: z.boolean().optional(),
    })
    .optional(),
  billing: z
    .strictObject({ status: z.enum(BILLING_STATUSES), grace_days: z.number().int().min(0).max(90).optional() })
    .optional(),
  entitlements: z
    .record(
      packageName,
      z.strictObject({ status: z.enum(['active', 'inactive', 'removed']), expires_at: instant.nullable().optional() }),
    )
    .optional(),
  policy: z.strictObject({ required_version: text(100).nullable() }).optional(),
  pause: z.strictObject({ type: z.enum(PAUSE_TARGETS), id: text(200).optional() }).optional(),
  routes: z
    .array(
      z.strictObject({ method: z.enum(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']), path: text(500) }),
    )
    .max(100)
    .optional(),
});

/** An org admin's request for the operator to review operator-owned state (docs/control.md#who-changes-what). */
export const reviewRequest = z
  .strictObject({
    subject: z.enum(['contract', 'billing', 'entitlements', 'package_map', 'pause']),
    id: z.union([packageName, z.string().regex(/^pau_[0-9A-HJKMNP-TV-Z]{26}$/, 'a pause id (pau_…)')]).optional(),
    note: text(2000),
  })
  .refine((b) => b.subject !== 'pause' || b.id?.startsWith('pau_'), {
    path: ['id'],
    message: 'a pause review names the pause (pau_…)',
  });
