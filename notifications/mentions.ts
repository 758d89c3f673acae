/**
 * Keep text from users (deal titles, account names, comments, reasons, people's names) from
 * mentioning anyone in a chat group. Each platform has its own mention syntax; only that syntax is
 * defused, by turning its first character into the full-width form (`＜`, `＠`), so the text still
 * reads the same and ordinary text (`a < b`, `li@example.com`) is left alone.
 *
 * Our own message templates use none of these forms, so a whole rendered message can be passed.
 * Slack needs nothing here: `markdownToSlack` entity-escapes every `<`, `>` and `&`, so
 * `<!channel>`, `<!here>`, `<!everyone>` and `<@U…>` arrive as plain text.
 */

/** `<`, also spelt as an HTML entity (`&lt;`, `&#60;`, `&#x3c;`), which some renderers decode. */
const LT = '(?:<|&lt;|&#0*60;|&#x0*3c;)';

const FEISHU_AT = new RegExp(`${LT}(\\s*at\\b)`, 'gi');
const WECOM_AT = new RegExp(`${LT}(\\s*@)`, 'gi');
/** An `@` that starts a word (not the one in `li@example.com`). */
const WORD_AT = /(?<![A-Za-z0-9._%+-])@/g;

/** Feishu/Lark cards: `<at id=all></at>`, `<at user_id="ou_…">`, `<at email=…>`. */
export function neutraliseFeishuMentions(s: string): string {
  return s.replace(FEISHU_AT, '＜$1');
}

/** WeCom markdown: `<@userid>` (and `<@all>`). */
export function neutraliseWeComMentions(s: string): string {
  return s.replace(WECOM_AT, (_m, rest: string) => `＜${rest}`);
}

/** DingTalk text and markdown: `@all` and any other `@name` / `@mobile`. */
export function neutraliseDingTalkMentions(s: string): string {
  return s.replace(WORD_AT, '＠');
}
