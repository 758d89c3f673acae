import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A new API token (shown once) and the hash we store. */
export function newToken(): { token: string; hash: string; id: string } {
  const token = `ltc_${randomBytes(24).toString('base64url')}`;
  return { token, hash: hashToken(token), id: `tok_${randomUUID().replace(/-/g, '').slice(0, 20)}` };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
