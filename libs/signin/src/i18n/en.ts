/**
 * English, the reference catalogue (docs/sign-in-experience.md#languages): every key a page
 * or an email uses. Another locale must have exactly these keys (a spec checks it).
 * `{name}` is replaced by the parameter of that name, escaped for HTML where HTML is built.
 */
export const en = {
  'page.title.sign_in': 'Sign in to {org}',
  'page.email.label': 'Email address',
  'page.password.label': 'Password',
  'page.continue': 'Continue',
  'page.sign_in': 'Sign in',
  'page.sign_in_with_passkey': 'Sign in with a passkey',
  'page.forgot_password': 'Forgot your password?',
  'page.sign_up': 'Create an account',
  'page.mfa.title': 'Two-step verification',
  'page.mfa.code_label': 'Code from your authenticator app, or a recovery code',
  'page.mfa.enrol_title': 'Set up two-step verification',
  'page.mfa.enrol_hint': 'Scan the QR code with an authenticator app, then enter the 6-digit code it shows.',
  'page.mfa.recovery_codes':
    'Recovery codes: each works once. Store them somewhere safe; they will not be shown again.',
  'page.passkey.register': 'Add a passkey',
  'page.passkey.required': '{org} requires a passkey. Add one to continue.',
  'page.passkey.or': 'or',
  'page.passkey.failed': 'That passkey could not be used. Try again, or continue with your email address.',
  'page.passkey.title': 'Confirm with your passkey',
  'page.passkey.intro': 'Use the passkey saved on this device, in your password manager or on your security key.',
  'page.passkey.use': 'Use passkey',
  'page.passkey.use_code': 'Use your authenticator app instead',
  'page.passkey.second_failed': 'That passkey could not be verified. Try again.',
  'page.passkey.unsupported':
    'This browser cannot use passkeys here. Open this page in a browser that supports them, with JavaScript turned on.',
  'page.passkey.setup_intro':
    'Your device will ask you to create a passkey: a way to sign in that stays on this device or in your password manager.',
  'page.passkey.setup_failed': 'The passkey could not be added. Try again.',
  'page.reset.title': 'Reset your password',
  'page.reset.sent': 'If an account exists for {email}, we have sent a link to reset its password.',
  'page.reset.new_password': 'New password',
  'page.reset.done': 'Your password has been changed. Sign in with the new one.',
  'page.signup.title': 'Create your {org} account',
  'page.signup.sent': 'We have sent a link to {email}. Open it to finish creating your account.',
  'page.signup.policy': 'I accept the terms of {org} (version {version}).',
  'page.signup.done': 'Your address is verified and your account is ready.',
  'page.invitation.title': 'Join {org}',
  'page.link.expired': 'This link has expired or has already been used. Ask for a new one.',
  'page.error.title': 'Something went wrong',
  'page.error.request_id': 'Request ID: {request_id}',
  'mail.reset.subject': 'Reset your {org} password',
  'mail.reset.intro': 'Someone asked to reset the password of your {org} account ({email}).',
  'mail.reset.action': 'Choose a new password',
  'mail.reset.expiry': 'The link works once and expires in {minutes} minutes.',
  'mail.reset.ignore': 'If you did not ask for this, ignore this message: your password stays as it is.',
  'mail.signup.subject': 'Verify your email address for {org}',
  'mail.signup.intro': 'Confirm that {email} is yours to finish creating your {org} account.',
  'mail.signup.action': 'Verify my address',
  'mail.signup.expiry': 'The link works once and expires in {hours} hours.',
  'mail.signup.ignore': 'If you did not sign up, ignore this message: no account is created.',
  'mail.signup_existing.subject': 'You already have a {org} account',
  'mail.signup_existing.intro':
    'Someone tried to create a {org} account for {email}, but this address already has one.',
  'mail.signup_existing.action': 'Reset my password',
  'mail.signup_existing.ignore': 'If this was not you, ignore this message: nothing has changed.',
  'mail.invitation.subject': 'You are invited to {org}',
  'mail.invitation.intro': 'You have been invited to create an account at {org} for {email}.',
  'mail.invitation.action': 'Accept the invitation',
  'mail.invitation.expiry': 'The link works once and expires in {days} days.',
  'mail.footer': 'Sent by {org} through Gatehouse.',
} as const;

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;
