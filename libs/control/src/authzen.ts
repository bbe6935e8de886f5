import type { Decision, DecisionRequest } from '@gatehouse/verifier';
import { z } from 'zod';

/**
 * OpenID AuthZEN Authorization API 1.0 request shapes (docs/control.md#authzen): the
 * Access Evaluation request (§6) and the batched Access Evaluations request (§7), whose
 * `evaluations` items inherit the top-level subject, action, resource and context.
 */
const properties = z.record(z.string(), z.unknown()).optional();

export const subject = z.object({ type: z.string().min(1).max(100), id: z.string().min(1).max(8192), properties });
export const action = z.object({ name: z.string().min(1).max(500), properties });
export const resource = z.object({ type: z.string().min(1).max(100), id: z.string().min(1).max(2048), properties });
const context = z.record(z.string(), z.unknown());

/** The wire types are @gatehouse/verifier's; the schema must parse into them. */
export const evaluationRequest = z.object({
  subject,
  action,
  resource,
  context: context.optional(),
}) satisfies z.ZodType<DecisionRequest>;

export const evaluationsRequest = z.object({
  subject: subject.optional(),
  action: action.optional(),
  resource: resource.optional(),
  context: context.optional(),
  evaluations: z
    .array(
      z.object({
        subject: subject.optional(),
        action: action.optional(),
        resource: resource.optional(),
        context: context.optional(),
      }),
    )
    .max(100)
    .optional(),
  options: z
    .object({
      evaluations_semantic: z.enum(['execute_all', 'deny_on_first_deny', 'permit_on_first_permit']).optional(),
    })
    .catchall(z.unknown())
    .optional(),
});

export type EvaluationRequest = DecisionRequest;
export type EvaluationsRequest = z.infer<typeof evaluationsRequest>;
export type EvaluationResponse = Decision;

const READ_ACTIONS = /^(GET|HEAD|OPTIONS)\b|^(read|get|list|view|search|can_read|can_view)$/i;

/** `action.properties.write` when given; otherwise an HTTP read method or a read-like name is a read. */
export function isWrite(a: z.infer<typeof action>): boolean {
  const w = a.properties?.write;
  if (typeof w === 'boolean') return w;
  return !READ_ACTIONS.test(a.name);
}

/** The metadata document (§9, /.well-known/authzen-configuration). */
export function authzenConfiguration(issuer: string) {
  return {
    policy_decision_point: issuer,
    access_evaluation_endpoint: `${issuer}/access/v1/evaluation`,
    access_evaluations_endpoint: `${issuer}/access/v1/evaluations`,
  };
}
