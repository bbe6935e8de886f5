import { useEffect, useState } from 'react';
import { api, apiUpload, seg } from '../api/client';
import { AsyncForm, ErrorBox, Field, Loading } from '../components/ui';
import type { Branding, SignInSettings } from '../api/types';
import { useAsync } from '../hooks';

/** WCAG 2.2 contrast of white text on `hex`: a hint while typing; the API decides (docs/sign-in-experience.md#branding). */
function whiteContrast(hex: string): number | null {
  if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return null;
  const ch = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * ch(0) + 0.7152 * ch(1) + 0.0722 * ch(2);
  return 1.05 / (l + 0.05);
}

/**
 * The org's sign-in experience (docs/sign-in-experience.md): passkeys, MFA, self sign-up and
 * the default language, and the branding of the sign-in pages with a live preview.
 */
export function SignInExperiencePanel({ orgId, orgName }: { orgId: string; orgName: string }) {
  const base = `/v1/orgs/${seg(orgId)}`;
  const settings = useAsync(() => api<SignInSettings>('GET', `${base}/sign-in-settings`), [orgId]);
  const branding = useAsync(() => api<Branding>('GET', `${base}/branding`), [orgId]);
  return (
    <section aria-labelledby="sign-in-experience">
      <h2 id="sign-in-experience">Sign-in experience</h2>
      {settings.state === 'loading' && <Loading />}
      {settings.state === 'error' && <ErrorBox error={settings.error} />}
      {settings.state === 'ready' && <SettingsForm base={base} initial={settings.data} onSaved={settings.reload} />}
      {branding.state === 'error' && <ErrorBox error={branding.error} />}
      {branding.state === 'ready' && (
        <BrandingForm base={base} orgName={orgName} initial={branding.data} onSaved={branding.reload} />
      )}
    </section>
  );
}

function SettingsForm({ base, initial, onSaved }: { base: string; initial: SignInSettings; onSaved: () => void }) {
  const [s, setS] = useState(initial);
  const [domains, setDomains] = useState(initial.signup_domains.join('\n'));
  const [saved, setSaved] = useState(false);
  const choice = <K extends 'passkeys' | 'mfa' | 'signup' | 'default_locale'>(
    key: K,
    label: string,
    options: [SignInSettings[K], string][],
  ) => (
    <Field label={label}>
      {(id) => (
        <select
          id={id}
          value={s[key]}
          onChange={(e) => {
            setSaved(false);
            setS({ ...s, [key]: e.target.value as SignInSettings[K] });
          }}
        >
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <AsyncForm
      label="Sign-in settings"
      submit="Save sign-in settings"
      onSubmit={async () => {
        const signup_domains = domains
          .split(/[\s,]+/)
          .map((d) => d.trim())
          .filter(Boolean);
        await api('PUT', `${base}/sign-in-settings`, { ...s, signup_domains });
        setSaved(true);
        onSaved();
      }}
    >
      {choice('passkeys', 'Passkey sign-in', [
        ['off', 'Off'],
        ['optional', 'Optional'],
        ['required', 'Required'],
      ])}
      {choice('mfa', 'Two-step verification (TOTP)', [
        ['off', 'Off'],
        ['optional', 'Optional'],
        ['required', 'Required'],
      ])}
      {choice('signup', 'Self sign-up', [
        ['off', 'Off'],
        ['open', 'Anyone'],
        ['domains', 'Listed e-mail domains'],
      ])}
      {s.signup === 'domains' && (
        <Field label="Sign-up domains" hint="One a line, e.g. example.com">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              rows={3}
              value={domains}
              onChange={(e) => setDomains(e.target.value)}
            />
          )}
        </Field>
      )}
      {choice('default_locale', 'Default language', [
        ['en', 'English'],
        ['de', 'Deutsch'],
      ])}
      {saved && <p role="status">Saved.</p>}
    </AsyncForm>
  );
}

function BrandingForm({
  base,
  orgName,
  initial,
  onSaved,
}: {
  base: string;
  orgName: string;
  initial: Branding;
  onSaved: () => void;
}) {
  const [name, setName] = useState(initial.display_name ?? '');
  const [color, setColor] = useState(initial.primary_color ?? '#1a56db');
  const [logo, setLogo] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(initial.logo_url);
  useEffect(() => {
    if (!logo) return;
    // A data: URL, which the console's CSP allows for images (blob: it does not).
    const reader = new FileReader();
    reader.onload = () => setPreview(typeof reader.result === 'string' ? reader.result : null);
    reader.readAsDataURL(logo);
    return () => reader.abort();
  }, [logo]);
  const ratio = whiteContrast(color);
  return (
    <AsyncForm
      label="Branding"
      submit="Save branding"
      onSubmit={async () => {
        await api('PUT', `${base}/branding`, { display_name: name.trim() || null, primary_color: color });
        if (logo) await apiUpload('PUT', `${base}/branding/logo`, logo, logo.type);
        setLogo(null);
        onSaved();
      }}
    >
      <Field label="Display name" hint={`Shown on the sign-in pages; empty: “${orgName}”`}>
        {(id, hint) => <input id={id} aria-describedby={hint} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Primary colour"
        hint={
          ratio === null
            ? 'A colour as #rrggbb'
            : `White text on it: ${ratio.toFixed(2)}:1 ${ratio >= 4.5 ? '(passes WCAG AA)' : '(fails WCAG AA: pick a darker colour)'}`
        }
      >
        {(id, hint) => (
          <input
            id={id}
            aria-describedby={hint}
            type="color"
            value={color}
            onChange={(e) => setColor(e.target.value)}
          />
        )}
      </Field>
      <Field label="Logo" hint="PNG, JPEG, GIF or WebP, at most 256 KiB">
        {(id, hint) => (
          <input
            id={id}
            aria-describedby={hint}
            type="file"
            accept="image/png,image/jpeg,image/gif,image/webp"
            onChange={(e) => setLogo(e.target.files?.[0] ?? null)}
          />
        )}
      </Field>
      <figure className="brand-preview" aria-label="Preview of the sign-in page">
        {preview && <img src={preview} alt="" height={40} />}
        <p className="brand-preview-title">Sign in to {name.trim() || orgName}</p>
        <span className="brand-preview-button" style={{ background: color, color: '#ffffff' }}>
          Continue
        </span>
        <figcaption className="muted">Preview</figcaption>
      </figure>
    </AsyncForm>
  );
}
