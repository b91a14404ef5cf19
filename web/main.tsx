import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { ErrorNote, Loading } from './components/ui';
import { AdminPage } from './pages/admin';
import { DictationPage } from './pages/dictation';
import { JobsPage } from './pages/jobs';
import { LivePage } from './pages/live';
import { SessionPage } from './pages/session';
import { SessionsPage } from './pages/sessions';
import { SignInPage } from './pages/sign-in';
import { StatsPage } from './pages/stats';
import { Link, navigate, useLocation } from './router';
import { onSignedOut, signOut, whoAmI, type Who } from './session';
import type { Me } from './types';

const NAV = [
  { href: '/live', label: 'Live' },
  { href: '/sessions', label: 'Sessions' },
  { href: '/dictation', label: 'Dictation' },
  { href: '/jobs', label: 'Jobs' },
  { href: '/stats', label: 'Stats' },
] as const;

function page(path: string, me: Me) {
  if (path === '/' || path === '/live' || path === '/sign-in') return <LivePage />;
  if (path === '/sessions') return <SessionsPage />;
  if (path.startsWith('/sessions/')) return <SessionPage id={decodeURIComponent(path.slice('/sessions/'.length))} />;
  if (path === '/dictation') return <DictationPage />;
  if (path === '/jobs') return <JobsPage />;
  if (path === '/stats') return <StatsPage />;
  if (path === '/admin') return me.role === 'admin' ? <AdminPage me={me} /> : <p class="note error">The admin pages need the admin role.</p>;
  return <p class="note error">There is no page at {path}.</p>;
}

/** The browser tab's title: the page, then the product, so tabs and history tell pages apart. */
function titleOf(path: string): string {
  if (path.startsWith('/sessions/')) return `Session ${decodeURIComponent(path.slice('/sessions/'.length))} · voxlog`;
  const page = [...NAV, { href: '/admin', label: 'Admin' }].find((n) => n.href === (path === '/' ? '/live' : path));
  return page ? `${page.label} · voxlog` : 'voxlog';
}

function Layout({ me, path, onSignOut }: { readonly me: Me; readonly path: string; readonly onSignOut: () => void }) {
  const nav = me.role === 'admin' ? [...NAV, { href: '/admin', label: 'Admin' }] : NAV;
  const current = path === '/' ? '/live' : path;
  useEffect(() => void (document.title = titleOf(path)), [path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          voxlog
        </Link>
        <nav aria-label="main">
          {nav.map((n) => (
            <Link key={n.href} href={n.href} aria-current={current === n.href || current.startsWith(`${n.href}/`) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
          <a href="/swagger">API</a>
        </nav>
        <span class="who">
          {me.via === 'open' ? 'local (auth off)' : me.name}
          {me.via !== 'open' && (
            <button type="button" class="link" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page(path, me)}
      </main>
    </>
  );
}

function App() {
  const { path } = useLocation();
  const [who, setWho] = useState<Who>(null);
  const [error, setError] = useState<unknown>(null);
  const ask = () => whoAmI().then(setWho, setError);
  useEffect(() => {
    void ask();
    return onSignedOut(() => setWho('signed-out'));
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (who === null) return <Loading />;
  if (who === 'signed-out') return <main id="main"><SignInPage onSignedIn={() => (ask(), path === '/sign-in' && navigate('/'))} /></main>;
  return <Layout me={who} path={path} onSignOut={() => (signOut(), setWho('signed-out'))} />;
}

render(<App />, document.getElementById('app')!);
