export * from './signing-key.service';
export * from './keys.module';
