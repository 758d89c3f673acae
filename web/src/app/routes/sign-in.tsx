import { useQueryClient } from '@tanstack/react-query';
import { Card, Segmented, Typography } from 'antd';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { SignInForm } from '@/features/auth/components/sign-in-form';
import { takeSessionEndedReason } from '@/lib/api/client';
import { type Locale, useLocale, useT } from '@/lib/i18n';

export function SignInRoute() {
  const t = useT();
  const { locale, setLocale } = useLocale();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [ended] = useState(takeSessionEndedReason);
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  return (
    <main className="signin">
      <Card
        title={
          <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
            {t('app.name')} · {t('signIn.title')}
          </Typography.Title>
        }
        extra={
          <Segmented<Locale>
            aria-label={t('nav.language')}
            size="small"
            value={locale}
            onChange={setLocale}
            options={[
              { label: '中文', value: 'zh-CN' },
              { label: 'English', value: 'en-US' },
            ]}
          />
        }
        style={{ width: 420 }}
      >
        <Typography.Paragraph type="secondary">{t('signIn.intro')}</Typography.Paragraph>
        <SignInForm
          notice={ended ? t('signIn.ended', { detail: ended }) : null}
          onSignedIn={() => {
            queryClient.clear();
            navigate(from, { replace: true });
          }}
        />
      </Card>
    </main>
  );
}
