import { useEffect, useRef, type ReactNode } from 'react';
import { Link } from '../router';
import { useMe, useSession } from '../session';

const NAV = [
  { to: '/orgs', label: 'Organizations' },
  { to: '/keys', label: 'Keys' },
  { to: '/audit', label: 'Audit' },
  { to: '/inspector', label: 'Token inspector' },
  { to: '/passkeys', label: 'Passkeys' },
];

/** Whether the console has rendered a page before (a full load starts at false). */
let navigated = false;

export function Layout({ path, title, children }: { path: string; title: string; children: ReactNode }) {
  const me = useMe();
  const { end } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Gatehouse console`;
    // After an in-app navigation, focus moves to the new page's heading (as a page load
    // would reset it); on the first load it stays at the top, so Tab reaches the skip link.
    if (navigated) heading.current?.focus();
    navigated = true;
  }, [title, path]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Gatehouse</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={path.startsWith(n.to) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {me.email} <span className="badge">{me.role === 'platform' ? 'platform admin' : 'org admin'}</span>
          </span>
          <button type="button" onClick={() => void end()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </main>
    </>
  );
}
