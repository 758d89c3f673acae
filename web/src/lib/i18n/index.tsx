/**
 * Labels in Chinese and English. The language follows the signed-in user's `locale` until they
 * pick one with the header switch (remembered in this browser). Names that come from data (stage
 * and process names) are `{en, zh}` pairs and are shown with `useLocalized`.
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { en, type MessageKey } from './en';
import { zh } from './zh';

export type Locale = 'zh-CN' | 'en-US';
export type Lang = 'zh' | 'en';
export type { MessageKey };

const STORAGE_KEY = 'ltc.locale';
const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };

export const langOf = (locale: Locale): Lang => (locale === 'zh-CN' ? 'zh' : 'en');
export const localeOf = (lang: string): Locale => (lang === 'zh' ? 'zh-CN' : 'en-US');

function storedLocale(): Locale | null {
  const v = localStorage.getItem(STORAGE_KEY);
  return v === 'zh-CN' || v === 'en-US' ? v : null;
}

function browserLocale(): Locale {
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en-US';
}

interface I18nValue {
  locale: Locale;
  lang: Lang;
  /** The header switch: remembered in this browser. */
  setLocale(locale: Locale): void;
  /** Follow the user's profile locale unless one was picked in this browser. */
  setProfileLang(lang: string | undefined): void;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [picked, setPicked] = useState<Locale | null>(storedLocale);
  const [profile, setProfile] = useState<Locale | null>(null);
  const locale = picked ?? profile ?? browserLocale();
  const setLocale = useCallback((l: Locale) => {
    localStorage.setItem(STORAGE_KEY, l);
    setPicked(l);
  }, []);
  const setProfileLang = useCallback((lang: string | undefined) => {
    setProfile(lang ? localeOf(lang) : null);
  }, []);
  const value = useMemo(
    () => ({ locale, lang: langOf(locale), setLocale, setProfileLang }),
    [locale, setLocale, setProfileLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useLocale(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useLocale outside I18nProvider');
  return v;
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const text = dictionaries[lang][key] ?? en[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text;
}

export function useT(): Translate {
  const { lang } = useLocale();
  return useCallback((key, vars) => translate(lang, key, vars), [lang]);
}

/** `{en, zh}` from the data, in the current language. */
export function useLocalized(): (
  name: { en: string; zh: string } | null | undefined,
  fallback?: string,
) => string {
  const { lang } = useLocale();
  return useCallback((name, fallback = '') => (name ? name[lang] || name.en : fallback), [lang]);
}
