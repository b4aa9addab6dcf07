import { useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router-dom';
import { api, ApiError, type Login, type SessionView, type Signup } from '../lib/api';
import { useAuth } from '../lib/auth';
import { useTitle } from '../lib/hooks';
import { Button, Card, ErrorBanner, Field, Input, focusFirstInvalid } from '../components/ui';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function AuthForm({ mode }: { mode: 'login' | 'signup' }) {
  const { me, signedIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const signup = mode === 'signup';
  const submitted = useRef(false);
  useTitle(signup ? 'Sign up' : 'Log in');
  // Already signed in (not while this form's own request is finishing: it navigates itself).
  if (me && !submitted.current) return <Navigate to={(location.state as { from?: string } | null)?.from ?? '/apps'} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const next: typeof errors = {};
    if (!EMAIL.test(email.trim())) next.email = 'Enter a valid email address, like ada@example.com.';
    if (signup && password.length < 8) next.password = 'Use at least 8 characters.';
    if (!signup && !password) next.password = 'Enter your password.';
    setErrors(next);
    setApiError(undefined);
    if (Object.keys(next).length) {
      focusFirstInvalid(e.currentTarget as HTMLFormElement);
      return;
    }
    setBusy(true);
    try {
      const s = await api.post<SessionView, Signup & Login>(signup ? '/v1/accounts' : '/v1/sessions', { email: email.trim(), password });
      submitted.current = true;
      signedIn(s.token, s.account);
      navigate(signup ? '/apps/new' : ((location.state as { from?: string } | null)?.from ?? '/apps'), { replace: true });
    } catch (err) {
      setApiError(err as ApiError);
      setBusy(false);
    }
  }

  return (
    <div className="auth">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" style={{ color: '#fff' }}>
            H
          </span>
          Herald
        </div>
        <Card>
          <h1>{signup ? 'Create your account' : 'Log in to Herald'}</h1>
          <p className="muted">{signup ? 'Real-time push for your apps in a few minutes.' : 'Welcome back.'}</p>
          <ErrorBanner error={apiError} />
          <form className="form" onSubmit={submit} noValidate aria-label={signup ? 'Sign up' : 'Log in'}>
            <Field label="Email" error={errors.email}>
              <Input name="email" type="email" autoComplete="email" autoFocus value={email} onChange={(e) => setEmail(e.target.value)}  />
            </Field>
            <Field label="Password" error={errors.password} hint={signup ? 'At least 8 characters.' : undefined}>
              <Input name="password" type="password" autoComplete={signup ? 'new-password' : 'current-password'} value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
            <Button type="submit" variant="primary" loading={busy}>
              {signup ? 'Create account' : 'Log in'}
            </Button>
          </form>
        </Card>
        <p className="auth-alt">
          {signup ? (
            <>
              Already have an account? <Link to="/login">Log in</Link>
            </>
          ) : (
            <>
              New to Herald? <Link to="/signup">Create an account</Link>
            </>
          )}
        </p>
      </div>
    </div>
  );
}

export const LoginPage = () => <AuthForm mode="login" />;
export const SignupPage = () => <AuthForm mode="signup" />;
