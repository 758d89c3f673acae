/** Filters of the board and list: process, status, overdue, person and text, plus the view switch. */
import { Button, Checkbox, Form, Input, Segmented, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import type { ProcessSummary, User } from '@/lib/api/types';
import { type MessageKey, useLocalized, useT } from '@/lib/i18n';
import type { DealFilters, StatusFilter, View } from '../lib/filters';

const STATUS_OPTIONS: StatusFilter[] = ['open', 'active', 'on_hold', 'completed', 'lost', 'cancelled', 'all'];

export function DealFiltersBar({
  value,
  onChange,
  processes,
  users,
}: {
  value: DealFilters;
  onChange: (f: DealFilters) => void;
  processes: ProcessSummary[];
  users: User[];
}) {
  const t = useT();
  const localized = useLocalized();
  const [text, setText] = useState(value.q ?? '');
  useEffect(() => setText(value.q ?? ''), [value.q]);
  const set = (patch: Partial<DealFilters>) => onChange({ ...value, ...patch });
  const statusLabel = (s: StatusFilter) =>
    s === 'open' ? t('board.statusOpen') : s === 'all' ? t('common.all') : t(`status.${s}` as MessageKey);
  return (
    <Form
      layout="inline"
      className="filters"
      aria-label={t('board.filters')}
      onSubmitCapture={(e) => e.preventDefault()}
    >
      <Form.Item label={t('board.process')} htmlFor="filter-process">
        <Select
          id="filter-process"
          style={{ minWidth: 180 }}
          value={value.process}
          onChange={(process) => set({ process })}
          options={processes.map((p) => ({ value: p.key, label: localized(p.name, p.key) }))}
        />
      </Form.Item>
      <Form.Item label={t('board.status')} htmlFor="filter-status">
        <Select<StatusFilter>
          id="filter-status"
          style={{ minWidth: 170 }}
          value={value.status}
          onChange={(status) => set({ status })}
          options={STATUS_OPTIONS.map((s) => ({ value: s, label: statusLabel(s) }))}
        />
      </Form.Item>
      <Form.Item>
        <Checkbox checked={value.overdue} onChange={(e) => set({ overdue: e.target.checked })}>
          {t('board.overdueOnly')}
        </Checkbox>
      </Form.Item>
      <Form.Item label={t('board.person')} htmlFor="filter-person">
        <Select
          id="filter-person"
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          placeholder={t('board.personAny')}
          style={{ minWidth: 180 }}
          value={value.person}
          onChange={(person) => set({ person: person || undefined })}
          options={users.map((u) => ({ value: u.id, label: `${u.name} (${u.id})` }))}
        />
      </Form.Item>
      <Form.Item label={t('board.text')} htmlFor="filter-q">
        <Input.Search
          id="filter-q"
          allowClear
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={(q) => set({ q: q.trim() || undefined })}
          style={{ width: 220 }}
          enterButton={t('common.search')}
        />
      </Form.Item>
      <Space>
        <Button
          onClick={() =>
            onChange({ process: value.process, view: value.view, status: 'open', overdue: false })
          }
        >
          {t('board.clear')}
        </Button>
        <Segmented<View>
          aria-label={t('board.view')}
          value={value.view}
          onChange={(view) => set({ view })}
          options={[
            { value: 'board', label: t('board.viewBoard') },
            { value: 'list', label: t('board.viewList') },
          ]}
        />
      </Space>
    </Form>
  );
}
