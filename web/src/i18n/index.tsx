// Bilingual UI: every visible string comes from a dictionary (en.ts, zh-CN.ts with the same keys). The
// language is taken from the browser the first time and remembered in localStorage.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError } from '../lib/api';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Lang = 'zh-CN' | 'en';
export type { MessageKey };

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
export const LANGS: { id: Lang; label: string }[] = [
  { id: 'zh-CN', label: '简体中文' },
  { id: 'en', label: 'English' },
];

const STORAGE_KEY = 'visage.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export type Vars = Record<string, string | number>;

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** A message for any failure: API errors by their code, anything else as a generic error. */
  tError: (error: unknown) => string;
  /** A rejection reason or error code, translated; unknown codes get a generic sentence. */
  tCode: (code: string) => string;
  number: (value: number, digits?: number) => string;
  date: (iso: string | null | undefined) => string;
  /** Time of day with seconds, for live feeds. */
  clock: (iso: string) => string;
}

const Context = createContext<I18n | null>(null);

function fill(text: string, vars?: Vars): string {
  return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : text;
}

/** The figures an error's message can state, from its details: an image's size against the pixel limit. */
function errorFigures(details: Record<string, unknown>): Vars | null {
  const { width, height, maxPixels } = details;
  if (typeof width !== 'number' || typeof height !== 'number' || typeof maxPixels !== 'number') return null;
  return {
    size: `${width}×${height}`,
    mp: ((width * height) / 1e6).toFixed(1),
    limit: (maxPixels / 1e6).toFixed(1).replace(/\.0$/, ''),
  };
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    setLangState(l);
  }, []);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo<I18n>(() => {
    const dict = dictionaries[lang];
    const t = (key: MessageKey, vars?: Vars) => fill(dict[key], vars);
    const tCode = (code: string) => {
      const key = `error.${code}` as MessageKey;
      return key in dict ? dict[key] : fill(dict['error.generic'], { code });
    };
    const numberFormats = new Map<number, Intl.NumberFormat>();
    const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    const clockFormat = new Intl.DateTimeFormat(lang, { timeStyle: 'medium' });
    return {
      lang,
      setLang,
      t,
      tCode,
      tError: (error: unknown) => {
        if (!(error instanceof ApiError)) return fill(dict['error.generic'], { code: 'client' });
        // A message with figures (the pixel limit) when the error's details have them, else the plain one.
        const figures = `error.${error.code}.figures` as MessageKey;
        const vars = errorFigures(error.details);
        return figures in dict && vars ? fill(dict[figures], vars) : tCode(error.code);
      },
      number: (v: number, digits = 2) => {
        let f = numberFormats.get(digits);
        if (!f)
          numberFormats.set(
            digits,
            (f = new Intl.NumberFormat(lang, {
              minimumFractionDigits: digits,
              maximumFractionDigits: digits,
            })),
          );
        return f.format(v);
      },
      date: (iso) => (iso ? dateFormat.format(new Date(iso)) : '—'),
      clock: (iso) => clockFormat.format(new Date(iso)),
    };
  }, [lang, setLang]);

  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(Context);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
