import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '@gatehouse/audit';
import type { Principal } from '@gatehouse/core';
import { KeyRotationService } from '@gatehouse/keys';
import { IdPipe } from '../http/id.pipe';
import { Caller, Meta } from '../http/request-meta.decorator';
import { ApiAnswer } from '../http/response-schemas';

const KeyId = new IdPipe('key', 'signing key');

/** Signing keys (docs/design.md §4): list for any admin; rotate and revoke for platform admins. */
@ApiTags('keys')
@ApiBearerAuth()
@Controller('v1/keys')
export class KeysController {
  constructor(private readonly keys: KeyRotationService) {}

  @Get()
  @ApiAnswer('KeyList')
  list(@Caller() p: Principal) {
    return this.keys.list(p);
  }

  @Post('rotate')
  @HttpCode(200)
  rotate(@Caller() p: Principal, @Meta() meta: RequestMeta) {
    return this.keys.rotate(p, meta);
  }

  @Post(':kid/revoke')
  @HttpCode(200)
  revoke(@Caller() p: Principal, @Meta() meta: RequestMeta, @Param('kid', KeyId) kid: string) {
    return this.keys.revoke(p, meta, kid);
  }
}
