import { Keys } from '../admin/keys';
import { JobSettings, KpiCards } from '../admin/settings';
import { Users } from '../admin/users';
import type { Me } from '../types';

/** Admin: KPIs, users and roles, API keys, job concurrency and retention. */
export function AdminPage({ me }: { readonly me: Me }) {
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <KpiCards />
      <div class="grid">
        <Users me={me} />
        <Keys />
      </div>
      <JobSettings />
    </section>
  );
}
