import { Global, Module } from '@nestjs/common';
import { GATEHOUSE_CONFIG, type GatehouseConfig } from '@gatehouse/core';
import { PasswordHasher } from './password';
import { SecretBox } from './secret-box';
import { Totp } from './totp';

/** The resolved key-encryption key (from GATEHOUSE_KEK, or generated in embedded mode). */
export const KEK = Symbol('gatehouse.kek');

@Global()
@Module({
  providers: [
    { provide: SecretBox, inject: [KEK], useFactory: (kek: Buffer) => new SecretBox(kek) },
    {
      provide: PasswordHasher,
      inject: [GATEHOUSE_CONFIG],
      useFactory: (c: GatehouseConfig) => new PasswordHasher(c.bcryptCost),
    },
    { provide: Totp, useFactory: () => new Totp('Gatehouse') },
  ],
  exports: [SecretBox, PasswordHasher, Totp],
})
export class CredentialsModule {}
