// A data table that scrolls sideways on narrow screens: its header cells, then its rows.
import type { ReactNode } from 'react';

export function Table({ testId, head, children }: { testId: string; head: ReactNode; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
