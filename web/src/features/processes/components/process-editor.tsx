/**
 * The process editor: definitions and their versions, the YAML of the chosen version in CodeMirror,
 * Validate (each error marked on its line, by path), a diff against the latest version, and Apply.
 * Ops edit and apply; everyone else reads.
 */
import { Alert, App, Button, Card, Empty, Select, Space, Spin, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { ApiErrorAlert } from '@/components/api-error';
import { ApiError } from '@/lib/api/client';
import { useProcessList, useProcessVersion } from '@/lib/api/queries';
import { formatDateTime } from '@/lib/format';
import { useLocale, useLocalized, useT } from '@/lib/i18n';
import { useApplyDefinition, useValidateDefinition } from '../api/processes';
import { definitionToYaml } from '../lib/definition-yaml';
import { lineOfPath } from '../lib/yaml-lines';
import { YamlDiff } from './yaml-diff';
import { type LineDiagnostic, YamlEditor } from './yaml-editor';

interface Finding {
  path: string;
  message: string;
  line?: number;
  severity: 'error' | 'warning';
}

export function ProcessEditor({ canApply }: { canApply: boolean }) {
  const t = useT();
  const { locale } = useLocale();
  const localized = useLocalized();
  const { message } = App.useApp();
  const list = useProcessList();
  const [key, setKey] = useState<string>();
  const selectedKey =
    key ?? list.data?.items.find((p) => p.key === 'ltc-standard')?.key ?? list.data?.items[0]?.key;
  const latest = useProcessVersion(selectedKey);
  const [version, setVersion] = useState<number>();
  const shownVersion = version ?? latest.data?.version;
  const shown = useProcessVersion(selectedKey, shownVersion);
  const original = useMemo(() => (shown.data ? definitionToYaml(shown.data.definition) : ''), [shown.data]);
  const latestText = useMemo(
    () => (latest.data ? definitionToYaml(latest.data.definition) : ''),
    [latest.data],
  );
  const [text, setText] = useState('');
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [showDiff, setShowDiff] = useState(false);
  const validate = useValidateDefinition();
  const apply = useApplyDefinition();
  useEffect(() => {
    setText(original);
    setFindings(null);
  }, [original]);

  const diagnostics: LineDiagnostic[] = (findings ?? [])
    .filter((f) => f.line)
    .map((f) => ({
      line: f.line!,
      severity: f.severity,
      message: `${f.path || '(document)'}: ${f.message}`,
    }));

  const toFindings = (issues: { path: string; message: string }[], severity: Finding['severity']) =>
    issues.map((i) => ({ ...i, severity, line: lineOfPath(text, i.path) }));

  const runValidate = () =>
    validate.mutate(text, {
      onSuccess: (r) => setFindings(toFindings(r.warnings, 'warning')),
      onError: (err) => {
        if (err instanceof ApiError && err.status === 400)
          setFindings(toFindings(err.problem?.errors ?? [], 'error'));
      },
    });
  const runApply = () =>
    apply.mutate(text, {
      onSuccess: (r) => {
        setFindings([]);
        message.success(
          r.created
            ? t('process.applied', { version: r.version })
            : t('process.unchanged', { version: r.version }),
        );
        setKey(r.key);
        setVersion(undefined);
      },
      onError: (err) => {
        if (err instanceof ApiError && err.status === 400)
          setFindings(toFindings(err.problem?.errors ?? [], 'error'));
      },
    });

  if (list.isSuccess && list.data.items.length === 0) return <Empty description={t('board.noProcess')} />;
  const versions = latest.data
    ? Array.from({ length: latest.data.version }, (_, i) => latest.data!.version - i)
    : [];
  const errors = (findings ?? []).filter((f) => f.severity === 'error');
  const requestError = validate.error ?? apply.error;
  return (
    <div>
      <Typography.Title level={1} className="page-title">
        {t('process.title')}
      </Typography.Title>
      {!canApply && <Alert type="info" showIcon title={t('process.readOnly')} style={{ marginBottom: 12 }} />}
      <div className="process-layout">
        <Card size="small" title={t('process.definitions')}>
          <ul className="process-list">
            {(list.data?.items ?? []).map((p) => (
              <li key={p.key}>
                <button
                  type="button"
                  className={
                    p.key === selectedKey
                      ? 'process-list__item process-list__item--active'
                      : 'process-list__item'
                  }
                  aria-pressed={p.key === selectedKey}
                  onClick={() => {
                    setKey(p.key);
                    setVersion(undefined);
                    setShowDiff(false);
                  }}
                >
                  <span className="process-list__name">{localized(p.name, p.key)}</span>
                  <span className="process-list__key">
                    {p.key} · v{p.version}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </Card>
        <Card
          size="small"
          title={
            <Space wrap>
              <span>{t('process.editor')}</span>
              <label htmlFor="process-version">{t('process.versions')}</label>
              <Select
                id="process-version"
                style={{ width: 170 }}
                value={shownVersion}
                onChange={(v) => {
                  setVersion(v);
                  setShowDiff(false);
                }}
                options={versions.map((v) => ({
                  value: v,
                  label: `${t('process.version', { version: v })}${v === latest.data?.version ? ` (${t('process.latest')})` : ''}`,
                }))}
              />
              {shown.data && (
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('process.appliedAt', { at: formatDateTime(shown.data.createdAt, locale) })} ·{' '}
                  {t('process.stages', { count: shown.data.definition.stages.length })}
                </Typography.Text>
              )}
            </Space>
          }
          extra={
            <Space>
              <Button onClick={runValidate} loading={validate.isPending}>
                {t('process.validate')}
              </Button>
              <Button onClick={() => setShowDiff((s) => !s)} aria-pressed={showDiff}>
                {t('process.diff')}
              </Button>
              {canApply && (
                <Button type="primary" onClick={runApply} loading={apply.isPending}>
                  {t('process.apply')}
                </Button>
              )}
            </Space>
          }
        >
          {requestError instanceof ApiError && requestError.status !== 400 && (
            <ApiErrorAlert error={requestError} />
          )}
          {findings && (
            <div role="status" data-testid="validation" style={{ marginBottom: 12 }}>
              {errors.length > 0 ? (
                <Alert
                  type="error"
                  showIcon
                  title={t('process.invalid', { count: errors.length })}
                  description={
                    <ul className="field-errors" data-testid="validation-errors">
                      {errors.map((f) => (
                        <li key={`${f.path}:${f.message}`} data-line={f.line}>
                          {f.line
                            ? t('process.errorAt', {
                                line: f.line,
                                path: f.path || '(document)',
                                message: f.message,
                              })
                            : t('process.errorNoLine', { path: f.path || '(document)', message: f.message })}
                        </li>
                      ))}
                    </ul>
                  }
                />
              ) : (
                <Alert
                  type="success"
                  showIcon
                  title={
                    findings.length
                      ? t('process.validWarnings', { count: findings.length })
                      : t('process.valid')
                  }
                  description={
                    findings.length ? (
                      <ul className="field-errors">
                        {findings.map((f) => (
                          <li key={`${f.path}:${f.message}`}>
                            <Tag>{f.line ?? '—'}</Tag> {f.path}: {f.message}
                          </li>
                        ))}
                      </ul>
                    ) : undefined
                  }
                />
              )}
            </div>
          )}
          {shown.isPending && <Spin />}
          {showDiff &&
            (latestText === text ? (
              <Alert type="info" title={t('process.noChanges')} />
            ) : (
              <YamlDiff latest={latestText} current={text} />
            ))}
          {/* Stays mounted while the diff shows, so edits are kept. */}
          <div hidden={showDiff || shown.isPending}>
            <YamlEditor
              key={`${selectedKey}@${shownVersion}`}
              initial={original}
              readOnly={!canApply}
              label={t('process.editorLabel')}
              diagnostics={diagnostics}
              onChange={setText}
            />
          </div>
        </Card>
      </div>
    </div>
  );
}
