export * from './admin-auth.service';
export * from './user-auth.service';
export * from './login-throttle';
export * from './interactions/interaction-kinds';
export type {
  InteractionLookup,
  JsonObject,
  JsonValue,
  NewInteraction,
  SignInInteraction,
} from './interactions/sign-in-interaction.repository';
export * from './signin.module';
export * from './browser/authorization.service';
export * from './browser/authorization-response';
export * from './browser/authorization-completion';
export * from './browser/browser-sessions';
export * from './browser/consents';
export * from './browser/sign-in-flow';
export * from './browser/factors/sign-in-factor';
