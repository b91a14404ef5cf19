import { useState } from 'preact/hooks';
import { api } from '../api';
import { valueOf } from '../components/form';
import { ErrorNote, Field, useAsync, when } from '../components/ui';
import type { Me } from '../types';

interface User {
  readonly id: string;
  readonly name: string;
  readonly role: 'admin' | 'user';
  readonly disabled: boolean;
  readonly created_at: string;
}

/** Users and roles: create, promote or demote, disable or re-enable. */
export function Users({ me }: { readonly me: Me }) {
  const list = useAsync(() => api<{ users: User[] }>('/api/v1/admin/users'), []);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('user');
  const [error, setError] = useState<unknown>(null);
  const run = (p: Promise<unknown>) => (setError(null), p.then(list.reload, setError));
  const create = (e: Event) => {
    e.preventDefault();
    run(api('/api/v1/admin/users', { method: 'POST', json: { name, password, role } }).then(() => (setName(''), setPassword(''))));
  };
  const patch = (u: User, body: object) => run(api(`/api/v1/admin/users/${u.id}`, { method: 'PATCH', json: body }));
  return (
    <div class="card">
      <h2>Users and roles</h2>
      <ErrorNote error={list.error ?? error} />
      <div class="table-wrap">
        <table aria-label="users">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Created</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.users.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>
                  <select aria-label={`role of ${u.name}`} value={u.role} disabled={u.id === me.user_id} onChange={(e) => patch(u, { role: valueOf(e) })}>
                    <option value="user">user</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>{when(u.created_at)}</td>
                <td>
                  <button type="button" disabled={u.id === me.user_id} onClick={() => patch(u, { disabled: !u.disabled })}>
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="toolbar" onSubmit={create} aria-label="new user">
        <Field label="New user">
          <input required autocomplete="off" value={name} onInput={(e) => setName(valueOf(e))} />
        </Field>
        <Field label="Password">
          <input required type="password" autocomplete="new-password" minLength={8} value={password} onInput={(e) => setPassword(valueOf(e))} />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(e) => setRole(valueOf(e))}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <button type="submit">Create user</button>
      </form>
    </div>
  );
}
