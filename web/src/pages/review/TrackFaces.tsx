// A video's tracks as faces an administrator can assign: each stored track's best view (its event's
// snapshot) with its name, and "this is …" (AssignFace), which enrols the face and corrects the event.
import { useState } from 'react';
import { FaceName } from '../../components/FaceName';
import { useI18n } from '../../i18n';
import { api, type Track } from '../../lib/api';
import { useSession } from '../../lib/session';
import { AssignFace } from './AssignFace';

export function TrackFaces({ tracks }: { tracks: Track[] }) {
  const { t } = useI18n();
  const { isAdmin, capabilities } = useSession();
  const [names, setNames] = useState<Record<number, string>>({});
  const stored = tracks.filter((tr) => tr.eventId !== undefined);
  if (!isAdmin || !capabilities.correct || stored.length === 0) return null;
  return (
    <section className="card">
      <div className="card-head">
        <h3>{t('tracks.title')}</h3>
      </div>
      <div className="sample-grid" data-testid="track-faces">
        {stored.map((tr) => (
          <figure key={tr.id} className="sample-card" data-testid="track-face">
            <img src={api.eventSnapshotUrl(tr.eventId!)} alt="" loading="lazy" />
            <figcaption>
              <span>
                #{tr.id} <FaceName name={names[tr.id] ?? tr.name} />
              </span>
              <AssignFace
                eventId={tr.eventId!}
                onAssigned={(name) => setNames((n) => ({ ...n, [tr.id]: name }))}
              />
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
