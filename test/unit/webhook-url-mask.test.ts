import { maskWebhookUrl } from '../../notifications/webhook-url-mask';

describe('maskWebhookUrl', () => {
  test.each([
    [
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7f3e-4bc4-97a0-0ec2a1fa5aaa',
      'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****5aaa',
    ],
    [
      'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef&lang=zh',
      'https://oapi.dingtalk.com/robot/send?access_token=****cdef&lang=zh',
    ],
    [
      'https://open.feishu.cn/open-apis/bot/v2/hook/2d4f7c1e-0b8c-4f5b-9e0a-123456789abc',
      'https://open.feishu.cn/open-apis/bot/v2/hook/****9abc',
    ],
    [
      'https://open.larksuite.com/open-apis/bot/v2/hook/short',
      'https://open.larksuite.com/open-apis/bot/v2/hook/****',
    ],
    [
      'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx',
      'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/****uvwx',
    ],
    ['https://ops:hunter2@hooks.example.com/ltc', 'https://ops:****@hooks.example.com/ltc'],
    ['https://hooks.example.com/ltc?team=sales', 'https://hooks.example.com/ltc?team=sales'],
    ['http://127.0.0.1:4000/hook', 'http://127.0.0.1:4000/hook'],
  ])('%s', (url, masked) => {
    expect(maskWebhookUrl(url)).toBe(masked);
  });

  test('a random-looking path segment of any other service is masked too', () => {
    const masked = maskWebhookUrl('https://discord.com/api/webhooks/1234/aB3dEfGhIjKlMnOpQrStUvWxYz0123');
    expect(masked).toBe('https://discord.com/api/webhooks/1234/****0123');
  });
});
