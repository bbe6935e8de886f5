import type { PipeTransform } from '@nestjs/common';
import { isId, Problems, type IdKind } from '@gatehouse/core';

/** A path ID of the wrong shape names nothing: answer 404 like any unknown ID. */
export class IdPipe implements PipeTransform<string, string> {
  constructor(
    private readonly kind: IdKind,
    private readonly what: string,
  ) {}

  transform(value: string): string {
    if (!isId(this.kind, value)) throw Problems.notFound(this.what);
    return value;
  }
}

export const OrgId = new IdPipe('org', 'organization');
export const AppId = new IdPipe('app', 'application');
export const UserId = new IdPipe('user', 'user');
export const SecretId = new IdPipe('secret', 'secret');
export const PauseId = new IdPipe('pause', 'pause');
export const ApprovalId = new IdPipe('approval', 'approval request');
export const ResourceId = new IdPipe('resource', 'resource');
export const TrustedIssuerId = new IdPipe('trustedIssuer', 'trusted issuer');
export const IdJagAudienceId = new IdPipe('idJagAudience', 'ID-JAG audience');
export const PasskeyId = new IdPipe('passkey', 'passkey');
