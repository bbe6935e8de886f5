import { Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Problems, type Principal } from '@gatehouse/core';
import { PrismaService } from '@gatehouse/db';
import { userClaims } from '@gatehouse/oauth';
import { Access } from '../http/public.decorator';
import { Caller } from '../http/request-meta.decorator';

/**
 * OIDC Core §5.3 UserInfo, `GET|POST /oauth/userinfo` with a user token that carries
 * `openid` (a bearer or DPoP-bound access token; the bearer guard checks it like any other):
 * `sub`, `org`, `org_id`, and the claims its scopes allow (docs/sign-in.md#claims).
 */
@ApiTags('oauth')
@ApiBearerAuth()
@Controller('oauth/userinfo')
export class UserInfoController {
  constructor(private readonly prisma: PrismaService) {}

  @Get()
  @Access({ tiers: ['user'], scopes: ['openid'] })
  get(@Caller() p: Principal) {
    return this.claims(p);
  }

  @Post()
  @Access({ tiers: ['user'], scopes: ['openid'] })
  post(@Caller() p: Principal) {
    return this.claims(p);
  }

  private async claims(p: Principal) {
    if (p.tier !== 'user') throw Problems.forbidden('UserInfo is for user tokens.');
    const user = await this.prisma.user.findUnique({ where: { id: p.id }, include: { org: true } });
    if (!user || user.orgId !== p.orgId) throw Problems.notFound('user');
    return { sub: user.id, ...userClaims({ ...user, org: { id: user.org.id, name: user.org.name } }, p.scopes) };
  }
}
