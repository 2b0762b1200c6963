// Certificate ZIPs as export jobs: a large selection (or all that match a filter) is made in
// the background while a dialog shows its progress (files and bytes), with Cancel, and the
// download once it is done.
import { api, ApiError } from './api.js';
import { formatNumber } from './format.js';
import { humanSize, errorText } from './certs.js';

const $ = (id) => document.getElementById(id);
/** Selections up to this many records stream at once; larger ones run as a job. */
export const STREAM_AT_ONCE = 50;
const POLL_MS = 700;
const ENDED = new Set(['done', 'failed', 'cancelled', 'expired']);

export class ZipJobs {
  /** view: the RecordsView (its app, for toasts and the log-in). */
  constructor(view) {
    this.view = view;
    this.job = null;
    this.timer = null;
    $('zip-cancel').addEventListener('click', () => this.cancel());
    $('zip-close').addEventListener('click', () => this.close());
    $('zip-dialog').addEventListener('cancel', (e) => { e.preventDefault(); this.close(); });
  }

  /** Starts a job for `body` (record_ids, or none for all that match `query`) and shows it. */
  async start(body, query, opener) {
    clearTimeout(this.timer);
    this.opener = opener;
    this.job = null;
    this.render({ state: 'queued', files_done: 0, files_total: 0, bytes: 0, skipped: 0 });
    $('zip-error').hidden = true;
    $('zip-dialog').showModal();
    try {
      this.show(await api('POST', '/api/exports/jobs', { query, body }));
    } catch (e) {
      this.fail(e, 'The ZIP could not be started');
    }
  }

  show(job) {
    this.job = job;
    this.render(job);
    clearTimeout(this.timer);
    if (!ENDED.has(job.state)) this.timer = setTimeout(() => this.poll(), POLL_MS);
    else if (job.state === 'done') this.download(job);
  }

  async poll() {
    if (!this.job) return;
    try {
      this.show(await api('GET', `/api/exports/jobs/${this.job.job_id}`));
    } catch (e) {
      // A service away for a moment: keep asking; anything else ends the watch.
      if (e instanceof ApiError && e.unavailable) this.timer = setTimeout(() => this.poll(), POLL_MS * 3);
      else this.fail(e, 'The ZIP’s progress could not be read');
    }
  }

  render(job) {
    const bar = $('zip-bar');
    const total = job.files_total || 0;
    const handled = Math.min(total, (job.files_done || 0) + (job.skipped || 0));
    const percent = job.state === 'done' ? 100 : total ? Math.floor((handled / total) * 100) : 0;
    bar.setAttribute('aria-valuenow', String(percent));
    bar.setAttribute('aria-valuetext', `${percent}%`);
    $('zip-bar-fill').style.width = `${percent}%`;
    const files = `${formatNumber(job.files_done || 0)} file${job.files_done === 1 ? '' : 's'}`;
    const of = total ? ` of ${formatNumber(total)} record${total === 1 ? '' : 's'}` : '';
    const skipped = job.skipped ? ` · ${formatNumber(job.skipped)} left out (not shared with you or no certificate; see manifest.csv)` : '';
    const text = {
      queued: 'Waiting to start…',
      running: `Bundling: ${files}${of} · ${humanSize(job.bytes || 0)}${skipped}`,
      done: `Ready: ${files} · ${humanSize(job.bytes || 0)}${skipped}. The download starts by itself; if not, use the link.`,
      cancelled: 'Cancelled: nothing was kept.',
      failed: 'The ZIP could not be made.',
      expired: 'This ZIP has expired; start it again.',
    }[job.state] || job.state;
    $('zip-status').textContent = text;
    $('zip-dialog').dataset.state = job.state;
    $('zip-dialog').setAttribute('aria-busy', ENDED.has(job.state) ? 'false' : 'true');
    $('zip-cancel').hidden = ENDED.has(job.state);
    const link = $('zip-download');
    link.hidden = job.state !== 'done';
    if (job.download_url) link.href = job.download_url;
    if (job.state === 'failed') this.showError(job.error ? `The ZIP could not be made: ${job.error}` : 'The ZIP could not be made.');
  }

  /** The browser downloads the file once; the link stays for another try. */
  download(job) {
    if (this.downloaded === job.job_id) return;
    this.downloaded = job.job_id;
    $('zip-download').click();
    $('zip-download').focus();
  }

  async cancel() {
    if (!this.job) return;
    clearTimeout(this.timer);
    $('zip-cancel').disabled = true;
    try {
      this.show(await api('POST', `/api/exports/jobs/${this.job.job_id}/cancel`));
      this.view.app.toast('The ZIP was cancelled.');
    } catch (e) {
      // Done just before the cancel: show it as it is.
      if (e instanceof ApiError && e.field === 'job_id' && e.status === 400) this.poll();
      else this.fail(e, 'The ZIP could not be cancelled');
    } finally {
      $('zip-cancel').disabled = false;
    }
  }

  fail(e, what) {
    clearTimeout(this.timer);
    if (e instanceof ApiError && e.code === 'unauthenticated') {
      $('zip-dialog').close();
      this.view.app.run(() => Promise.reject(e));
      return;
    }
    $('zip-cancel').hidden = true;
    this.showError(errorText(e, what));
  }

  showError(message) {
    $('zip-error').textContent = message;
    $('zip-error').hidden = false;
  }

  /** Closing leaves a running job running, still watched: it downloads once done. */
  close() {
    if ($('zip-dialog').open) $('zip-dialog').close();
    if (this.job && !ENDED.has(this.job.state)) this.view.app.toast('The ZIP is still being made: it downloads by itself when it is ready.');
    this.opener?.focus?.();
  }
}
