// A labelled text (or password) input bound to a string; other attributes go to the input.
import type { InputHTMLAttributes } from 'react';

export function TextField({
  label,
  value,
  onChange,
  hint,
  wide = false,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  label: string;
  value: string;
  /** Omitted for a read-only field. */
  onChange?: (value: string) => void;
  /** A line of help under the input. */
  hint?: string;
  /** Takes more of a row in an inline form. */
  wide?: boolean;
}) {
  return (
    <label className={wide ? 'field wide-field' : 'field'}>
      <span>{label}</span>
      <input {...input} value={value} onChange={onChange && ((e) => onChange(e.target.value))} />
      {hint && <small className="muted">{hint}</small>}
    </label>
  );
}
