import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The passkey scripts of the hosted pages (docs/sign-in-experience.md#passkeys-on-the-pages),
 * served from Gatehouse's own origin under `script-src 'self'`: @simplewebauthn/browser's
 * UMD bundle (the global `SimpleWebAuthnBrowser`) and the page script below. Without
 * JavaScript, or without WebAuthn, the passkey controls stay hidden and the page works as
 * before.
 *
 * The page script looks for `#passkey-form` (a hidden form with the interaction's CSRF
 * token and a `response` field): `data-ceremony` is `get` (an assertion) or `create` (a
 * registration); `data-origins` the WebAuthn origins (elsewhere nothing is offered);
 * `data-autofill` also starts conditional mediation (the passkey offered in the email
 * field's autofill). A ceremony's options come from `POST /sign-in/passkey/options`;
 * the credential's JSON is posted with the form, so the server decides as for any step.
 */
export const SIMPLEWEBAUTHN_BROWSER_JS = readFileSync(
  // The package's exports name only its modules; the browser bundle sits beside them.
  join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'),
  'utf8',
);

export const PASSKEY_JS = `(function () {
  'use strict';
  function byId(id) { return document.getElementById(id); }
  function reveal(selector) {
    var els = document.querySelectorAll(selector);
    for (var i = 0; i < els.length; i++) els[i].hidden = false;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var form = byId('passkey-form');
    if (!form) return;
    var W = window.SimpleWebAuthnBrowser;
    // Passkeys are bound to the RP's origins: on any other (an IP address) they cannot work.
    var origins = (form.getAttribute('data-origins') || '').split(' ');
    if (!W || !W.browserSupportsWebAuthn() || origins.indexOf(location.origin) < 0) {
      reveal('[data-passkey-unsupported]');
      return;
    }
    var ceremony = form.getAttribute('data-ceremony');
    var error = byId('passkey-error');
    function options() {
      var body = new URLSearchParams();
      body.set('csrf', form.elements.csrf.value);
      return fetch('/sign-in/passkey/options', { method: 'POST', credentials: 'same-origin', body: body })
        .then(function (r) { if (!r.ok) throw new Error('options: ' + r.status); return r.json(); });
    }
    function run(autofill) {
      return options().then(function (o) {
        return ceremony === 'create'
          ? W.startRegistration({ optionsJSON: o })
          : W.startAuthentication({ optionsJSON: o, useBrowserAutofill: autofill });
      }).then(function (credential) {
        form.elements.response.value = JSON.stringify(credential);
        form.submit();
      });
    }
    function failed(err) {
      // A ceremony replaced by another (the button after autofill) is not a failure.
      if (err && err.name === 'AbortError') return;
      if (error) { error.hidden = false; error.focus(); }
    }
    reveal('[data-passkey]');
    var button = byId('passkey-button');
    if (button) button.addEventListener('click', function () {
      if (error) error.hidden = true;
      run(false).catch(failed);
    });
    // Autofill was not asked for by the person: its failures stay quiet.
    if (form.hasAttribute('data-autofill')) {
      W.browserSupportsWebAuthnAutofill().then(function (yes) { if (yes) run(true).catch(function () {}); });
    }
  });
})();
`;
