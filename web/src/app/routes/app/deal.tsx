/** The deal page: the deals feature's view, with the caller's sign-off from the signoffs feature. */
import { useParams } from 'react-router';
import { DealView } from '@/features/deals/components/deal-view';
import { DealSignoff } from '@/features/signoffs/components/deal-signoff';
import { canManage, useMe } from '@/lib/api/queries';

export function DealRoute() {
  const { id = '' } = useParams();
  const me = useMe();
  if (!me.data) return null;
  const user = me.data;
  return (
    <DealView id={id} canManage={canManage(user)} signoff={(deal) => <DealSignoff deal={deal} me={user} />} />
  );
}
