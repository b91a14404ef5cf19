import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Client-side navigation: the server answers every app path with the same page. */
export function navigate(to: string): void {
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current location (path and query), updated on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [href, setHref] = useState(location.href);
  useEffect(() => {
    const changed = () => setHref(location.href);
    addEventListener('popstate', changed);
    return () => removeEventListener('popstate', changed);
  }, []);
  const url = new URL(href);
  return { path: url.pathname, search: url.searchParams };
}

interface LinkProps {
  readonly href: string;
  readonly children: ComponentChildren;
  readonly class?: string;
  readonly 'aria-current'?: 'page' | undefined;
}

/** An ordinary link that navigates in place (a modified click still opens a new tab). */
export function Link(props: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a {...props} onClick={onClick}>
      {props.children}
    </a>
  );
}
