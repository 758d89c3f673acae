import {
  formatDue,
  formatDuration,
  type Locale,
  type NotificationContext,
  type NotificationKind,
  renderNotification,
} from '../../notifications';

const LINK = 'https://ltc.example.com/deals/D-1001';

const base: NotificationContext = {
  event: 'stage.entered',
  dealId: 'D-1001',
  dealTitle: '华东电网扩容项目',
  accountName: '国网华东分部',
  stage: 'solution',
  stageName: { en: 'Solution review', zh: '方案评审' },
  dueAt: '2026-11-27T14:00:00.000Z',
  role: 'SR',
};

const DUE = '2026-11-27 14:00 UTC';

const contexts: Record<NotificationKind, NotificationContext> = {
  task: { ...base },
  reminder: { ...base, event: 'stage.reminder', timeLeftMs: 2 * 86_400_000 + 3 * 3_600_000 + 59_000 },
  escalation: {
    ...base,
    event: 'stage.escalated',
    escalationLevel: 2,
    waitingOn: [
      { role: 'SR', userName: '李四' },
      { role: 'FR', userName: 'Wang Wu' },
    ],
  },
  decision: {
    ...base,
    event: 'signoff.rejected',
    decision: 'reject',
    reason: '报价低于成本线',
    targetStage: 'proposal',
    targetStageName: { en: 'Proposal', zh: '报价' },
    actorName: '张三',
  },
  status: { ...base, event: 'deal.on_hold', reason: '客户预算冻结', actorName: '张三' },
};

const KINDS: NotificationKind[] = ['task', 'reminder', 'escalation', 'decision', 'status'];
const LOCALES: Locale[] = ['zh', 'en'];

describe('renderNotification: common content', () => {
  for (const kind of KINDS) {
    for (const locale of LOCALES) {
      test(`${kind} / ${locale} names deal, account, stage, due time and carries the link`, () => {
        const m = renderNotification(kind, contexts[kind], locale, LINK);
        const stageName = locale === 'zh' ? '方案评审' : 'Solution review';
        for (const part of [m.text, m.markdown]) {
          expect(part).toContain('华东电网扩容项目');
          expect(part).toContain('国网华东分部');
          expect(part).toContain(stageName);
          expect(part).toContain(DUE);
        }
        expect(m.title).toContain('华东电网扩容项目');
        expect(m.title).toContain(stageName);
        expect(m.title).not.toContain('\n');
        expect(m.text).toContain(LINK);
        expect(m.markdown).toContain(`](${LINK})`);
        expect(m.markdown.startsWith(`**${m.title}**`)).toBe(true);
        // the other language's stage name does not leak in
        expect(m.text).not.toContain(locale === 'zh' ? 'Solution review' : '方案评审');
      });
    }
  }

  test('rendering is deterministic', () => {
    for (const kind of KINDS) {
      expect(renderNotification(kind, contexts[kind], 'zh', LINK)).toEqual(
        renderNotification(kind, contexts[kind], 'zh', LINK),
      );
    }
  });
});

describe('task', () => {
  test('zh', () => {
    const m = renderNotification('task', contexts.task, 'zh', LINK);
    expect(m.title).toBe('【待签核】华东电网扩容项目 · 方案评审');
    expect(m.text).toContain('请以SR（解决方案责任人）身份签核「方案评审」阶段');
    expect(m.text).toContain('截止时间：2026-11-27 14:00 UTC');
    expect(m.text).toContain(`查看交易：${LINK}`);
    expect(m.markdown).toContain(`[查看交易](${LINK})`);
  });

  test('en', () => {
    const m = renderNotification('task', contexts.task, 'en', LINK);
    expect(m.title).toBe('[Sign-off needed] 华东电网扩容项目 · Solution review');
    expect(m.text).toContain('Please sign off stage "Solution review" as SR (Solution Responsible).');
    expect(m.text).toContain('Due: 2026-11-27 14:00 UTC');
    expect(m.markdown).toContain(`[Open deal](${LINK})`);
  });

  test('reassigned task says so; missing due time is shown as not set', () => {
    const ctx = { ...contexts.task, event: 'role.reassigned', dueAt: null };
    const zh = renderNotification('task', ctx, 'zh', LINK);
    expect(zh.text).toContain('您已被指派为交易「华东电网扩容项目」的签核人');
    expect(zh.text).toContain('截止时间：未设置');
    const en = renderNotification('task', ctx, 'en', LINK);
    expect(en.text).toContain('You were assigned to deal "华东电网扩容项目"');
    expect(en.text).toContain('Due: not set');
  });
});

