// A name field that suggests people of the gallery as you type, and tells whether the typed name is an
// existing person (names match case-insensitively, as in the gallery).
import { useEffect, useId, useRef } from 'react';
import { api } from '../lib/api';
import { useFetched } from '../lib/requests';
import type { Person } from '../lib/api';

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
  const { value } = props;
  const found = useFetched(
    async () => {
      const page = await api.people(value.trim(), SUGGESTIONS, 0);
      const wanted = value.trim().normalize('NFC').toLowerCase();
      return { people: page.items, match: page.items.find((p) => p.name.toLowerCase() === wanted) ?? null };
    },
    [value],
    DEBOUNCE_MS,
  );
  const people = found.error ? [] : (found.value?.people ?? []);
  // The latest callback, told of each answer, so that callers need not memoise it.
  const onMatch = useRef(props.onMatch);
  onMatch.current = props.onMatch;
  useEffect(() => {
    if (found.value) onMatch.current?.(found.value.match);
  }, [found.value]);

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
