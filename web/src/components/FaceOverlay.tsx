// An image with its faces outlined: boxes and labels are positioned in percent of the image's own pixel
// size, so they stay on the faces at any displayed size. Labels are plain text (React escapes names).
import type { ReactNode } from 'react';
import type { Box } from '../lib/api';

export interface OverlayFace {
  box: Box;
  label: string;
  known: boolean;
  selected?: boolean;
  /** Shown on hover: why the face was named or not. */
  title?: string;
}

export function FaceOverlay(props: {
  src: string;
  alt: string;
  width: number;
  height: number;
  faces: OverlayFace[];
  onSelect?: (index: number) => void;
  children?: ReactNode;
}) {
  const pct = (v: number, of: number) => `${(100 * v) / of}%`;
  return (
    <div className="overlay-frame" style={{ aspectRatio: `${props.width} / ${props.height}` }}>
      <img src={props.src} alt={props.alt} draggable={false} />
      {props.faces.map((f, i) => (
        <button
          type="button"
          key={i}
          className={`face-box ${f.known ? 'known' : 'unknown'}${f.selected ? ' selected' : ''}`}
          style={{
            left: pct(f.box.x, props.width),
            top: pct(f.box.y, props.height),
            width: pct(f.box.width, props.width),
            height: pct(f.box.height, props.height),
          }}
          onClick={() => props.onSelect?.(i)}
          tabIndex={props.onSelect ? 0 : -1}
          data-testid="face-box"
          title={f.title}
          aria-label={f.title ? `${f.label}. ${f.title}` : undefined}
        >
          <span className={`face-label${f.box.y / props.height < 0.08 ? ' below' : ''}`}>{f.label}</span>
        </button>
      ))}
      {props.children}
    </div>
  );
}
