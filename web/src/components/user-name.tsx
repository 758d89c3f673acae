import { Tooltip } from 'antd';
import { useUsers } from '@/lib/api/queries';

/** A user's name when the caller may see them (GET /users), else the id. */
export function UserName({ id }: { id: string }) {
  const users = useUsers();
  const user = users.data?.find((u) => u.id === id);
  if (!user) return <span className="user-id">{id}</span>;
  return (
    <Tooltip title={user.id}>
      <span>{user.name}</span>
    </Tooltip>
  );
}
