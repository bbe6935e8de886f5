import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '@gatehouse/audit';
import { CLOCK, GATEHOUSE_CONFIG, systemClock, type Clock } from '@gatehouse/core';
import { ControlAccessGate, ControlModule } from '@gatehouse/control';
import { CredentialsModule, KEK } from '@gatehouse/credentials';
import { DATABASE_URL, DbModule } from '@gatehouse/db';
import { DirectoryModule } from '@gatehouse/directory';
import { KeysModule } from '@gatehouse/keys';
import { OAuthModule, OUTBOUND_CA } from '@gatehouse/oauth';
import { RateLimitModule } from '@gatehouse/ratelimit';
import { SignInModule } from '@gatehouse/signin';
import { ACCESS_GATE, TokensModule, type AccessGate } from '@gatehouse/tokens';
import { BearerGuard } from './auth/bearer.guard';
import { BearerStrategy } from './auth/bearer.strategy';
import { ConsoleModule } from './console/console.module';
import { AdminAuthController } from './controllers/admin-auth.controller';
import { AdminsController } from './controllers/admins.controller';
import { ApprovalsController } from './controllers/approvals.controller';
import { AppsController } from './controllers/apps.controller';
import { AuthzenController } from './controllers/authzen.controller';
import { ControlController, ControlReasonsController } from './controllers/control.controller';
import { PausesController } from './controllers/pauses.controller';
import { MyPolicyController, PolicyController } from './controllers/policy.controller';
import { AuditController } from './controllers/audit.controller';
import { DiscoveryController } from './controllers/discovery.controller';
import { HealthController } from './controllers/health.controller';
import { KeysController } from './controllers/keys.controller';
import { MeController } from './controllers/me.controller';
import { OAuthController } from './controllers/oauth.controller';
import { OrgsController } from './controllers/orgs.controller';
import { RegistrationController } from './controllers/registration.controller';
import { ClientRegistrationController, ResourcesController } from './controllers/resources.controller';
import { IdJagAudiencesController, TrustedIssuersController } from './controllers/id-jag.controller';
import { UsersController } from './controllers/users.controller';
import { AccountLinksController } from './controllers/account-links.controller';
import { MyMfaController, MyPasskeysController } from './controllers/my-factors.controller';
import { BrandingController, SignInSettingsController } from './controllers/sign-in-settings.controller';
import { ManagedTokensController } from './controllers/managed-tokens.controller';
import { AnomaliesController } from './controllers/anomalies.controller';
import { ProblemFilter } from './http/problem.filter';
import { AuthorizeController } from './sign-in/authorize.controller';
import { BRANDING_SOURCE, OrgBranding } from './sign-in/branding';
import { LogoutController } from './sign-in/logout.controller';
import { PageRenderer } from './sign-in/page-renderer';
import { SignInController } from './sign-in/sign-in.controller';
import { PasskeyPagesController } from './sign-in/passkey.controller';
import { LinkPagesController } from './sign-in/link-pages.controller';
import { FormCsrf } from './sign-in/form-csrf';
import { UserInfoController } from './sign-in/userinfo.controller';
import { MyConsentsController } from './sign-in/my-consents.controller';
import { UserConsentsController } from './sign-in/user-consents.controller';
import { ReadinessService } from './readiness.service';
import { RevocationFeedRepository } from './revocations/revocation-feed.repository';
import { RevocationFeedService } from './revocations/revocation-feed.service';
import { RevocationsController } from './revocations/revocations.controller';
import type { Runtime } from './runtime';

export interface AppOptions {
  /** Where JSON log lines go (default stdout); tests capture them to scan for secrets. */
  logStream?: NodeJS.WritableStream;
  clock?: Clock;
  /**
   * The access gate to bind (docs/architecture.md#the-access-gate). Tests bind a deny-all
   * gate here; by default the control layer decides (ControlAccessGate, docs/control.md).
   */
  accessGate?: AccessGate;
  /** The guarded fetcher's https trust anchors (tests with their own CA; libs/oauth OUTBOUND_CA). */
  outboundCa?: string[];
}

@Global()
@Module({})
class RuntimeModule {
  static forRoot(rt: Runtime, clock: Clock, accessGate: AccessGate | undefined, ca?: string[]): DynamicModule {
    const providers = [
      ...(ca ? [{ provide: OUTBOUND_CA, useValue: ca }] : []),
      { provide: GATEHOUSE_CONFIG, useValue: rt.config },
      accessGate
        ? { provide: ACCESS_GATE, useValue: accessGate }
        : { provide: ACCESS_GATE, useExisting: ControlAccessGate },
      { provide: DATABASE_URL, useValue: rt.databaseUrl },
      { provide: KEK, useValue: rt.kek },
      { provide: CLOCK, useValue: clock },
    ];
    return { module: RuntimeModule, providers, exports: providers.map((p) => p.provide) };
  }
}

@Module({})
export class AppModule {
  static forRoot(rt: Runtime, opts: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RuntimeModule.forRoot(rt, opts.clock ?? systemClock, opts.accessGate, opts.outboundCa),
        DbModule,
        CredentialsModule,
        AuditModule,
        RateLimitModule,
        KeysModule,
        TokensModule,
        DirectoryModule,
        OAuthModule,
        ControlModule,
        SignInModule,
        PassportModule,
        ConsoleModule,
      ],
      controllers: [
        HealthController,
        DiscoveryController,
        OAuthController,
        RegistrationController,
        MeController,
        AdminAuthController,
        AdminsController,
        AuditController,
        OrgsController,
        AppsController,
        ResourcesController,
        ClientRegistrationController,
        TrustedIssuersController,
        IdJagAudiencesController,
        UsersController,
        KeysController,
        RevocationsController,
        ControlController,
        ControlReasonsController,
        PolicyController,
        MyPolicyController,
        PausesController,
        ApprovalsController,
        AuthzenController,
        ManagedTokensController,
        AnomaliesController,
        AuthorizeController,
        SignInController,
        PasskeyPagesController,
        LogoutController,
        UserInfoController,
        MyConsentsController,
        UserConsentsController,
        SignInSettingsController,
        BrandingController,
        AccountLinksController,
        MyMfaController,
        MyPasskeysController,
        LinkPagesController,
      ],
      providers: [
        PageRenderer,
        FormCsrf,
        // docs/sign-in.md#branding: each org's (and app's) branding from BrandingService.
        { provide: BRANDING_SOURCE, useClass: OrgBranding },
        BearerStrategy,
        ReadinessService,
        RevocationFeedRepository,
        RevocationFeedService,
        { provide: APP_GUARD, useClass: BearerGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
