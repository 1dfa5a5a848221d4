// Why a face was named or not, as every answer explains itself (issue 9): its distance and the threshold
// that applied to this face (raised for a small face), the lead over the runner-up, the security level
// and the decision; for an unknown face, who was nearest and how far.
import { useI18n } from '../i18n';
import type { RecognizedFace } from '../lib/api';

type Explained = Pick<
  RecognizedFace,
  | 'name'
  | 'distance'
  | 'threshold'
  | 'margin'
  | 'requiredMargin'
  | 'level'
  | 'decision'
  | 'penalty'
  | 'candidates'
>;

/** The explanation as lines of text (also the tooltip of the face's box and row). */
export function useFaceWhy(): (face: Explained) => string[] {
  const { t, number } = useI18n();
  const n = (v: number, digits: number) => number(v, digits);
  return (face) => {
    const lines: string[] = [];
    const nearest = face.candidates[0];
    if (face.name === null && nearest) {
      lines.push(t('why.nearest', { name: nearest.name, distance: n(nearest.distance, 3) }));
    }
    if (face.distance !== null) {
      lines.push(t('why.distance', { distance: n(face.distance, 3), threshold: n(face.threshold, 3) }));
    }
    if (face.penalty > 0) lines.push(t('why.penalty'));
    lines.push(
      face.margin === null
        ? t('why.noRunnerUp')
        : t('why.margin', {
            runnerUp: face.candidates[1]?.name ?? '—',
            margin: n(face.margin, 2),
            required: n(face.requiredMargin, 2),
          }),
    );
    lines.push(
      t('why.levelDecision', { level: t(`level.${face.level}`), decision: t(`decision.${face.decision}`) }),
    );
    return lines;
  };
}

export function FaceWhy({ face }: { face: Explained }) {
  const why = useFaceWhy();
  return (
    <ul className="face-why" data-testid="face-why">
      {why(face).map((line, i) => (
        <li key={i}>{line}</li>
      ))}
    </ul>
  );
}
