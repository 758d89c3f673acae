/**
 * Manager and ops actions: reassign a role, hold, resume, cancel with a reason, amend the value.
 * A refusal (403, 409) closes the form and shows the API's `detail`; the deal is refreshed either way.
 */
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space } from 'antd';
import { useState } from 'react';
import { ApiErrorAlert } from '@/components/api-error';
import { ApiError } from '@/lib/api/client';
import { useUsers } from '@/lib/api/queries';
import type { Deal } from '@/lib/api/types';
import { validated } from '@/lib/form';
import { type MessageKey, useT } from '@/lib/i18n';
import { type DealCommand, useDealCommand } from '../api/commands';

type Kind = DealCommand['kind'];

interface FormValues {
  reason?: string;
  role?: 'AR' | 'SR' | 'FR';
  userId?: string;
  amount?: number;
  currency?: string;
}

const CURRENCIES = ['CNY', 'USD', 'EUR', 'HKD', 'JPY', 'SGD', 'GBP'];

export function ManagerActions({ deal }: { deal: Deal }) {
  const t = useT();
  const { message } = App.useApp();
  const [open, setOpen] = useState<Kind | null>(null);
  const [refusal, setRefusal] = useState<unknown>(null);
  const [form] = Form.useForm<FormValues>();
  const users = useUsers();
  const command = useDealCommand(deal.id);
  const live = deal.status === 'active' || deal.status === 'on_hold';

  const start = (kind: Kind) => {
    setRefusal(null);
    command.reset();
    form.resetFields();
    if (kind === 'amend') form.setFieldsValue({ amount: deal.value.amount, currency: deal.value.currency });
    setOpen(kind);
  };
  const toCommand = (kind: Kind, v: FormValues): DealCommand => {
    const reason = v.reason?.trim() ?? '';
    switch (kind) {
      case 'reassign':
        return { kind, body: { role: v.role!, userId: v.userId!, reason } };
      case 'hold':
        return { kind, body: { reason } };
      case 'cancel':
        return { kind, body: { reason } };
      case 'resume':
        return { kind };
      case 'amend':
        return { kind, body: { value: { amount: v.amount!, currency: v.currency! } } };
    }
  };
  const submit = async () => {
    if (!open) return;
    const values = await validated(form);
    if (!values) return; // the form shows what is wrong
    command.mutate(toCommand(open, values), {
      onSuccess: () => {
        message.success(t(`manage.done.${open}` as MessageKey));
        setOpen(null);
      },
      onError: (err) => {
        if (err instanceof ApiError && err.status !== 400) {
          setRefusal(err);
          setOpen(null);
        }
      },
    });
  };
  const titles: Record<Kind, MessageKey> = {
    reassign: 'manage.reassignTitle',
    hold: 'manage.holdTitle',
    resume: 'manage.resume',
    cancel: 'manage.cancelTitle',
    amend: 'manage.amendTitle',
  };
  const reasonField = (
    <Form.Item
      name="reason"
      label={t('common.reason')}
      rules={[{ required: true, whitespace: true, message: t('common.reasonRequired') }]}
    >
      <Input.TextArea rows={3} maxLength={2000} showCount />
    </Form.Item>
  );
  return (
    <Card title={t('deal.manage')} size="small" data-testid="manager-actions">
      <ApiErrorAlert error={refusal} onClose={() => setRefusal(null)} />
      <Space wrap>
        <Button onClick={() => start('reassign')} disabled={!live}>
          {t('manage.reassign')}
        </Button>
        {deal.status === 'on_hold' ? (
          <Button onClick={() => start('resume')}>{t('manage.resume')}</Button>
        ) : (
          <Button onClick={() => start('hold')} disabled={!live}>
            {t('manage.hold')}
          </Button>
        )}
        <Button onClick={() => start('amend')} disabled={!live}>
          {t('manage.amend')}
        </Button>
        <Button danger onClick={() => start('cancel')} disabled={!live}>
          {t('manage.cancel')}
        </Button>
      </Space>
      <Modal
        open={open !== null}
        title={open ? t(titles[open]) : ''}
        okText={t('common.confirm')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: open === 'cancel' }}
        confirmLoading={command.isPending}
        onOk={submit}
        onCancel={() => setOpen(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" requiredMark name={`deal-${open ?? 'none'}`} preserve={false}>
          {command.error && <ApiErrorAlert error={command.error} />}
          {open === 'reassign' && (
            <>
              <Form.Item name="role" label={t('manage.role')} rules={[{ required: true }]}>
                <Select
                  options={(['AR', 'SR', 'FR'] as const).map((r) => ({
                    value: r,
                    label: `${t(`role.${r}` as MessageKey)} — ${deal.triangle[r]}`,
                  }))}
                />
              </Form.Item>
              <Form.Item name="userId" label={t('manage.user')} rules={[{ required: true }]}>
                <Select
                  showSearch={{ optionFilterProp: 'label' }}
                  options={(users.data ?? []).map((u) => ({ value: u.id, label: `${u.name} (${u.id})` }))}
                />
              </Form.Item>
              {reasonField}
            </>
          )}
          {(open === 'hold' || open === 'cancel') && reasonField}
          {open === 'amend' && (
            <Space align="start">
              <Form.Item name="amount" label={t('manage.amount')} rules={[{ required: true }]}>
                <InputNumber min={0} step={100000} style={{ width: 200 }} />
              </Form.Item>
              <Form.Item name="currency" label={t('manage.currency')} rules={[{ required: true }]}>
                <Select style={{ width: 110 }} options={CURRENCIES.map((c) => ({ value: c, label: c }))} />
              </Form.Item>
            </Space>
          )}
        </Form>
      </Modal>
    </Card>
  );
}
