/**
 * The API token of the signed-in user, kept in sessionStorage (one browser tab's session). A sign-in
 * link `/app/#token=…` is read once and removed from the address bar, so the token never stays in a
 * URL, the history or a bookmark.
 */
const KEY = 'ltc.token';
const listeners = new Set<() => void>();

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
  for (const l of listeners) l();
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Takes `#token=…` from the address, stores it and removes it from the address bar and history. */
export function captureTokenFromUrl(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  const rest = window.location.hash.replace(/(^#|&)token=[^&]+/, '$1').replace(/^#&?$/, '');
  window.history.replaceState(
    window.history.state,
    '',
    window.location.pathname + window.location.search + rest,
  );
}