describe('reminder', () => {
  test('says due in a compact duration', () => {
    const zh = renderNotification('reminder', contexts.reminder, 'zh', LINK);
    expect(zh.title).toBe('【签核提醒】华东电网扩容项目 · 方案评审（剩余2天3小时）');
    expect(zh.text).toContain('将在2天3小时后到期');
    const en = renderNotification('reminder', contexts.reminder, 'en', LINK);
    expect(en.title).toBe('[Reminder] 华东电网扩容项目 · Solution review due in 2d 3h');
    expect(en.text).toContain('is due in 2d 3h');
  });

  test('45 minutes and overdue', () => {
    const ctx = { ...contexts.reminder, timeLeftMs: 45 * 60_000 };
    expect(renderNotification('reminder', ctx, 'en', LINK).title).toContain('due in 45m');
    expect(renderNotification('reminder', ctx, 'zh', LINK).title).toContain('剩余45分钟');
    const late = { ...contexts.reminder, timeLeftMs: -90 * 60_000 };
    expect(renderNotification('reminder', late, 'en', LINK).title).toContain('overdue by 1h 30m');
    expect(renderNotification('reminder', late, 'zh', LINK).title).toContain('已超时1小时30分钟');
  });
});

describe('formatDuration / formatDue', () => {
  test.each([
    [2 * 86_400_000 + 3 * 3_600_000, '2d 3h', '2天3小时'],
    [2 * 86_400_000 + 5 * 60_000, '2d', '2天'],
    [5 * 3_600_000 + 20 * 60_000 + 59_999, '5h 20m', '5小时20分钟'],
    [3 * 3_600_000, '3h', '3小时'],
    [45 * 60_000, '45m', '45分钟'],
    [30_000, '<1m', '不到1分钟'],
    [-45 * 60_000, '45m', '45分钟'],
  ])('%d ms', (ms, en, zh) => {
    expect(formatDuration(ms, 'en')).toBe(en);
    expect(formatDuration(ms, 'zh')).toBe(zh);
  });

  test('due time is UTC and stable; unparsable values pass through', () => {
    expect(formatDue('2026-11-27T22:00:00+08:00')).toBe('2026-11-27 14:00 UTC');
    expect(formatDue('2026-01-05T03:04:59Z')).toBe('2026-01-05 03:04 UTC');
    expect(formatDue('next week')).toBe('next week');
  });
});

describe('escalation', () => {
  test('en: overdue in your line at stage S (level N), waits on P', () => {
    const m = renderNotification('escalation', contexts.escalation, 'en', LINK);
    expect(m.title).toBe('[Escalation L2] 华东电网扩容项目 · Solution review is overdue');
    expect(m.text).toContain(
      'Deal "华东电网扩容项目" in your line is overdue at stage "Solution review" (level 2) and waits on 李四 (SR), Wang Wu (FR).',
    );
  });

  test('zh', () => {
    const m = renderNotification('escalation', contexts.escalation, 'zh', LINK);
    expect(m.title).toBe('【超时升级·第2级】华东电网扩容项目 · 方案评审');
    expect(m.text).toContain('您条线内的交易「华东电网扩容项目」在「方案评审」阶段已超时（第2级升级）');
    expect(m.text).toContain('正在等待李四（SR）、Wang Wu（FR）签核');
    expect(m.text).toContain('待签核人：李四（SR）、Wang Wu（FR）');
  });
});

