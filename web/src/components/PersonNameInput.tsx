// A name field that suggests people of the gallery as you type, and tells whether the typed name is an
// existing person (names match case-insensitively, as in the gallery).
import { useEffect, useId, useRef, useState } from 'react';
import { api } from '../lib/api';
import type { Person } from '../lib/types';

const SUGGESTIONS = 8;
const DEBOUNCE_MS = 200;

export function PersonNameInput(props: {
  value: string;
  onChange: (value: string) => void;
  onMatch?: (person: Person | null) => void;
  placeholder?: string;
  autoFocus?: boolean;
  testId?: string;
}) {
  const listId = useId();
  const [people, setPeople] = useState<Person[]>([]);
  const { value } = props;
  // The latest callback, read when an answer arrives, so that callers need not memoise it.
  const onMatch = useRef(props.onMatch);
  onMatch.current = props.onMatch;

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      api
        .people(value.trim(), SUGGESTIONS, 0)
        .then((page) => {
          if (cancelled) return;
          setPeople(page.items);
          const wanted = value.trim().normalize('NFC').toLowerCase();
          onMatch.current?.(page.items.find((p) => p.name.toLowerCase() === wanted) ?? null);
        })
        .catch(() => !cancelled && setPeople([]));
    }, DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [value]);

  return (
    <>
      <input
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        list={listId}
        placeholder={props.placeholder}
        autoFocus={props.autoFocus}
        maxLength={100}
        data-testid={props.testId}
      />
      <datalist id={listId}>
        {people.map((p) => (
          <option key={p.id} value={p.name} />
        ))}
      </datalist>
    </>
  );
}
