import { Global, Module } from '@nestjs/common';
import { KeyChanges } from './key-changes';
import { SigningKeyGenerator } from './key-generator';
import { KeyRotationService } from './key-rotation.service';
import { KeyScheduleService } from './key-schedule.service';
import { KeyWatcher } from './key-watcher';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

@Global()
@Module({
  providers: [
    SigningKeyRepository,
    SigningKeyGenerator,
    SigningKeyService,
    KeyChanges,
    KeyRotationService,
    KeyScheduleService,
    KeyWatcher,
  ],
  exports: [SigningKeyService, KeyRotationService, KeyScheduleService, KeyChanges],
})
export class KeysModule {}
