// Signing in with a learnlog credential: the key and secret are checked by reading the
// class list with them, and kept for this tab only once they work.

import { useState } from 'preact/hooks';
import { explain, remember, request } from './api.js';

export function SignIn({ message, onSignedIn }) {
  const [key, setKey] = useState('');
  const [secret, setSecret] = useState('');
  const [problem, setProblem] = useState(message || '');
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setProblem('');
    try {
      const classes = await request('/v1/classes', { credential: { key, secret } });
      remember(key, secret);
      onSignedIn(classes);
    } catch (error) {
      setProblem(explain(error));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to learnlog</h1>
        <p class="hint">Use the key and secret of a learnlog credential. They are kept for this browser tab only.</p>
        <label for="key">Key</label>
        <input
          id="key"
          name="key"
          autocomplete="username"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <label for="secret">Secret</label>
        <input
          id="secret"
          name="secret"
          type="password"
          autocomplete="current-password"
          required
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        {problem && (
          <p role="alert" class="problem" id="sign-in-problem">
            {problem}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
