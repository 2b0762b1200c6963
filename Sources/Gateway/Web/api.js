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

/** An error's message for showing next to its field: without a leading "field: " the field already names. */
export function fieldMessage(e) {
  const message = (e && e.message) || '';
  return e && e.field && message.startsWith(`${e.field}: `) ? message.slice(e.field.length + 2) : message;
}

/** The session's CSRF header, for requests made without api() (uploads, streamed answers). */
export function csrfHeaders() { return csrfToken ? { 'X-CSRF-Token': csrfToken } : {}; }

/** An ApiError from a non-2xx answer's body text (the API's {"error": …} or nothing useful). */
function errorFrom(status, text, retryAfter = null) {
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  const err = (data && data.error) || {};
  const e = new ApiError(status, err.code || codeForStatus(status),
    err.message || (status === 413 ? 'The file is too large.' : `Request failed (HTTP ${status})`), err.field ?? null);
  e.retryAfter = retryAfter;
  return e;
}

/**
 * Sends a file's raw bytes as the body (XMLHttpRequest, for its upload progress).
 * onProgress(sent, total) as bytes go out; resolves to the JSON answer, rejects with ApiError.
 */
export function uploadFile(path, { query, file, onProgress, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (onProgress) onProgress(e.loaded, e.lengthComputable ? e.total : file.size); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null); } catch { reject(new ApiError(xhr.status, 'unknown', 'The answer could not be read.')); }
      } else {
        reject(errorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'unavailable', 'The portal could not be reached.'));
    xhr.onabort = () => reject(new DOMException('Aborted', 'AbortError'));
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/**
 * POSTs JSON and reads a streamed NDJSON answer, calling onLine(object) for each line as it
 * arrives. Resolves when the stream ends; rejects with ApiError for an error answer.
 */
export async function streamNdjson(path, body, onLine, { signal } = {}) {
  let response;
  try {
    response = await fetch(new URL(path, location.origin), {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', signal,
      headers: { Accept: 'application/x-ndjson, application/json', 'Content-Type': 'application/json', ...csrfHeaders() },
      body: JSON.stringify(body),
    });
  } catch (e) {
    if (signal && signal.aborted) throw new DOMException('Aborted', 'AbortError');
    throw new ApiError(0, 'unavailable', 'The portal could not be reached.');
  }
  if (!response.ok) throw errorFrom(response.status, await response.text(), response.headers.get('Retry-After'));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const emit = (line) => { if (line.trim()) onLine(JSON.parse(line)); };
  for (;;) {
    let chunk;
    try { chunk = await reader.read(); } catch (e) {
      if (signal && signal.aborted) throw new DOMException('Aborted', 'AbortError');
      throw new ApiError(0, 'unavailable', 'The connection was lost before the answer was complete.');
    }
    if (chunk.done) break;
    buffered += decoder.decode(chunk.value, { stream: true });
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) { emit(buffered.slice(0, nl)); buffered = buffered.slice(nl + 1); }
  }
  emit(buffered + decoder.decode());
}

/** POSTs JSON and answers the binary body as a Blob (e.g. a PDF preview). */
export async function fetchBlob(path, body, { signal } = {}) {
  let response;
  try {
    response = await fetch(new URL(path, location.origin), {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', signal,
      headers: { Accept: 'application/pdf, application/json', 'Content-Type': 'application/json', ...csrfHeaders() },
      body: JSON.stringify(body),
    });
  } catch (e) {
    if (signal && signal.aborted) throw new DOMException('Aborted', 'AbortError');
    throw new ApiError(0, 'unavailable', 'The portal could not be reached.');
  }
  if (!response.ok) throw errorFrom(response.status, await response.text(), response.headers.get('Retry-After'));
  return response.blob();
}

/** A template's save that failed, shown where it belongs: at the field the server named
 *  (`fields` maps it to its input's id, which gets the focus), or as the form's error; a
 *  session that ended goes back to the log-in. */
export function showTemplateSaveError(e, { app, button, fields, fieldError }) {
  if (e instanceof ApiError && e.code === 'unauthenticated') { app.run(() => Promise.reject(e)); return; }
  button.disabled = false;
  if (e instanceof ApiError && e.field && fields[e.field]) {
    fieldError(e.field, fieldMessage(e));
    document.getElementById(fields[e.field]).focus();
  } else {
    fieldError(null, e instanceof ApiError && e.unavailable
      ? 'The template could not be saved: the service is not reachable right now. Your changes are still here; try again shortly.'
      : e.message);
  }
}
