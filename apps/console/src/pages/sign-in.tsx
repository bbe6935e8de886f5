import { useEffect, useRef, useState } from 'react';
import { api, holdEnrolmentToken, signInCode, signInPassword } from '../api/client';
import { AsyncForm, Field, ShownOnce } from '../components/ui';
import { useSession } from '../session';

type Step =
  | { kind: 'password' }
  | { kind: 'code'; mfaToken: string }
  | { kind: 'enrol'; secret: string; uri: string; qrSvg: string }
  | { kind: 'recovery-codes'; codes: string[] };

/**
 * Sign-in (docs/console.md#sign-in): email + password, then a TOTP code or a recovery
 * code. An administrator without a second factor yet enrols first: the QR code and secret,
 * a code to activate, and the recovery codes shown once; then signs in with the new factor.
 */
export function SignIn({ notice }: { notice?: string }) {
  const { established } = useSession();
  const [step, setStepState] = useState<Step>({ kind: 'password' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  // Every step starts with an empty code field.
  const setStep = (next: Step) => {
    setStepState(next);
    setCode('');
  };

  useEffect(() => {
    document.title = 'Sign in · Gatehouse console';
    heading.current?.focus();
  }, [step.kind]);

  const passwordStep = async () => {
    const r = await signInPassword(email, password);
    if ('mfa_token' in r) {
      setStep({ kind: 'code', mfaToken: r.mfa_token });
      return;
    }
    holdEnrolmentToken(r.access_token);
    const e = await api<{ secret: string; otpauth_uri: string; qr_svg: string }>('POST', '/v1/admin/mfa/enroll');
    setStep({ kind: 'enrol', secret: e.secret, uri: e.otpauth_uri, qrSvg: e.qr_svg });
  };

  const titles: Record<Step['kind'], string> = {
    password: 'Sign in to Gatehouse',
    code: 'Second factor',
    enrol: 'Set up your authenticator',
    'recovery-codes': 'Save your recovery codes',
  };

  return (
    <main id="main" className="signin">
      <h1 ref={heading} tabIndex={-1}>
        {titles[step.kind]}
      </h1>
      {notice && step.kind === 'password' && <p role="status">{notice}</p>}

      {step.kind === 'password' && (
        <AsyncForm label="Sign in" submit="Continue" onSubmit={passwordStep}>
          <Field label="Email">
            {(id) => (
              <input
                id={id}
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            )}
          </Field>
          <Field label="Password">
            {(id) => (
              <input
                id={id}
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
        </AsyncForm>
      )}

      {step.kind === 'code' && (
        <AsyncForm
          label="Second factor"
          submit="Sign in"
          onSubmit={async () => {
            await signInCode(step.mfaToken, code.trim());
            setPassword('');
            await established();
          }}
        >
          <Field
            label="Authentication code"
            hint="The 6-digit code from your authenticator app, or one of your recovery codes."
          >
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                autoComplete="one-time-code"
                inputMode="text"
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
        </AsyncForm>
      )}

      {step.kind === 'enrol' && (
        <>
          <p>Scan the QR code with an authenticator app, or enter the secret by hand, then type the code it shows.</p>
          <img
            className="qr"
            alt={`QR code for ${step.uri}`}
            src={`data:image/svg+xml;utf8,${encodeURIComponent(step.qrSvg)}`}
            width="200"
            height="200"
          />
          <p>
            Secret: <code data-testid="totp-secret">{step.secret}</code>
          </p>
          <AsyncForm
            label="Activate the authenticator"
            submit="Activate"
            onSubmit={async () => {
              const r = await api<{ recovery_codes: string[] }>('POST', '/v1/admin/mfa/activate', {
                code: code.trim(),
              });
              setStep({ kind: 'recovery-codes', codes: r.recovery_codes });
            }}
          >
            <Field label="Code from the app">
              {(id) => (
                <input
                  id={id}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="\d{6}"
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                />
              )}
            </Field>
          </AsyncForm>
        </>
      )}

      {step.kind === 'recovery-codes' && (
        <>
          <p>Each code signs you in once if you lose your authenticator. They are not shown again.</p>
          <ShownOnce label="Recovery codes" value={step.codes.join('\n')} />
          <ol className="codes" aria-label="Recovery codes list">
            {step.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
          <AsyncForm
            label="Continue to sign in"
            submit="I have saved them — sign in"
            onSubmit={async () => {
              const r = await signInPassword(email, password);
              if (!('mfa_token' in r)) throw new Error('The second factor is not active yet.');
              setStep({ kind: 'code', mfaToken: r.mfa_token });
            }}
          >
            <span />
          </AsyncForm>
        </>
      )}
    </main>
  );
}
