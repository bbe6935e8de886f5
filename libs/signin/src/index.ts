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
