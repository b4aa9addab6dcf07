import { useState } from 'react';
import { api, appPath, ApiError, type RevealedSecret } from './api';

export interface SecretReveal {
  /** The app's secret once revealed; never fetched before the owner asks. */
  value: string | undefined;
  revealing: boolean;
  error: ApiError | undefined;
  reveal: () => Promise<void>;
  hide: () => void;
}

/** The app secret behind an explicit "Reveal secret" (POST …/keys/secret/reveal), kept in this page only. */
export function useSecretReveal(appId: string): SecretReveal {
  const [value, setValue] = useState<string>();
  const [revealing, setRevealing] = useState(false);
  const [error, setError] = useState<ApiError>();
  async function reveal() {
    setRevealing(true);
    setError(undefined);
    try {
      setValue((await api.post<RevealedSecret>(appPath(appId, '/keys/secret/reveal'))).secret);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setRevealing(false);
    }
  }
  return { value, revealing, error, reveal, hide: () => setValue(undefined) };
}
