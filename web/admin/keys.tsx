import { valueOf } from '../components/form';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, Field, useAsync, when } from '../components/ui';

interface Key {
  readonly id: string;
  readonly user_id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

/** API keys: every key (admins see all), a new one shown once, revoke. */
export function Keys() {
  const list = useAsync(() => api<{ keys: Key[] }>('/api/v1/admin/keys'), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('all');
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const create = (e: Event) => {
    e.preventDefault();
    setError(null);
    api<{ key: string }>('/api/v1/auth/keys', { method: 'POST', json: { name, scopes: [scope] } }).then((k) => (setShown(k.key), setName(''), list.reload()), setError);
  };
  const revoke = (k: Key) => api(`/api/v1/auth/keys/${k.id}`, { method: 'DELETE' }).then(list.reload, setError);
  return (
    <div class="card">
      <h2>API keys</h2>
      <ErrorNote error={list.error ?? error} />
      {shown && (
        <p class="note">
          The new key, shown this once: <span class="secret">{shown}</span>
        </p>
      )}
      <div class="table-wrap">
        <table aria-label="API keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scopes</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.data?.keys.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{k.scopes.join(', ')}</td>
                <td>{when(k.last_used_at)}</td>
                <td>
                  {k.revoked_at ? (
                    <span class="badge failed">revoked</span>
                  ) : (
                    <button type="button" onClick={() => revoke(k)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="toolbar" onSubmit={create} aria-label="new API key">
        <Field label="Key name">
          <input required value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Scope">
          <select value={scope} onChange={(e) => setScope(valueOf(e))}>
            <option value="all">all</option>
            <option value="metrics">metrics only</option>
          </select>
        </Field>
        <button type="submit">Create key</button>
      </form>
    </div>
  );
}
