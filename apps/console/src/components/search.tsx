import { useEffect, useId, useState } from 'react';

/**
 * A list's search box (docs/console.md#search): what is typed goes to the list endpoint's
 * `?q=` a quarter second after the last keystroke, so typing a name sends one request.
 */
export function SearchBox({ label, hint, onSearch }: { label: string; hint: string; onSearch: (q: string) => void }) {
  const id = useId();
  const [text, setText] = useState('');
  useEffect(() => {
    const t = setTimeout(() => onSearch(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text, onSearch]);
  return (
    <search className="field search">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={text}
        aria-describedby={`${id}-hint`}
        onChange={(e) => setText(e.target.value)}
        autoComplete="off"
      />
      <small id={`${id}-hint`} className="hint">
        {hint}
      </small>
    </search>
  );
}

/** A list path, newest first, with the search query when there is one. */
export function listPath(path: string, q: string): string {
  return `${path}?order=newest${q ? `&q=${encodeURIComponent(q)}` : ''}`;
}
