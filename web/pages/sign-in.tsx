import { useEffect, useState } from 'preact/hooks';
import { useSubmit, valueOf } from '../components/form';
import { ErrorNote, Field } from '../components/ui';
import { signIn } from '../session';

/** Sign in when the server has auth on. */
export function SignInPage({ onSignedIn }: { readonly onSignedIn: () => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  useEffect(() => void (document.title = 'Sign in · voxlog'), []);
  const form = useSubmit(async () => {
    await signIn(name, password);
    onSignedIn();
  });
  return (
    <section class="narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="muted">This voxlog server asks who you are. An admin can create your account.</p>
      <form class="stack" onSubmit={form.onSubmit}>
        <Field label="User name">
          <input name="username" autocomplete="username" required value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(valueOf(e))} />
        </Field>
        <button class="primary" type="submit" disabled={form.busy}>
          Sign in
        </button>
      </form>
      <ErrorNote error={form.error} />
    </section>
  );
}
