// The gateway's JSON API: one fetch wrapper, typed errors, the CSRF token kept in memory.

/** An error answered by the API (or a network failure, as code "unavailable"). */
export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
  /** True when the service is down or unreachable: worth retrying by itself. */
  get unavailable() { return this.code === 'unavailable' || this.status === 503 || this.status === 0; }
}

let csrfToken = null;
export function setCsrfToken(token) { csrfToken = token || null; }

const TIMEOUT_MS = 15000;

/** Calls the API; resolves to the JSON answer (null for 204), rejects with ApiError. */
export async function api(method, path, { query, body, signal } = {}) {
  const url = new URL(path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
  }
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  // A hung service must not leave the page waiting forever: time out and treat it as down.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), TIMEOUT_MS);
  const onAbort = () => timeout.abort();
  if (signal) {
    if (signal.aborted) timeout.abort();
    signal.addEventListener('abort', onAbort, { once: true });
  }
  let response;
  try {
    response = await fetch(url, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: timeout.signal,
    });
  } catch (e) {
    if (signal && signal.aborted) throw new DOMException('Aborted', 'AbortError');
    throw new ApiError(0, 'unavailable', 'The portal could not be reached.');
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const code = err.code || codeForStatus(response.status);
    const e = new ApiError(response.status, code, err.message || response.statusText || 'Request failed', err.field ?? null);
    e.retryAfter = response.headers.get('Retry-After');
    throw e;
  }
  return data;
}

function codeForStatus(status) {
  return ({ 400: 'invalid_argument', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found',
    429: 'resource_exhausted', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable' })[status] || 'unknown';
}
