import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CacheListener, InvalidatingCache } from '@gatehouse/db';
import type { OrgState } from './org-state';
import { OrgStateRepository } from './org-state.repository';

/** The channel the triggers of migration 20261201110000_control_layer notify on. */
export const CONTROL_CHANNEL = 'gatehouse_control';

type Member = { orgId: string; disabled: boolean };

/**
 * Org state and user membership, answered from memory and never older than a committed
 * change (InvalidatingCache; docs/control.md#live).
 */
@Injectable()
export class ControlStateCache implements OnModuleDestroy {
  private readonly cache: InvalidatingCache<OrgState | Member>;

  constructor(
    listener: CacheListener,
    private readonly repo: OrgStateRepository,
  ) {
    this.cache = new InvalidatingCache(listener, { channel: CONTROL_CHANNEL, what: "every org's state" });
  }

  async org(orgId: string): Promise<OrgState | null> {
    return (await this.cache.get(`org:${orgId}`, async () => {
      const state = await this.repo.load(orgId);
      return state ? { value: deepFreeze(state) } : null;
    })) as OrgState | null;
  }

  async user(userId: string): Promise<Member | null> {
    return (await this.cache.get(`usr:${userId}`, async () => {
      const m = await this.repo.user(userId);
      return m ? { value: Object.freeze(m) } : null;
    })) as Member | null;
  }

  get listening(): boolean {
    return this.cache.listening;
  }

  stats() {
    return this.cache.stats();
  }

  onModuleDestroy(): void {
    this.cache.close();
  }
}

/** Every request shares the cached state: freeze it (Maps and Sets keep their methods, so treat them as read-only). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (!(value instanceof Map) && !(value instanceof Set)) for (const v of Object.values(value)) deepFreeze(v);
    if (value instanceof Map) for (const v of value.values()) deepFreeze(v);
  }
  return value;
}
