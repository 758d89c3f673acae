/**
 * Approve, or reject with a required reason, for one role at one stage. A refusal shows the API's
 * `detail`; the data is refreshed to the real state either way.
 */
import { App, Button, Form, Input, Modal, Space } from 'antd';
import { useState } from 'react';
import { ApiErrorAlert } from '@/components/api-error';
import { validated } from '@/lib/form';
import { useT } from '@/lib/i18n';
import { useSignoff } from '../api/signoffs';

export interface SignoffTarget {
  dealId: string;
  dealTitle: string;
  stage: string;
  stageName: string;
  role: string;
}

export function SignoffButtons({ target, compact }: { target: SignoffTarget; compact?: boolean }) {
  const t = useT();
  const { message } = App.useApp();
  const signoff = useSignoff(target.dealId);
  const [rejecting, setRejecting] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const vars = { role: target.role, stage: target.stageName, title: target.dealTitle };

  const approve = () =>
    signoff.mutate(
      { stage: target.stage, role: target.role, decision: 'approve' },
      { onSuccess: () => message.success(t('signoff.approved', vars)) },
    );
  const reject = async () => {
    const values = await validated(form);
    if (!values) return; // the form shows what is wrong
    const { reason } = values;
    signoff.mutate(
      { stage: target.stage, role: target.role, decision: 'reject', comment: reason.trim() },
      {
        onSuccess: () => message.success(t('signoff.rejected', vars)),
        onSettled: () => setRejecting(false),
      },
    );
  };
  return (
    <div className="signoff" data-role={target.role}>
      {signoff.error && !rejecting && <ApiErrorAlert error={signoff.error} onClose={() => signoff.reset()} />}
      <Space wrap>
        <Button type="primary" loading={signoff.isPending && !rejecting} onClick={approve}>
          {compact ? t('signoff.approve') : t('signoff.approveAs', vars)}
        </Button>
        <Button
          danger
          onClick={() => {
            signoff.reset();
            form.resetFields();
            setRejecting(true);
          }}
        >
          {compact ? t('signoff.reject') : t('signoff.rejectAs', vars)}
        </Button>
      </Space>
      <Modal
        open={rejecting}
        title={t('signoff.rejectTitle', vars)}
        okText={t('signoff.reject')}
        okButtonProps={{ danger: true }}
        cancelText={t('common.cancel')}
        confirmLoading={signoff.isPending}
        onOk={reject}
        onCancel={() => setRejecting(false)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" name={`reject-${target.dealId}-${target.role}`} preserve={false}>
          <Form.Item
            name="reason"
            label={t('signoff.rejectReason')}
            rules={[{ required: true, whitespace: true, message: t('common.reasonRequired') }]}
          >
            <Input.TextArea rows={4} maxLength={4000} showCount autoFocus />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
