import { Segmented } from 'antd';
import { type Locale, useLocale, useT } from '@/lib/i18n';

/** 中文 / EN: the labels' language, remembered in this browser. */
export function LocaleSwitch({ english = 'EN' }: { english?: string }) {
  const t = useT();
  const { locale, setLocale } = useLocale();
  return (
    <Segmented<Locale>
      aria-label={t('nav.language')}
      size="small"
      value={locale}
      onChange={setLocale}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: english, value: 'en-US' },
      ]}
    />
  );
}
