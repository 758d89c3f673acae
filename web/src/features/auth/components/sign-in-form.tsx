/** Sign in with an API token; the token is kept for this browser tab only (sessionStorage). */
import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Form, Input } from 'antd';
import { ApiError } from '@/lib/api/client';
import { setToken } from '@/lib/auth-token';
import { useT } from '@/lib/i18n';
import { verifyToken } from '../api/verify-token';

export function SignInForm({ notice, onSignedIn }: { notice?: string | null; onSignedIn: () => void }) {
  const t = useT();
  const signIn = useMutation({
    mutationFn: async (token: string) => {
      await verifyToken(token);
      setToken(token);
    },
    onSuccess: onSignedIn,
  });
  const error = signIn.error instanceof ApiError ? signIn.error.message : signIn.error?.message;
  return (
    <Form
      layout="vertical"
      requiredMark={false}
      onFinish={(v: { token: string }) => signIn.mutate(v.token.trim())}
      aria-label={t('signIn.title')}
    >
      {notice && !signIn.isPending && !error && (
        <Alert type="warning" showIcon title={notice} style={{ marginBottom: 16 }} role="alert" />
      )}
      {error && (
        <Alert
          type="error"
          showIcon
          title={t('signIn.invalid', { detail: error })}
          style={{ marginBottom: 16 }}
          role="alert"
        />
      )}
      <Form.Item
        label={t('signIn.token')}
        name="token"
        rules={[{ required: true, whitespace: true, message: t('signIn.required') }]}
      >
        <Input.Password autoComplete="current-password" autoFocus placeholder="ltc_…" />
      </Form.Item>
      <Button type="primary" htmlType="submit" block loading={signIn.isPending}>
        {t('signIn.submit')}
      </Button>
    </Form>
  );
}
