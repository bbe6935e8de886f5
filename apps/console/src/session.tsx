import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, refresh, setSignedOutHandler, signOut } from './api/client';
import type { Me } from './api/types';

type SessionState =
  { status: 'starting' } | { status: 'signed-out'; notice?: string } | { status: 'signed-in'; me: Me };

interface Session {
  state: SessionState;
  /** After a sign-in step stored an access token: load who we are. */
  established: () => Promise<void>;
  end: () => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'starting' });

  const established = useCallback(async () => {
    setState({ status: 'signed-in', me: await api<Me>('GET', '/v1/me') });
  }, []);

  const end = useCallback(async () => {
    await signOut();
    setState({ status: 'signed-out', notice: 'You are signed out.' });
  }, []);

  useEffect(() => {
    setSignedOutHandler(() => setState({ status: 'signed-out', notice: 'Your session ended; sign in again.' }));
    // A reload keeps the session: the refresh cookie buys a new access token.
    void refresh().then(async (ok) => {
      if (ok) await established().catch(() => setState({ status: 'signed-out' }));
      else setState({ status: 'signed-out' });
    });
  }, [established]);

  return <Ctx.Provider value={{ state, established, end }}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('not signed in');
  return state.me;
}
