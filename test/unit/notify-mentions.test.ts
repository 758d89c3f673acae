/**
 * Text from users (deal titles, account names, reasons, people's names) cannot mention anyone in a
 * chat group, whatever the format; ordinary text arrives unchanged.
 */
import {
  buildWebhookRequest,
  type Locale,
  type NotificationContext,
  type OutgoingNotification,
  renderNotification,
} from '../../notifications';
import {
  neutraliseDingTalkMentions,
  neutraliseFeishuMentions,
  neutraliseWeComMentions,
} from '../../notifications/mentions';

const LINK = 'https://ltc.example.com/deals/D-1';
const ORDINARY = ['a < b', 'li@example.com'];

const hostile: NotificationContext = {
  event: 'signoff.rejected',
  dealId: 'D-1',
  dealTitle: 'Grid <at id=all></at> <at user_id="ou_42">boss</at> @all a < b',
  accountName: 'Acme <@all> <@zhangsan> <!channel>',
  stage: 'solution',
  stageName: { en: 'Solution', zh: '方案' },
  decision: 'reject',
  reason: 'ping <!here> <!everyone> <@U024BE7LH> <!subteam^S1> @张三 li@example.com',
  targetStage: 'proposal',
  actorName: '@all &lt;at id=all&gt;',
};

function notification(locale: Locale): OutgoingNotification {
  return {
    id: 'ntf_1',
    kind: 'decision',
    dealId: 'D-1',
    stage: 'solution',
    recipients: ['u1'],
    at: '2026-11-26T08:00:00.000Z',
    link: LINK,
    message: renderNotification('decision', hostile, locale, LINK),
  };
}

describe.each(['en', 'zh'] as Locale[])('%s', (locale) => {
  const n = notification(locale);

  test('the rendered message still carries the raw text (nothing is lost before formatting)', () => {
    expect(n.message.markdown).toContain('<at id=all>');
    expect(n.message.markdown).toContain('@all');
  });

  test('feishu: no <at …> tag in the card', () => {
    const card = JSON.parse(buildWebhookRequest('feishu', n, { url: 'https://x.test/h' }).body).card;
    const markdown: string = card.elements[0].content;
    const title: string = card.header.title.content;
    for (const s of [markdown, title]) {
      expect(s).not.toMatch(/<\s*at\b/i);
      expect(s).not.toMatch(/&lt;\s*at\b/i);
    }
    expect(markdown).toContain('＜at id=all>');
    expect(title).toContain('Grid ＜at id=all></at>');
    for (const o of ORDINARY) expect(markdown).toContain(o);
  });

  test('wecom: no <@…> in the markdown', () => {
    const content: string = JSON.parse(buildWebhookRequest('wecom', n, { url: 'https://x.test/h' }).body)
      .markdown.content;
    expect(content).not.toMatch(/<@/);
    expect(content).toContain('＜@all>');
    expect(content).toContain('＜@zhangsan>');
    for (const o of ORDINARY) expect(content).toContain(o);
  });

  test('dingtalk: no @all nor @name in title or text; email addresses stay', () => {
    const { title, text } = JSON.parse(
      buildWebhookRequest('dingtalk', n, { url: 'https://x.test/h' }).body,
    ).markdown;
    for (const s of [title as string, text as string]) {
      expect(s).not.toMatch(/(^|[^A-Za-z0-9._%+-])@/);
      expect(s).toContain('＠all');
    }
    expect(text).toContain('＠张三');
    for (const o of ORDINARY) expect(text).toContain(o);
  });

  test('slack: <!channel>, <!here>, <!everyone>, <@U…>, <!subteam…> arrive as plain text', () => {
    const body = JSON.parse(buildWebhookRequest('slack', n, { url: 'https://x.test/h' }).body);
    const mrkdwn: string = body.blocks[0].text.text;
    for (const s of [mrkdwn, body.text as string]) {
      expect(s).not.toMatch(/<[!@#]/);
    }
    expect(mrkdwn).toContain('&lt;!here&gt;');
    expect(mrkdwn).toContain('&lt;@U024BE7LH&gt;');
    expect(mrkdwn).toContain('li@example.com');
    expect(mrkdwn).toContain('a &lt; b');
    // no link_names / parse: plain @channel is not a mention either
    expect(body).not.toHaveProperty('link_names');
    expect(body).not.toHaveProperty('parse');
  });

  test('generic carries the text as it is (it is our JSON, not a chat message)', () => {
    const body = JSON.parse(buildWebhookRequest('generic', n, { url: 'https://x.test/h', secret: 's' }).body);
    expect(body.text).toContain('<at id=all>');
  });
});

describe('the neutralisers leave ordinary text alone', () => {
  const ordinary = 'Q3 budget < 5M, see li@example.com; <b>bold</b> & "quotes" 100% 张三 <font>';
  test.each([
    ['feishu', neutraliseFeishuMentions],
    ['wecom', neutraliseWeComMentions],
    ['dingtalk', neutraliseDingTalkMentions],
  ])('%s', (_name, fn) => {
    expect(fn(ordinary)).toBe(ordinary);
  });

  test('every spelling of a mention is caught', () => {
    expect(neutraliseFeishuMentions('<AT id=all> < at email=x> &#60;at id=all> &#x3C;at id=all>')).toBe(
      '＜AT id=all> ＜ at email=x> ＜at id=all> ＜at id=all>',
    );
    expect(neutraliseWeComMentions('<@all> &lt;@u1> < @u2>')).toBe('＜@all> ＜@u1> ＜ @u2>');
    expect(neutraliseDingTalkMentions('@all,@@all (@138000) 张三@all x@y.cn')).toBe(
      '＠all,＠＠all (＠138000) 张三＠all x@y.cn',
    );
  });
});
