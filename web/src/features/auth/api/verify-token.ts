import { api, unwrap } from '@/lib/api/client';

/** The user a token belongs to (401 when the API does not accept it). */
export function verifyToken(token: string) {
  return unwrap(api.GET('/users/me', { headers: { Authorization: `Bearer ${token}` } }));
}
