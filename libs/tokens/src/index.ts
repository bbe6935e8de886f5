export * from './access-gate';
export * from './claims';
export * from './access-token.service';
export * from './access-token.verifier';
export * from './refresh-token.service';
export * from './tokens.module';
export * from './token-revocation.service';
export * from './revocation-mirror';
