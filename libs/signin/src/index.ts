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
export * from './i18n/catalogue';
export * from './mail/mail.service';
export * from './mail/mail-templates';
export { LINK_PATHS } from './mail/link-mail';
export * from './user-flows/password-reset';
export * from './user-flows/user-mfa-step';
export * from './user-flows/my-mfa';
export * from './user-flows/second-factor';
export * from './browser/authorization.service';
export * from './browser/authorization-response';
export * from './browser/authorization-completion';
export * from './browser/browser-sessions';
export * from './browser/consents';
export * from './browser/sign-in-flow';
export * from './browser/factors/sign-in-factor';
export * from './user-flows/passkeys';
export * from './user-flows/signup';
export * from './user-flows/invitations';
export * from './user-flows/link-status';
