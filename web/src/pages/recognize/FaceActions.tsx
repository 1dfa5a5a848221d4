// One recognized face in a photo's list: its name and score, and what an admin can do about it: "not …"
// and "this is …" on a named face, "enroll as …" on an unknown one, and undo. With the server's
// corrections these are recorded on the face's event; without them, enrolling uploads the face cut from
// the photo.
import { useRef, useState } from 'react';
import { FaceName } from '../../components/FaceName';
import { FaceWhy, useFaceWhy } from '../../components/FaceWhy';
import { ActionDialog } from '../../components/Modal';
import { PersonNameInput } from '../../components/PersonNameInput';
import { useI18n } from '../../i18n';
import { api, ApiError } from '../../lib/api';
import { cropFace } from '../../lib/image';
import { useAction } from '../../lib/requests';
import { useSession } from '../../lib/session';
import type { RecognizedFace } from '../../lib/api';

type Dialog = 'is' | 'not' | 'enroll' | null;

export function FaceActions(props: {
  index: number;
  face: RecognizedFace;
  photo: File;
  selected: boolean;
  onSelect: () => void;
  onChange: (face: RecognizedFace) => void;
}) {
  const { t, tError, tCode, number } = useI18n();
  const { isAdmin, capabilities } = useSession();
  const { face } = props;
  const why = useFaceWhy();
  const { busy, error, setError, run } = useAction();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  /** The last refusal, when an admin may override it (its reason code). */
  const [overridable, setOverridable] = useState<string | null>(null);

  const canCorrect = isAdmin && capabilities.correct && face.eventId !== undefined;
  const open = (d: Dialog) => {
    setDialog(d);
    setName('');
    setError(null);
    setOverridable(null);
  };

  /** The face as recognized, to show again when a correction is undone. */
  const recognized = useRef(face);
  const [corrected, setCorrected] = useState(false);

  /** Runs a dialog's action; a returned message is shown in the dialog, which then stays open. */
  const act = (action: () => Promise<string | void>) =>
    run(async () => {
      const problem = await action();
      if (problem) setError(problem);
      else setDialog(null);
    });

  /**
   * The face as the gallery answers now (a correction changed the gallery): the photo recognised again
   * without storing events, and this face found by its box; it keeps its event.
   */
  const rescored = async (fallback: RecognizedFace): Promise<RecognizedFace> => {
    try {
      const again = await api.recognize({ name: props.photo.name, blob: props.photo }, undefined, false);
      const centre = (b: RecognizedFace['box']) => [b.x + b.width / 2, b.y + b.height / 2];
      const [cx, cy] = centre(face.box);
      const same = again.faces
        .map((f) => ({ f, d: Math.hypot(centre(f.box)[0] - cx, centre(f.box)[1] - cy) }))
        .sort((a, b) => a.d - b.d)[0];
      return same && same.d < face.box.width / 2 ? { ...same.f, eventId: face.eventId } : fallback;
    } catch {
      return fallback;
    }
  };

  /**
   * "This is …" and "enroll as …": the face becomes that person (created when new). `force`: an admin's
   * override of a refusal that is a judgement call, after confirming (recorded in the audit log).
   */
  const assign = (force = false) =>
    act(async () => {
      setOverridable(null);
      const wanted = name.trim();
      if (canCorrect) {
        let r;
        try {
          r = await api.correct(face.eventId!, { is: wanted, ...(force ? { force } : {}) });
        } catch (e) {
          if (e instanceof ApiError && e.details['overridable'] === true) setOverridable(e.code);
          throw e;
        }
        const who = r.person?.name ?? wanted;
        props.onChange(await rescored({ ...face, name: who, personId: r.person?.id ?? null }));
        setNotice(t(face.name ? 'face.correctedIs' : 'face.enrolledAs', { name: who }));
        setCorrected(true);
        return;
      }
      const crop = await cropFace(props.photo, face.box);
      const report = await api.enroll(
        wanted,
        [{ name: `${props.photo.name}#${props.index + 1}.jpg`, blob: crop }],
        force,
      );
      if (!report.accepted.length) {
        const refused = report.rejected[0];
        if (refused?.overridable) setOverridable(refused.reason);
        return report.rejected.map((r) => tCode(r.reason)).join(' ');
      }
      const who = report.person?.name ?? wanted;
      props.onChange(await rescored({ ...face, name: who, personId: report.person?.id ?? null }));
      setNotice(t('face.enrolledAs', { name: who }));
    });

  const correctNot = () =>
    act(async () => {
      await api.correct(face.eventId!, { not: face.name! });
      setNotice(t('face.correctedNot', { name: face.name! }));
      // Not rescored: the event now says unknown, whoever else the gallery would name.
      props.onChange({ ...face, name: null, personId: null });
      setCorrected(true);
    });

  const undo = async () => {
    try {
      await api.undoCorrections(face.eventId!);
      props.onChange(recognized.current);
      setNotice(t('face.undone'));
      setCorrected(false);
    } catch (e) {
      setNotice(tError(e));
    }
  };

  return (
    <li
      className={`face-row${props.selected ? ' selected' : ''}`}
      onClick={props.onSelect}
      title={why(face).join('\n')}
      data-testid="face-row"
    >
      <span className={`face-index ${face.name ? 'known' : 'unknown'}`}>{props.index + 1}</span>
      <span className="face-who">
        <FaceName name={face.name} testId="face-name" />
        <small className="muted" data-testid="face-score">
          {face.decision === 'empty_gallery' ? (
            t('face.nobodyEnrolled')
          ) : (
            <>
              {t('face.score')} {number(face.score)}
              {face.decision === 'ambiguous' && ` · ${t('face.ambiguous')}`}
              {!face.name && face.candidates[0] && (
                <span data-testid="face-nearest">
                  {' · '}
                  {t('face.nearest', { name: face.candidates[0].name })}
                </span>
              )}
            </>
          )}
        </small>
        {notice && <small className="ok-text">{notice}</small>}
        {/* Tapped (or selected from its box): the explanation; hovering shows it as the tooltip. */}
        {props.selected && <FaceWhy face={face} />}
      </span>
      <span className="face-buttons">
        {corrected && capabilities.undoCorrection && (
          <button
            type="button"
            className="small ghost"
            onClick={() => void undo()}
            data-testid="undo-correction"
          >
            {t('face.undo')}
          </button>
        )}
        {canCorrect && face.name && (
          <>
            <button type="button" className="small" onClick={() => open('not')} data-testid="correct-not">
              {t('face.not', { name: face.name })}
            </button>
            <button type="button" className="small" onClick={() => open('is')} data-testid="correct-is">
              {t('face.thisIs')}
            </button>
          </>
        )}
        {isAdmin && !face.name && (
          <button
            type="button"
            className="small primary"
            onClick={() => open('enroll')}
            data-testid="enroll-face"
          >
            {t('face.enrollAs')}
          </button>
        )}
      </span>

      {dialog === 'not' && (
        <ActionDialog
          title={t('face.notTitle')}
          actionLabel={t('face.not', { name: face.name ?? '' })}
          onAction={() => void correctNot()}
          onCancel={() => setDialog(null)}
          disabled={busy}
          error={error}
        >
          <p>{t('face.notMessage', { name: face.name ?? '' })}</p>
        </ActionDialog>
      )}
      {(dialog === 'is' || dialog === 'enroll') && (
        <ActionDialog
          title={dialog === 'is' ? t('face.thisIsTitle') : t('face.enrollTitle')}
          actionLabel={dialog === 'is' ? t('common.save') : t('enroll.submit')}
          onAction={() => void assign()}
          onCancel={() => setDialog(null)}
          disabled={busy || !name.trim()}
          error={error}
        >
          <p className="muted">{dialog === 'is' ? t('face.thisIsMessage') : t('face.enrollMessage')}</p>
          <label className="field">
            <span>{t('enroll.name')}</span>
            <PersonNameInput value={name} onChange={setName} autoFocus testId="face-name-input" />
          </label>
          {overridable && (
            <div className="alert info enroll-override">
              <span>{t('face.overrideMessage', { name: name.trim() })}</span>
              <button
                type="button"
                className="small danger"
                disabled={busy}
                onClick={() => void assign(true)}
                data-testid="face-override"
              >
                {t('enroll.overrideConfirm')}
              </button>
            </div>
          )}
        </ActionDialog>
      )}
    </li>
  );
}
