import { Module } from '@nestjs/common';
import { SignInModule } from '@gatehouse/signin';
import { AuditVerifyController } from './audit-verify.controller';
import { ConsoleSessionController } from './console-session.controller';
import { TokenInspectController } from './token-inspect.controller';
import { TokenInspectionService } from './token-inspection.service';

/** The API the admin console needs beyond the rest of /v1 (docs/console.md). */
@Module({
  imports: [SignInModule],
  controllers: [ConsoleSessionController, TokenInspectController, AuditVerifyController],
  providers: [TokenInspectionService],
})
export class ConsoleModule {}
