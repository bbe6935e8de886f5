import type { Catalogue } from './en';

/** Deutsch (docs/sign-in-experience.md#languages). */
export const de: Catalogue = {
  'page.title.sign_in': 'Bei {org} anmelden',
  'page.email.label': 'E-Mail-Adresse',
  'page.password.label': 'Passwort',
  'page.continue': 'Weiter',
  'page.sign_in': 'Anmelden',
  'page.sign_in_with_passkey': 'Mit einem Passkey anmelden',
  'page.forgot_password': 'Passwort vergessen?',
  'page.sign_up': 'Konto erstellen',
  'page.mfa.title': 'Bestätigung in zwei Schritten',
  'page.mfa.code_label': 'Code aus Ihrer Authenticator-App oder ein Wiederherstellungscode',
  'page.mfa.enrol_title': 'Bestätigung in zwei Schritten einrichten',
  'page.mfa.enrol_hint':
    'Scannen Sie den QR-Code mit einer Authenticator-App und geben Sie dann den sechsstelligen Code ein.',
  'page.mfa.recovery_codes':
    'Wiederherstellungscodes: Jeder gilt einmal. Bewahren Sie sie sicher auf; sie werden nicht erneut angezeigt.',
  'page.passkey.register': 'Passkey hinzufügen',
  'page.passkey.required': '{org} verlangt einen Passkey. Fügen Sie einen hinzu, um fortzufahren.',
  'page.passkey.or': 'oder',
  'page.passkey.failed':
    'Dieser Passkey konnte nicht verwendet werden. Versuchen Sie es erneut oder fahren Sie mit Ihrer E-Mail-Adresse fort.',
  'page.passkey.title': 'Mit Ihrem Passkey bestätigen',
  'page.passkey.intro':
    'Verwenden Sie den Passkey auf diesem Gerät, in Ihrem Passwort-Manager oder auf Ihrem Sicherheitsschlüssel.',
  'page.passkey.use': 'Passkey verwenden',
  'page.passkey.use_code': 'Stattdessen die Authenticator-App verwenden',
  'page.passkey.second_failed': 'Dieser Passkey konnte nicht bestätigt werden. Versuchen Sie es erneut.',
  'page.passkey.unsupported':
    'Dieser Browser kann hier keine Passkeys verwenden. Öffnen Sie diese Seite in einem Browser, der sie unterstützt, mit aktiviertem JavaScript.',
  'page.passkey.setup_intro':
    'Ihr Gerät fordert Sie auf, einen Passkey zu erstellen: eine Anmeldung, die auf diesem Gerät oder in Ihrem Passwort-Manager bleibt.',
  'page.passkey.setup_failed': 'Der Passkey konnte nicht hinzugefügt werden. Versuchen Sie es erneut.',
  'page.reset.title': 'Passwort zurücksetzen',
  'page.reset.sent':
    'Falls es ein Konto für {email} gibt, haben wir einen Link zum Zurücksetzen des Passworts gesendet.',
  'page.reset.new_password': 'Neues Passwort',
  'page.reset.done': 'Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen an.',
  'page.signup.title': 'Ihr Konto bei {org} erstellen',
  'page.signup.sent': 'Wir haben einen Link an {email} gesendet. Öffnen Sie ihn, um Ihr Konto fertig zu erstellen.',
  'page.signup.policy': 'Ich akzeptiere die Bedingungen von {org} (Version {version}).',
  'page.signup.done': 'Ihre Adresse ist bestätigt und Ihr Konto ist bereit.',
  'page.invitation.title': '{org} beitreten',
  'page.link.expired': 'Dieser Link ist abgelaufen oder wurde bereits verwendet. Fordern Sie einen neuen an.',
  'page.error.title': 'Etwas ist schiefgegangen',
  'page.error.request_id': 'Anfrage-ID: {request_id}',
  'mail.reset.subject': 'Ihr Passwort bei {org} zurücksetzen',
  'mail.reset.intro': 'Jemand hat das Zurücksetzen des Passworts Ihres Kontos bei {org} ({email}) angefordert.',
  'mail.reset.action': 'Neues Passwort wählen',
  'mail.reset.expiry': 'Der Link gilt einmal und läuft in {minutes} Minuten ab.',
  'mail.reset.ignore':
    'Falls Sie das nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.',
  'mail.signup.subject': 'Bestätigen Sie Ihre E-Mail-Adresse für {org}',
  'mail.signup.intro': 'Bestätigen Sie, dass {email} Ihnen gehört, um Ihr Konto bei {org} fertig zu erstellen.',
  'mail.signup.action': 'Adresse bestätigen',
  'mail.signup.expiry': 'Der Link gilt einmal und läuft in {hours} Stunden ab.',
  'mail.signup.ignore':
    'Falls Sie sich nicht registriert haben, ignorieren Sie diese Nachricht: Es wird kein Konto erstellt.',
  'mail.signup_existing.subject': 'Sie haben bereits ein Konto bei {org}',
  'mail.signup_existing.intro':
    'Jemand wollte ein Konto bei {org} für {email} erstellen, aber für diese Adresse gibt es schon eines.',
  'mail.signup_existing.action': 'Mein Passwort zurücksetzen',
  'mail.signup_existing.ignore':
    'Falls Sie das nicht waren, ignorieren Sie diese Nachricht: Es hat sich nichts geändert.',
  'mail.invitation.subject': 'Einladung zu {org}',
  'mail.invitation.intro': 'Sie wurden eingeladen, ein Konto bei {org} für {email} zu erstellen.',
  'mail.invitation.action': 'Einladung annehmen',
  'mail.invitation.expiry': 'Der Link gilt einmal und läuft in {days} Tagen ab.',
  'mail.footer': 'Gesendet von {org} über Gatehouse.',
};
