import { z } from 'zod';

/** RFC 6749 §3.3 scope-token, narrowed to a readable charset. `admin` and `mfa:*` are Gatehouse's own. */
export const scope = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._/-]{0,99}$/, 'letters, digits and : . _ / - (at most 100)')
  .refine((s) => s !== 'admin' && !s.startsWith('mfa:'), 'is reserved for administrator sessions');
