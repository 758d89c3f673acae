import { Button, Result } from 'antd';
import { Link } from 'react-router';
import { useT } from '@/lib/i18n';

export function NotFoundRoute() {
  const t = useT();
  return (
    <Result
      status="404"
      title={t('common.notFound')}
      subTitle={t('common.notFoundText')}
      extra={
        <Link to="/">
          <Button type="primary">{t('common.back')}</Button>
        </Link>
      }
    />
  );
}
