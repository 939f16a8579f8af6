import { useId, useState } from 'react';

/** Paste an API token (`grove-jobs token create`), or open the address `grove-jobs serve` prints. */
export function SignIn({ onToken, problem }: { onToken: (token: string) => void; problem: string | null }) {
  const [token, setToken] = useState('');
  const id = useId();
  return (
    <section className="page sign-in" aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Sign in</h1>
      <p>
        Open the console address that <code>grove-jobs serve</code> prints (it carries a token), or paste an API token made with{' '}
        <code>grove-jobs token create</code>.
      </p>
      {problem ? (
        <p className="notice notice--error" role="alert">
          {problem}
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <div className="field">
          <label htmlFor={id}>API token</label>
          <input id={id} type="password" autoComplete="off" value={token} placeholder="gj_…" onChange={(event) => setToken(event.target.value)} />
        </div>
        <button type="submit" className="button button--primary" disabled={!token.trim()}>
          Sign in
        </button>
      </form>
    </section>
  );
}
