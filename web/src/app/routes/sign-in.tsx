import { useQueryClient } from '@tanstack/react-query';
import { Card, Typography } from 'antd';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { LocaleSwitch } from '@/components/locale-switch';
import { SignInForm } from '@/features/auth/components/sign-in-form';
import { takeSessionEndedReason } from '@/lib/api/client';
import { useT } from '@/lib/i18n';

export function SignInRoute() {
  const t = useT();
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
        extra={<LocaleSwitch english="English" />}
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
