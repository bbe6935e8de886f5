import type { Catalogue } from './en';

/** Deutsch (docs/sign-in-experience.md#languages). */
export const de: Catalogue = {
  'page.powered_by': 'Gatehouse',
  'page.cancel': 'Abbrechen',
  'page.continue': 'Weiter',
  'page.back_to_app': 'Zurück zur Anwendung',
  'page.redirecting': 'Weiter zur Anwendung',
  'page.signed_out.title': 'Sie sind abgemeldet',
  'page.signed_out.body': 'Sie haben sich von diesem Anmeldedienst abgemeldet.',

  'page.sign_in.title': 'Anmelden',
  'page.sign_in.to_app': 'Melden Sie sich an, um mit {app} fortzufahren',
  'page.email.label': 'E-Mail-Adresse',
  'page.password.label': 'Passwort',
  'page.sign_in': 'Anmelden',
  'page.signing_in_as': 'Anmeldung als {email}',
  'page.invalid_email': 'Geben Sie eine E-Mail-Adresse ein.',
  'page.invalid_credentials': 'E-Mail-Adresse und Passwort passen zu keinem Konto.',
  'page.rate_limited': 'Zu viele Versuche. Warten Sie einige Minuten und versuchen Sie es erneut.',
  'page.forgot_password': 'Passwort vergessen?',
  'page.sign_up': 'Konto erstellen',

  'page.sign_in_with_passkey': 'Mit einem Passkey anmelden',
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

  'page.mfa.title': 'Bestätigung in zwei Schritten',
  'page.mfa.intro': 'Geben Sie den sechsstelligen Code aus Ihrer Authenticator-App ein.',
  'page.mfa.code_label': 'Bestätigungscode',
  'page.mfa.verify': 'Bestätigen',
  'page.mfa.invalid': 'Dieser Code ist nicht gültig. Die Codes wechseln alle 30 Sekunden, und jeder gilt nur einmal.',
  'page.mfa.use_recovery': 'Stattdessen einen Wiederherstellungscode verwenden',
  'page.mfa.recovery_label': 'Wiederherstellungscode',
  'page.mfa.recovery_hint':
    'Einer der Codes, die Sie beim Einrichten der Authenticator-App gespeichert haben. Jeder gilt einmal.',
  'page.mfa.setup_title': 'Einen zweiten Faktor einrichten',
  'page.mfa.setup_required':
    'Ihre Organisation verlangt bei der Anmeldung einen zweiten Schritt, und dieses Konto hat keinen, den diese Seite prüfen kann.',
  'page.mfa.setup_how':
    'Richten Sie in der Anwendung eine Authenticator-App oder einen Passkey für Ihr Konto ein, oder wenden Sie sich an Ihre Administration, und melden Sie sich dann erneut an.',
  'page.mfa.enrol_title': 'Bestätigung in zwei Schritten einrichten',
  'page.mfa.enrol_required':
    '{org} verlangt bei der Anmeldung einen zweiten Schritt. Richten Sie jetzt eine Authenticator-App ein.',
  'page.mfa.enrol_offer':
    'Schützen Sie Ihr Konto mit einem zweiten Schritt bei der Anmeldung: einer Authenticator-App.',
  'page.mfa.enrol_hint':
    'Scannen Sie den QR-Code mit einer Authenticator-App und geben Sie dann den sechsstelligen Code ein, den sie anzeigt.',
  'page.mfa.qr_alt': 'QR-Code für Ihre Authenticator-App',
  'page.mfa.secret_label': 'Oder tippen Sie diesen Schlüssel in die App',
  'page.mfa.enrol_confirm': 'Einschalten',
  'page.mfa.skip': 'Nicht jetzt',
  'page.mfa.recovery_title': 'Speichern Sie Ihre Wiederherstellungscodes',
  'page.mfa.recovery_codes':
    'Wiederherstellungscodes: Jeder gilt einmal. Bewahren Sie sie sicher auf; sie werden nicht erneut angezeigt.',
  'page.mfa.recovery_saved': 'Ich habe sie gespeichert',

  'page.consent.title': 'Zugriff erlauben?',
  'page.consent.intro': '{app} möchte:',
  'page.consent.client_id': 'Client-ID',
  'page.consent.redirect': 'Sie kehren zurück zu',
  'page.consent.resource': 'Für den Dienst',
  'page.consent.allow': 'Erlauben',
  'page.consent.deny': 'Ablehnen',
  'page.consent.policy': 'Datenschutzerklärung',
  'page.consent.terms': 'Nutzungsbedingungen',
  'page.consent.home': 'Webseite',
  'page.consent.sends_to': 'Ihre Freigabe wird an {hosts} gesendet',
  'page.consent.loopback':
    'Diese Anwendung läuft auf Ihrem eigenen Computer: Jede Adresse, zu der sie zurückkehren kann, liegt auf diesem Gerät. Erlauben Sie den Zugriff nur, wenn Sie sie selbst gestartet haben.',
  'page.consent.unverified':
    '„{name}“ ist der Name, den sich die Anwendung selbst gegeben hat; keine Administration hat ihn geprüft.',
  'page.scope.openid': 'Wissen, wer Sie sind',
  'page.scope.profile': 'Ihren Namen und Ihre Sprache sehen',
  'page.scope.email': 'Ihre E-Mail-Adresse sehen',
  'page.scope.offline_access': 'Bei Ihrem Konto angemeldet bleiben, während Sie nicht da sind',
  'page.scope.other': 'Die Berechtigung „{scope}“ verwenden',

  'page.error.title': 'Etwas ist schiefgegangen',
  'page.error.request_id': 'Anfrage-ID',
  'page.error.help': 'Wenn Sie um Hilfe bitten, nennen Sie die Anfrage-ID.',
  'page.error.invalid_client': 'Die Anwendung, die Sie hierher geschickt hat, ist diesem Anmeldedienst nicht bekannt.',
  'page.error.invalid_redirect_uri':
    'Die Anwendung hat Sie mit einer Rücksprungadresse hierher geschickt, die sie nicht registriert hat.',
  'page.error.invalid_request': 'Die Anmeldeanfrage ist unvollständig oder fehlerhaft.',
  'page.error.expired':
    'Diese Anmeldung ist abgelaufen oder wurde bereits abgeschlossen. Kehren Sie zur Anwendung zurück und beginnen Sie erneut.',
  'page.error.forbidden':
    'Dieses Formular wurde nicht von dieser Anmeldeseite gesendet. Kehren Sie zur Anwendung zurück und beginnen Sie erneut.',
  'page.error.unavailable':
    'Der Anmeldedienst ist vorübergehend nicht erreichbar. Versuchen Sie es gleich noch einmal.',
  'page.error.not_found': 'Unter dieser Adresse gibt es keine Seite.',
  'page.error.internal': 'Ein unerwarteter Fehler ist aufgetreten.',
  'page.stopped.title': 'Der Zugriff ist gesperrt',
  'page.stopped.decision': 'Entscheidungs-ID',
  'page.policy.title': 'Richtlinie akzeptieren, um fortzufahren',
  'page.policy.intro': '{org} bittet Sie, Version {version} seiner Richtlinie zu akzeptieren, bevor Sie fortfahren.',
  'page.policy.read': 'Richtlinie lesen',
  'page.policy.version': 'Richtlinienversion',
  'page.policy.accept': 'Akzeptieren und fortfahren',
  'page.policy.cancel': 'Abbrechen',

  'page.new_password.label': 'Neues Passwort',
  'page.new_password.hint':
    'Mindestens 12 Zeichen, gemischt aus drei von: Kleinbuchstaben, Großbuchstaben, Ziffern, Sonderzeichen.',
  'page.new_password.weak': 'Dieses Passwort ist zu schwach. {reason}',
  'page.weak.length': 'Verwenden Sie mindestens 12 Zeichen.',
  'page.weak.too_long': 'Verwenden Sie höchstens 72 Bytes.',
  'page.weak.classes': 'Mischen Sie mindestens drei von: Kleinbuchstaben, Großbuchstaben, Ziffern, Sonderzeichen.',
  'page.weak.repeats': 'Wiederholen Sie nicht nur wenige Zeichen.',
  'page.weak.email': 'Verwenden Sie nicht den Namen Ihrer E-Mail-Adresse.',
  'page.reset.title': 'Passwort zurücksetzen',
  'page.reset.intro':
    'Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden ihr einen Link, mit dem Sie ein neues Passwort wählen.',
  'page.reset.send': 'Link senden',
  'page.reset.sent_title': 'Sehen Sie in Ihr Postfach',
  'page.reset.sent':
    'Falls es ein Konto für {email} gibt, haben wir einen Link zum Zurücksetzen des Passworts gesendet.',
  'page.reset.save': 'Neues Passwort speichern',
  'page.reset.done_title': 'Passwort geändert',
  'page.reset.done': 'Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen an.',
  'page.signup.title': 'Ihr Konto bei {org} erstellen',
  'page.signup.create': 'Konto erstellen',
  'page.signup.sent_title': 'Sehen Sie in Ihr Postfach',
  'page.signup.sent': 'Wir haben einen Link an {email} gesendet. Öffnen Sie ihn, um Ihr Konto fertig zu erstellen.',
  'page.signup.policy': 'Ich akzeptiere die Bedingungen von {org} (Version {version}).',
  'page.signup.policy_needed': 'Akzeptieren Sie die Bedingungen, um ein Konto zu erstellen.',
  'page.signup.closed': '{org} nimmt für diese E-Mail-Adresse keine Registrierungen an.',
  'page.signup.verify_title': 'E-Mail-Adresse bestätigen',
  'page.signup.verify_intro':
    'Bestätigen Sie, dass {org} diese Adresse verwenden darf, um Ihr Konto fertig zu erstellen.',
  'page.signup.verify': 'Adresse bestätigen',
  'page.signup.done_title': 'Konto erstellt',
  'page.signup.done': 'Ihre Adresse ist bestätigt und Ihr Konto ist bereit.',
  'page.invitation.title': '{org} beitreten',
  'page.invitation.intro': 'Wählen Sie ein Passwort, um die Einladung anzunehmen und Ihr Konto zu erstellen.',
  'page.invitation.accept': 'Mein Konto erstellen',
  'page.invitation.done_title': 'Willkommen',
  'page.invitation.done': 'Ihr Konto ist bereit. Melden Sie sich mit Ihrer E-Mail-Adresse und dem neuen Passwort an.',
  'page.link.expired_title': 'Dieser Link funktioniert nicht mehr',
  'page.link.expired': 'Dieser Link ist abgelaufen oder wurde bereits verwendet. Fordern Sie einen neuen an.',
  'page.link.ask_again': 'Einen neuen Link anfordern',
  'page.back_to_sign_in': 'Sie können diese Seite schließen und zur Anwendung zurückkehren.',

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
