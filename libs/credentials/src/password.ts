import bcrypt from 'bcrypt';
import { DB_TIMEOUTS, restartDatabaseDeadline } from '@gatehouse/db';

/**
 * Human passwords: bcrypt (cost 12 by default, GATEHOUSE_BCRYPT_COST) and a minimum
 * strength rule. bcrypt reads only the first 72 bytes, so longer passwords are refused
 * rather than silently truncated.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_BYTES = 72;

/** Returns why `password` is too weak, or null when it is acceptable. */
export function passwordWeakness(password: string, email?: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return `must be at most ${PASSWORD_MAX_BYTES} bytes`;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return 'must mix at least three of: lower case, upper case, digits, symbols';
  if (new Set(password).size < 6) return 'must not repeat a few characters';
  const local = email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) return 'must not contain the email name';
  return null;
}

export class PasswordHasher {
  /** A hash of a random password, compared against when an account is unknown, so that
   * "no such account" costs the same time as "wrong password". */
  private dummy: Promise<string> | null = null;

  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return afterCpuWork(bcrypt.hash(password, this.cost));
  }

  verify(password: string, hash: string | null | undefined): Promise<boolean> {
    if (!hash) {
      this.dummy ??= bcrypt.hash('gatehouse-timing-equaliser', this.cost);
      return afterCpuWork(this.dummy.then((h) => bcrypt.compare(password, h)).then(() => false));
    }
    return afterCpuWork(bcrypt.compare(password, hash));
  }
}

/**
 * bcrypt is CPU work on the thread pool, queued behind other sign-ins in a burst, not a wait
 * on PostgreSQL: the request's database deadline starts afresh once it is done, so a burst of
 * sign-ins against a healthy database is not answered 503 for time spent hashing
 * (docs/reliability.md#every-request-answered-within-3-s).
 */
async function afterCpuWork<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    restartDatabaseDeadline(DB_TIMEOUTS.requestMs);
  }
}
