import { href } from '../lib/router';

/** Sub-views of a mode, as links (so each is a bookmarkable hash route). */
export function Tabs({
  base,
  tabs,
  active,
}: {
  base: string;
  tabs: { id: string; label: string }[];
  active: string;
}) {
  return (
    <nav className="tabs" role="tablist">
      {tabs.map((tab) => (
        <a
          key={tab.id}
          role="tab"
          aria-selected={tab.id === active}
          className={tab.id === active ? 'active' : ''}
          href={href(base, tab.id)}
          data-testid={`tab-${tab.id}`}
        >
          {tab.label}
        </a>
      ))}
    </nav>
  );
}
