export * from './signing-key.service';
export * from './key-rotation.service';
export * from './key-schedule.service';
export * from './signing-key.views';
export type { SigningKeyState } from './signing-key.repository';
export * from './keys.module';
export { KeyChanges } from './key-changes';
export * from './key-watcher';
