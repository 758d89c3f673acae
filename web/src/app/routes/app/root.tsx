/**
 * The signed-in frame: header (navigation for the user's roles, notification inbox, language
 * switch, account menu) around the current screen. Without a token, or after a 401, it sends the
 * user to sign-in.
 */
import { useQueryClient } from '@tanstack/react-query';
import { Button, Layout, Space } from 'antd';
import { useEffect, useSyncExternalStore } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { LocaleSwitch } from '@/components/locale-switch';
import { RouteFallback } from '@/components/route-fallback';
import { paths } from '@/config/paths';
import { Inbox } from '@/features/notifications/components/inbox';
import { canManage, useMe } from '@/lib/api/queries';
import { clearToken, getToken, onTokenChange } from '@/lib/auth-token';
import { useLocale, useT } from '@/lib/i18n';

export function AppRoot() {
  const token = useSyncExternalStore(onTokenChange, getToken);
  const location = useLocation();
  if (!token) {
    return <Navigate to={paths.signIn} replace state={{ from: location.pathname + location.search }} />;
  }
  return <SignedIn />;
}

function SignedIn() {
  const t = useT();
  const me = useMe();
  const { setProfileLang } = useLocale();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  useEffect(() => setProfileLang(me.data?.locale), [me.data?.locale, setProfileLang]);

  if (!me.data) return <RouteFallback />;
  const manages = canManage(me.data);
  const links = [
    ...(manages ? [{ to: paths.pipeline, label: t('nav.pipeline') }] : []),
    { to: paths.tasks, label: t('nav.tasks') },
    { to: paths.processes, label: t('nav.processes') },
    ...(manages ? [{ to: paths.reports, label: t('nav.reports') }] : []),
  ];
  const signOut = () => {
    clearToken();
    queryClient.clear();
    navigate(paths.signIn, { replace: true });
  };
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <Layout.Header className="app-header">
        <NavLink to="/" className="app-brand">
          {t('app.name')}
        </NavLink>
        <nav aria-label={t('nav.main')} className="app-nav">
          {links.map((l) => (
            <NavLink key={l.to} to={l.to}>
              {l.label}
            </NavLink>
          ))}
        </nav>
        <Space size="middle" className="app-tools">
          <Inbox />
          <LocaleSwitch />
          <span className="app-user" data-testid="current-user">
            {me.data.name}
          </span>
          <Button type="text" onClick={signOut}>
            {t('nav.signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </Layout.Content>
    </Layout>
  );
}
