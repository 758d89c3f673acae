import { Alert } from 'antd';
import { ApiError } from '@/lib/api/client';
import { useT } from '@/lib/i18n';

/** An API refusal or failure, with the API's own `detail` and its field errors. */
export function ApiErrorAlert({ error, onClose }: { error: unknown; onClose?: () => void }) {
  const t = useT();
  if (!error) return null;
  const refused = error instanceof ApiError && (error.status === 403 || error.status === 409);
  const detail = error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError ? (error.problem?.errors ?? []) : [];
  return (
    <Alert
      type={refused ? 'warning' : 'error'}
      showIcon
      role="alert"
      closable={onClose ? { onClose } : undefined}
      title={refused ? t('common.refused', { detail }) : t('common.error', { detail })}
      description={
        fields.length ? (
          <ul className="field-errors">
            {fields.map((e) => (
              <li key={`${e.path}:${e.message}`}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : undefined
      }
      style={{ marginBottom: 12 }}
    />
  );
}
