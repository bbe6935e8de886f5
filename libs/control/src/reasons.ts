/**
 * The closed table of reasons a request can be stopped for (docs/control.md#reasons): one
 * stable code, one status, one human message and one recovery path each — the same text
 * for support, buyers and operators. Nothing builds a refusal's text anywhere else.
 */
export const REASONS = {
  org_membership_missing: {
    status: 403,
    message: 'The caller is not a live member of this organization.',
    recovery: 'Sign in with an account or application of the organization, or ask an administrator to add one.',
  },
  governance_paused: {
    status: 403,
    message: 'An operator has paused this organization, application or workflow.',
    recovery: 'Resume after operator review.',
  },
  contract_inactive: {
    status: 403,
    message: "The organization's contract is not active.",
    recovery: 'Renew or restore the contract.',
  },
  billing_not_in_good_standing: {
    status: 403,
    message: "The organization's billing is not in good standing.",
    recovery: 'Resolve the billing state and re-run the entitlement check.',
  },
  entitlement_not_granted: {
    status: 403,
    message: 'The organization is not entitled to a package this request needs.',
    recovery: 'Grant or activate the package.',
  },
  policy_not_accepted: {
    status: 403,
    message: 'The active policy version has not been accepted.',
    recovery: 'Accept the active policy and retry.',
  },
  approval_required: {
    status: 403,
    message: 'This action needs an operator’s approval before it runs.',
    recovery: 'Ask an operator to approve the approval request, then retry within its deadline.',
  },
} as const satisfies Record<string, { status: number; message: string; recovery: string }>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** The reason table as the API shows it (GET /v1/control/reasons). */
export function reasonTable(): { code: ReasonCode; status: number; message: string; recovery: string }[] {
  return REASON_CODES.map((code) => ({ code, ...REASONS[code] }));
}
