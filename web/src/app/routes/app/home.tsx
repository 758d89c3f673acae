/** The landing page: the pipeline board for managers and ops, My sign-offs for members. */
import { Navigate } from 'react-router';
import { RouteFallback } from '@/components/route-fallback';
import { paths } from '@/config/paths';
import { canManage, useMe } from '@/lib/api/queries';

export function HomeRoute() {
  const me = useMe();
  if (!me.data) return <RouteFallback />;
  return <Navigate to={canManage(me.data) ? paths.pipeline : paths.tasks} replace />;
}
