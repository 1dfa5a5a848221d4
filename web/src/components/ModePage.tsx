// The page of a mode (Recognize, Enroll, Manage): its title and subtitle, with its tabs beside them.
import type { ReactNode } from 'react';

export function ModePage({
  title,
  subtitle,
  tabs,
  children,
}: {
  title: string;
  subtitle: string;
  tabs?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">{subtitle}</p>
        </div>
        {tabs}
      </div>
      {children}
    </div>
  );
}
