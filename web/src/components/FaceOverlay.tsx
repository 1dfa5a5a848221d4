// An image with its faces outlined: boxes and labels are positioned in percent of the image's own pixel
// size, so they stay on the faces at any displayed size. Labels are plain text (React escapes names).
// Each label starts with the face's number, as the rows beside the image are numbered. A label stays
// inside the image and never covers another face or its label: it is only as wide as the room before
// the next face to its right (or the image's edge), and what does not fit ends in an ellipsis — the
// number always shows, and the row with that number has the rest.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { Box } from '../lib/api';

export interface OverlayFace {
  box: Box;
  label: string;
  known: boolean;
  selected?: boolean;
  /** Shown on hover: why the face was named or not. */
  title?: string;
}

/** The label's height on screen, px (font-size at most 13 px × line-height 1.5, plus its margin). */
const LABEL_PX = 22;

export interface LabelPlace {
  /** Under the box (a face at the top edge), else above it. */
  below: boolean;
  /** Left edge relative to the box and the widest the label may be, both in image px. */
  left: number;
  maxWidth: number;
}

/**
 * Where each face's label goes, in image pixels: above its box (below when there is no room above),
 * from the box's left edge (inside the image), as wide as the room up to the first face to the right
 * whose box or label band it would cross, and never past the image's right edge.
 */
export function placeLabels(boxes: Box[], width: number, height: number, labelHeight: number): LabelPlace[] {
  const bands = boxes.map((b) => {
    const below = b.y < labelHeight;
    const top = below ? Math.min(b.y + b.height, height - labelHeight) : b.y - labelHeight;
    return { below, top, bottom: top + labelHeight };
  });
  return boxes.map((b, i) => {
    const left = Math.max(0, b.x);
    const band = bands[i];
    let right = width;
    boxes.forEach((o, j) => {
      if (j === i || o.x <= left) return;
      const crossesBox = o.y < band.bottom && o.y + o.height > band.top;
      const crossesLabel = bands[j].top < band.bottom && bands[j].bottom > band.top;
      if (crossesBox || crossesLabel) right = Math.min(right, o.x);
    });
    return { below: band.below, left: left - b.x, maxWidth: Math.max(0, right - left - 2) };
  });
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
  const frame = useRef<HTMLDivElement>(null);
  // Displayed width, to turn the label's on-screen height into image pixels.
  const [shown, setShown] = useState(0);
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setShown(el.clientWidth));
    observer.observe(el);
    setShown(el.clientWidth);
    return () => observer.disconnect();
  }, []);
  const scale = shown > 0 ? props.width / shown : 1;
  const places = placeLabels(
    props.faces.map((f) => f.box),
    props.width,
    props.height,
    LABEL_PX * scale,
  );
  const pct = (v: number, of: number) => `${(100 * v) / of}%`;
  return (
    <div
      ref={frame}
      className="overlay-frame"
      style={{ aspectRatio: `${props.width} / ${props.height}` }}
      data-testid="overlay-frame"
    >
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
          aria-label={f.title ? `${i + 1}. ${f.label}. ${f.title}` : `${i + 1}. ${f.label}`}
        >
          <span
            className={`face-label${places[i].below ? ' below' : ''}`}
            style={{
              left: pct(places[i].left, f.box.width),
              maxWidth: pct(places[i].maxWidth, f.box.width),
            }}
            data-testid="face-label"
          >
            <b className="face-number">{i + 1}</b>
            {f.label}
          </span>
        </button>
      ))}
      {props.children}
    </div>
  );
}
