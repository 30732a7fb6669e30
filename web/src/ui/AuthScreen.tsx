import { useState, type FormEvent } from 'react';
import type { LimeApi } from '../sdk/api';
import { describeError, LimeError } from '../sdk/errors';
import { Logo } from './icons';

type Mode = 'login' | 'register';

const USERNAME_RULE = "3–32 letters, digits, '_', '.' or '-'.";
const PASSWORD_RULE = 'At least 8 characters.';

/** The first rule the sign-up form breaks (the server checks the same, this says it before asking). */
function ruleBroken(mode: Mode, username: string, password: string): string | null {
  if (mode === 'login') return !username.trim() ? 'Enter your username.' : !password ? 'Enter your password.' : null;
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username)) return `Username: ${USERNAME_RULE}`;
  if (mode === 'register' && password.length < 8) return `Password: ${PASSWORD_RULE}`;
  if (!password) return 'Enter your password.';
  return null;
}

/** Sign in / create an account. */
export function AuthScreen({ api, notice, onSignedIn }: { api: LimeApi; notice: string | null; onSignedIn: () => void }) {
  const [mode, setMode] = useState<Mode>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const broken = ruleBroken(mode, username, password);
    if (broken) {
      setError(broken);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode === 'login') await api.login(username, password);
      else await api.register(username, password, displayName.trim() || undefined);
      onSignedIn();
    } catch (err) {
      if (err instanceof LimeError && err.code === 'conflict') setError('That username is taken.');
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo size={56} />
          <h1>LIME</h1>
          <p>Fresh conversations, delivered once and in order.</p>
        </div>
        <div className="auth-tabs" role="tablist">
          <button role="tab" aria-selected={mode === 'login'} className={mode === 'login' ? 'active' : ''} onClick={() => setMode('login')} type="button">
            Sign in
          </button>
          <button role="tab" aria-selected={mode === 'register'} className={mode === 'register' ? 'active' : ''} onClick={() => setMode('register')} type="button">
            Create account
          </button>
        </div>
        {notice && <p className="auth-notice">{notice}</p>}
        <form onSubmit={submit} className="auth-form" noValidate>
          <label>
            Username
            <input
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              minLength={3}
              maxLength={32}
              aria-describedby={mode === 'register' ? 'username-rule' : undefined}
            />
          </label>
          {mode === 'register' && (
            <p className="field-hint" id="username-rule" data-testid="username-rule">
              {USERNAME_RULE}
            </p>
          )}
          {mode === 'register' && (
            <label>
              <span>
                Display name <span className="optional">(optional)</span>
              </span>
              <input name="display_name" autoComplete="nickname" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={64} />
            </label>
          )}
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              minLength={mode === 'register' ? 8 : undefined}
              maxLength={128}
              aria-describedby={mode === 'register' ? 'password-rule' : undefined}
            />
          </label>
          {mode === 'register' && (
            <p className="field-hint" id="password-rule" data-testid="password-rule">
              {PASSWORD_RULE}
            </p>
          )}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button className="primary wide" type="submit" disabled={busy}>
            {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
          </button>
        </form>
      </div>
    </main>
  );
}
