export * from './secret-box';
export * from './keyed-hash';
export * from './password';
export * from './totp';
export * from './recovery-codes';
export * from './credentials.module';
export * from './client-keys';
