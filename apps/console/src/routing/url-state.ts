/**
 * Filters, tabs and pages live in the URL's query: a copied link reproduces the view, back and forward move
 * between views. A change replaces the given keys and drops empty ones; `resetPage` sends a list back to its
 * first page when a filter changes.
 */
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';

export function useUrlState<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((key) => [key, params.get(key) ?? ''])) as Record<K, string>;
  const update = useCallback(
    (changes: Partial<Record<K | 'page' | 'cursor', string | undefined>>, options: { resetPage?: boolean } = {}) => {
      // react-router hands the updater the query of the last render, not of the last navigation: two changes
      // before a render (a start then an end date typed at once) would lose the first. The browser's location
      // is updated as soon as the router navigates, so it is the base.
      setParams(() => {
        const next = new URLSearchParams(window.location.search);
        if (options.resetPage) {
          next.delete('page');
          next.delete('cursor');
        }
        for (const [key, value] of Object.entries(changes) as Array<[string, string | undefined]>) {
          if (value === undefined || value === '') next.delete(key);
          else next.set(key, value);
        }
        return next;
      });
    },
    [setParams],
  );
  return [values, update] as const;
}

/**
 * A text field bound to one URL key: the field follows typing at once, the URL once typing pauses (one history
 * entry and one request per pause, not per keystroke), and a URL changed by Back or a link refills the field.
 */
export function useUrlTextField(value: string, commit: (text: string) => void, delayMs = 300) {
  const [text, setText] = useState(value);
  const [committed, setCommitted] = useState(value);
  if (value !== committed) {
    setCommitted(value);
    setText(value);
  }
  useEffect(() => {
    if (text.trim() === committed) return;
    const timer = setTimeout(() => commit(text.trim()), delayMs);
    return () => clearTimeout(timer);
  }, [text, committed, commit, delayMs]);
  return [text, setText] as const;
}
