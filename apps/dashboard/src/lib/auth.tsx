import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, session, UNAUTHORIZED_EVENT, type Me, type PublicConfig } from './api';

interface AuthState {
  me: Me | null;
  /** true until /v1/me answered (or there is no token). */
  checking: boolean;
  config: PublicConfig;
  signedIn(token: string, me: Me): void;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

/** Where the gateway is when /v1/config is not available: the API's host on port 3001. */
const fallbackConfig = (): PublicConfig => ({ apiUrl: location.origin, gatewayUrl: `${location.protocol}//${location.hostname}:3001` });

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token));
  const [config, setConfig] = useState<PublicConfig>(fallbackConfig);

  useEffect(() => {
    api.get<PublicConfig>('/v1/config').then(
      (c) => c?.gatewayUrl && setConfig(c),
      () => undefined,
    );
    if (!session.token) return;
    api
      .get<Me>('/v1/me')
      .then(setMe, () => session.clear())
      .finally(() => setChecking(false));
  }, []);

  useEffect(() => {
    const onUnauthorized = () => {
      session.clear();
      setMe(null);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);

  const signedIn = useCallback((token: string, account: Me) => {
    session.set(token);
    setMe(account);
    // The role may only be in /v1/me.
    api.get<Me>('/v1/me').then(setMe, () => undefined);
  }, []);

  const logout = useCallback(async () => {
    await api.del('/v1/sessions/current').catch(() => undefined);
    session.clear();
    setMe(null);
  }, []);

  return <AuthContext.Provider value={{ me, checking, config, signedIn, logout }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside AuthProvider');
  return a;
}
