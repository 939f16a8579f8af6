import { createContext, useContext, useEffect, useRef } from 'react';
import type { Me, Role } from '../api-client';

export interface Session {
  me: Me;
  /** operator and admin may edit, run and restore; a viewer only reads. */
  canOperate: boolean;
  canDelete: boolean;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a signed-in <SessionContext.Provider>');
  return session;
}

export function sessionFor(me: Me, signOut: () => void): Session {
  const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
  return { me, canOperate: rank[me.role] >= 1, canDelete: rank[me.role] >= 2, signOut };
}

/** Reads `#token=…` from the address (then removes it, so it is not bookmarked or shared). */
export function takeTokenFromAddress(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const token = new URLSearchParams(hash).get('token');
  if (token === null) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return token.trim() || null;
}

/**
 * Calls `onToken` with the token of every `#token=…` opened in this tab after it loaded: a
 * browser only changes the fragment (no reload) when the address differs from the tab's in it.
 */
export function useTokenFromAddress(onToken: (token: string) => void): void {
  const latest = useRef(onToken);
  latest.current = onToken;
  useEffect(() => {
    const onHash = () => {
      const token = takeTokenFromAddress();
      if (token) latest.current(token);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
}
