import { useState } from 'react';
import { api, seg } from '../api/client';
import type { User } from '../api/types';
import { AsyncForm, Field } from '../components/ui';

const orNull = (s: string) => (s.trim() ? s.trim() : null);

/** One line of a user's profile for the users table. */
export function profileSummary(u: User): string {
  const p = u;
  const parts = [p.name, p.locale, p.email_verified ? 'email verified' : 'email not verified'];
  return parts.filter(Boolean).join(' · ');
}

/**
 * A user's profile claims (name, given and family name, locale, email verified), edited by an
 * administrator; the API validates them and its problem (each field named) shows under the form.
 */
export function UserProfileForm({
  base,
  user,
  onSaved,
  onClose,
}: {
  base: string;
  user: User;
  onSaved: () => void;
  onClose: () => void;
}) {
  const p = user;
  const [name, setName] = useState(p.name ?? '');
  const [given, setGiven] = useState(p.given_name ?? '');
  const [family, setFamily] = useState(p.family_name ?? '');
  const [locale, setLocale] = useState(p.locale ?? '');
  const [verified, setVerified] = useState(p.email_verified ?? false);
  return (
    <section aria-labelledby="user-profile">
      <h3 id="user-profile">Profile of {user.email}</h3>
      <AsyncForm
        label={`Edit profile of ${user.email}`}
        submit="Save profile"
        onSubmit={async () => {
          await api('PATCH', `${base}/${seg(user.id)}`, {
            name: orNull(name),
            given_name: orNull(given),
            family_name: orNull(family),
            locale: orNull(locale),
            email_verified: verified,
          });
          onSaved();
        }}
      >
        <Field label="Full name">
          {(id) => <input id={id} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Given name">
          {(id) => <input id={id} autoComplete="off" value={given} onChange={(e) => setGiven(e.target.value)} />}
        </Field>
        <Field label="Family name">
          {(id) => <input id={id} autoComplete="off" value={family} onChange={(e) => setFamily(e.target.value)} />}
        </Field>
        <Field label="Locale" hint="A BCP 47 language tag, such as en-GB">
          {(id, hint) => (
            <input id={id} aria-describedby={hint} value={locale} onChange={(e) => setLocale(e.target.value)} />
          )}
        </Field>
        <div className="field">
          <label className="choice">
            <input type="checkbox" checked={verified} onChange={(e) => setVerified(e.target.checked)} /> Email verified
          </label>
        </div>
      </AsyncForm>
      <button type="button" className="secondary" onClick={onClose}>
        Close profile
      </button>
    </section>
  );
}
