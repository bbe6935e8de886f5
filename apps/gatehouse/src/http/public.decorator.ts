import { SetMetadata } from '@nestjs/common';
import type { Tier } from '@gatehouse/core';

export const IS_PUBLIC = 'gatehouse:public';
export const ACCESS_RULE = 'gatehouse:access';

/** Opts a route out of the global bearer guard (deny by default: a route is public only by saying so). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AccessRule {
  tiers: Tier[];
  /** Every listed scope is required; an empty list requires none. */
  scopes: string[];
}

/** Without @Access a bearer route is for full admin sessions only. */
export const DEFAULT_ACCESS: AccessRule = { tiers: ['admin'], scopes: ['admin'] };

export const Access = (rule: AccessRule) => SetMetadata(ACCESS_RULE, rule);
