export * from './grant';
export * from './client-authenticator';
export * from './client-credentials.grant';
export * from './refresh-token.grant';
export * from './scope';
export * from './token-endpoint.service';
export * from './oauth.module';
export * from './revocation.endpoint';
