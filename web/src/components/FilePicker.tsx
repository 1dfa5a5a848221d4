// Choose files by clicking or dropping them on the zone.
import { useRef, useState } from 'react';
import { Icon } from './Icon';

export function FilePicker(props: {
  accept: string;
  multiple?: boolean;
  label: string;
  hint: string;
  disabled?: boolean;
  onFiles: (files: File[]) => void;
  testId?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const take = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (files.length) props.onFiles(props.multiple ? files : files.slice(0, 1));
  };
  return (
    <div
      className={`drop-zone${over ? ' over' : ''}${props.disabled ? ' disabled' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!props.disabled) take(e.dataTransfer.files);
      }}
      onClick={() => !props.disabled && input.current?.click()}
      role="button"
      tabIndex={0}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && input.current?.click()}
    >
      <Icon
        path="M12 16V4m0 0-4 4m4-4 4 4M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3"
        size={28}
        strokeWidth={1.8}
      />
      <strong>{props.label}</strong>
      <span className="muted">{props.hint}</span>
      <input
        ref={input}
        type="file"
        accept={props.accept}
        multiple={props.multiple}
        hidden
        data-testid={props.testId}
        onChange={(e) => {
          take(e.target.files);
          e.target.value = '';
        }}
      />
    </div>
  );
}
