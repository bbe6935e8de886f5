import { Global, Module } from '@nestjs/common';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

@Global()
@Module({ providers: [SigningKeyRepository, SigningKeyService], exports: [SigningKeyService] })
export class KeysModule {}
