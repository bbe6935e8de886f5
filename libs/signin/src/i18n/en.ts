/**
 * English, the reference catalogue (docs/sign-in-experience.md#languages): every string a
 * hosted page or an email shows. Another locale must have exactly these keys with the same
 * placeholders (a spec checks it). `{name}` is replaced by the parameter of that name; pages
 * and mails escape the result like any other text.
 */
export const en = {
  // Every page's frame.
  'page.powered_by': 'Gatehouse',
  'page.cancel': 'Cancel',
  'page.continue': 'Continue',
  'page.back_to_app': 'Return to the application',
  'page.redirecting': 'Continue to the application',
  'page.signed_out.title': 'You are signed out',
  'page.signed_out.body': 'You have signed out of this sign-in service.',

  // Identifier and password.
  'page.sign_in.title': 'Sign in',
  'page.sign_in.to_app': 'Sign in to continue to {app}',
  'page.email.label': 'Email address',
  'page.password.label': 'Password',
  'page.sign_in': 'Sign in',
  'page.signing_in_as': 'Signing in as {email}',
  'page.invalid_email': 'Enter an email address.',
  'page.invalid_credentials': 'That email address and password do not match an account.',
  'page.rate_limited': 'Too many attempts. Wait a few minutes and try again.',
  'page.forgot_password': 'Forgot password?',
  'page.sign_up': 'Create an account',

  // Passkeys (the passkey pages).
  'page.sign_in_with_passkey': 'Sign in with a passkey',
  'page.passkey.register': 'Add a passkey',
  'page.passkey.required': '{org} requires a passkey. Add one to continue.',

  // Second factor.
  'page.mfa.title': 'Two-step verification',
  'page.mfa.intro': 'Enter the 6-digit code from your authenticator app.',
  'page.mfa.code_label': 'Verification code',
  'page.mfa.verify': 'Verify',
  'page.mfa.invalid': 'That code is not valid. Codes change every 30 seconds and each works once.',
  'page.mfa.use_recovery': 'Use a recovery code instead',
  'page.mfa.recovery_label': 'Recovery code',
  'page.mfa.recovery_hint': 'One of the codes you saved when you set up the authenticator app. Each works once.',
  'page.mfa.setup_title': 'Set up a second factor',
  'page.mfa.setup_required':
    'Your organization requires a second step when you sign in, and this account has none that this page can check.',
  'page.mfa.setup_how':
    'Set up an authenticator app or a passkey for your account in the application, or ask your administrator, then sign in again.',
  'page.mfa.enrol_title': 'Set up two-step verification',
  'page.mfa.enrol_required': '{org} requires a second step when you sign in. Set up an authenticator app now.',
  'page.mfa.enrol_offer': 'Protect your account with a second step when you sign in: an authenticator app.',
  'page.mfa.enrol_hint': 'Scan the QR code with an authenticator app, then enter the 6-digit code it shows.',
  'page.mfa.qr_alt': 'QR code for your authenticator app',
  'page.mfa.secret_label': 'Or type this key into the app',
  'page.mfa.enrol_confirm': 'Turn on',
  'page.mfa.skip': 'Not now',
  'page.mfa.recovery_title': 'Save your recovery codes',
  'page.mfa.recovery_codes':
    'Recovery codes: each works once. Store them somewhere safe; they will not be shown again.',
  'page.mfa.recovery_saved': 'I have saved them',

  // Consent.
  'page.consent.title': 'Allow access?',
  'page.consent.intro': '{app} is asking to:',
  'page.consent.client_id': 'Client ID',
  'page.consent.redirect': 'You will return to',
  'page.consent.resource': 'For the service',
  'page.consent.allow': 'Allow',
  'page.consent.deny': 'Deny',
  'page.consent.policy': 'Privacy policy',
  'page.consent.terms': 'Terms of service',
  'page.consent.home': 'Website',
  'page.consent.sends_to': 'Your authorization will be sent to {hosts}',
  'page.consent.loopback':
    'This application runs on your own computer: every address it can return to is on this device. Allow it only if you started it yourself.',
  'page.consent.unverified': '“{name}” is the name the application gave itself; no administrator checked it.',
  'page.scope.openid': 'Know who you are',
  'page.scope.profile': 'See your name and language',
  'page.scope.email': 'See your email address',
  'page.scope.offline_access': 'Stay signed in to your account when you are away',
  'page.scope.other': 'Use the permission “{scope}”',

  // Errors and stops.
  'page.error.title': 'Something went wrong',
  'page.error.request_id': 'Request ID',
  'page.error.help': 'If you ask for help, quote the request ID.',
  'page.error.invalid_client': 'The application that sent you here is not known to this sign-in service.',
  'page.error.invalid_redirect_uri': 'The application sent you here with a return address it has not registered.',
  'page.error.invalid_request': 'The sign-in request is incomplete or malformed.',
  'page.error.expired':
    'This sign-in has expired or was already completed. Go back to the application and start again.',
  'page.error.forbidden': 'This form was not sent from this sign-in page. Go back to the application and start again.',
  'page.error.unavailable': 'The sign-in service is temporarily unavailable. Try again in a moment.',
  'page.error.not_found': 'There is no page at this address.',
  'page.error.internal': 'An unexpected error occurred.',
  'page.stopped.title': 'Access is stopped',
  'page.stopped.decision': 'Decision ID',

  // Emailed links (docs/sign-in-experience.md#links).
  'page.new_password.label': 'New password',
  'page.new_password.hint': 'At least 12 characters, mixing three of: lower case, upper case, digits, symbols.',
  'page.new_password.weak': 'That password is too weak. {reason}',
  'page.weak.length': 'Use at least 12 characters.',
  'page.weak.too_long': 'Use at most 72 bytes.',
  'page.weak.classes': 'Mix at least three of: lower case, upper case, digits, symbols.',
  'page.weak.repeats': 'Do not repeat a few characters.',
  'page.weak.email': 'Do not use the name of your email address.',
  'page.reset.title': 'Reset your password',
  'page.reset.intro': 'Enter the email address of your account. We will send it a link to choose a new password.',
  'page.reset.send': 'Send the link',
  'page.reset.sent_title': 'Check your email',
  'page.reset.sent': 'If an account exists for {email}, we have sent a link to reset its password.',
  'page.reset.save': 'Save the new password',
  'page.reset.done_title': 'Password changed',
  'page.reset.done': 'Your password has been changed. Sign in with the new one.',
  'page.signup.title': 'Create your {org} account',
  'page.signup.create': 'Create the account',
  'page.signup.sent_title': 'Check your email',
  'page.signup.sent': 'We have sent a link to {email}. Open it to finish creating your account.',
  'page.signup.policy': 'I accept the terms of {org} (version {version}).',
  'page.signup.policy_needed': 'Accept the terms to create an account.',
  'page.signup.closed': '{org} does not take sign-ups for this email address.',
  'page.signup.verify_title': 'Verify your email address',
  'page.signup.verify_intro': 'Confirm {org} may use this address to finish creating your account.',
  'page.signup.verify': 'Verify my address',
  'page.signup.done_title': 'Account created',
  'page.signup.done': 'Your address is verified and your account is ready.',
  'page.invitation.title': 'Join {org}',
  'page.invitation.intro': 'Choose a password to accept the invitation and create your account.',
  'page.invitation.accept': 'Create my account',
  'page.invitation.done_title': 'Welcome',
  'page.invitation.done': 'Your account is ready. Sign in with your email address and the new password.',
  'page.link.expired_title': 'This link no longer works',
  'page.link.expired': 'This link has expired or has already been used. Ask for a new one.',
  'page.link.ask_again': 'Ask for a new link',
  'page.back_to_sign_in': 'You can close this page and return to the application.',

  // Mail.
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