describe('decision', () => {
  test('rejected with reason and target stage', () => {
    const zh = renderNotification('decision', contexts.decision, 'zh', LINK);
    expect(zh.title).toBe('【已驳回】华东电网扩容项目 · 方案评审');
    expect(zh.text).toContain('「方案评审」阶段已被张三驳回。交易退回「报价」阶段。');
    expect(zh.text).toContain('原因：报价低于成本线');
    expect(zh.markdown).toContain('- 原因：报价低于成本线');
    expect(zh.text).toContain('退回至：报价');
    const en = renderNotification('decision', contexts.decision, 'en', LINK);
    expect(en.title).toBe('[Rejected] 华东电网扩容项目 · Solution review');
    expect(en.text).toContain(
      'Stage "Solution review" was rejected by 张三. The deal goes back to "Proposal".',
    );
    expect(en.text).toContain('Reason: 报价低于成本线');
    expect(en.text).toContain('Sent back to: Proposal');
  });

  test('rejected to lost', () => {
    const ctx = { ...contexts.decision, targetStage: 'lost', targetStageName: undefined };
    expect(renderNotification('decision', ctx, 'zh', LINK).text).toContain('交易已关闭为丢单');
    expect(renderNotification('decision', ctx, 'en', LINK).text).toContain('The deal is closed as lost.');
  });

  test('approved, moving on to the next stage', () => {
    const ctx: NotificationContext = {
      ...base,
      event: 'stage.completed',
      decision: 'approve',
      actorName: 'Alice',
      targetStage: 'contract',
      targetStageName: { en: 'Contract', zh: '合同签订' },
    };
    const zh = renderNotification('decision', ctx, 'zh', LINK);
    expect(zh.title).toBe('【已通过】华东电网扩容项目 · 方案评审');
    expect(zh.text).toContain('「方案评审」阶段已由Alice批准。交易进入「合同签订」阶段。');
    const en = renderNotification('decision', ctx, 'en', LINK);
    expect(en.title).toBe('[Approved] 华东电网扩容项目 · Solution review');
    expect(en.text).toContain('was approved by Alice. The deal moves on to "Contract".');
    expect(en.text).toContain('Next stage: Contract');
  });

  test('auto-decided', () => {
    const ctx: NotificationContext = { ...base, event: 'stage.auto_decided', decision: 'approve' };
    expect(renderNotification('decision', ctx, 'zh', LINK).title).toContain('【自动通过】');
    expect(renderNotification('decision', ctx, 'en', LINK).text).toContain('approved automatically');
    const rej = { ...ctx, decision: 'reject' as const, targetStage: 'lost' };
    expect(renderNotification('decision', rej, 'zh', LINK).title).toContain('【自动驳回】');
  });
});

describe('status', () => {
  test.each([
    ['deal.on_hold', '【已暂停】', '[On hold]', 'put on hold'],
    ['deal.resumed', '【已恢复】', '[Resumed]', 'resumed'],
    ['role.reassigned', '【角色变更】', '[Reassigned]', 'reassigned'],
    ['deal.cancelled', '【已取消】', '[Cancelled]', 'cancelled'],
    ['deal.completed', '【已完成】', '[Completed]', 'completed'],
    ['deal.lost', '【已丢单】', '[Lost]', 'lost'],
  ])('%s', (event, zhTag, enTag, enWord) => {
    const ctx = { ...contexts.status, event };
    const zh = renderNotification('status', ctx, 'zh', LINK);
    expect(zh.title).toBe(`${zhTag}华东电网扩容项目 · 方案评审`);
    expect(zh.text).toContain('原因：客户预算冻结');
    expect(zh.text).toContain('操作人：张三');
    const en = renderNotification('status', ctx, 'en', LINK);
    expect(en.title).toBe(`${enTag} 华东电网扩容项目 · Solution review`);
    expect(en.text).toContain(enWord);
    expect(en.text).toContain('Reason: 客户预算冻结');
  });

  test('status without a due time omits the due line', () => {
    const m = renderNotification(
      'status',
      { ...contexts.status, event: 'deal.completed', dueAt: null },
      'en',
      LINK,
    );
    expect(m.text).not.toContain('Due:');
  });

  test('unknown event still renders', () => {
    const m = renderNotification('status', { ...contexts.status, event: 'deal.amended' }, 'en', LINK);
    expect(m.title).toContain('[Update]');
    expect(m.text).toContain('deal.amended');
  });
});

describe('markdown safety', () => {
  test('user text cannot inject links, emphasis or extra lines into markdown', () => {
    const ctx: NotificationContext = {
      ...base,
      dealTitle: 'Evil **deal** [click](https://evil.example)\n# heading',
      accountName: 'ACME `code`',
    };
    const m = renderNotification('task', ctx, 'en', LINK);
    expect(m.markdown).not.toContain('](https://evil.example)');
    expect(m.markdown).not.toContain('\n# heading');
    expect(m.markdown).not.toContain('`');
    // only our own bold title and our own link remain as markup
    expect(m.markdown.match(/\*\*/g)).toHaveLength(2);
    expect(m.markdown.match(/\]\(/g)).toHaveLength(1);
    // plain text keeps the title as given (whitespace collapsed)
    expect(m.text).toContain('Evil **deal** [click](https://evil.example) # heading');
  });

  test('link targets are encoded so they cannot end the markdown link early', () => {
    const m = renderNotification('task', base, 'en', 'https://ltc.example.com/deals/a (b)');
    expect(m.markdown).toContain('[Open deal](https://ltc.example.com/deals/a%20%28b%29)');
  });
});
