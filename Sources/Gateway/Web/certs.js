// Certificates in the Records view: the Actions column's certificate buttons, the Upload Cert
// popup, a record's history, issuing and sharing (one record or a batch).
import { api, ApiError, uploadFile, streamNdjson, fieldMessage } from './api.js';
import { el, svg, timeEl, instantEl, formatDate, formatNumber, EN_DASH } from './format.js';

const $ = (id) => document.getElementById(id);
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const MAX_BATCH = 1000;
const UPLOAD_TYPES = { pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg' };
const STATE_TITLES = { current: 'Current', superseded: 'Superseded', replaced: 'Replaced', revoked: 'Revoked' };
const KIND_TITLES = { internal: 'Internal', external: 'External' };
const EMAIL_TITLES = { booker: 'the booker', delegate: 'the delegate', both: 'the booker and the delegate' };
// cert-store's audit actions (certificates.proto), as people say them.
const ACTION_TITLES = { issued: 'Issued', uploaded: 'Uploaded', replaced: 'Replaced', revoked: 'Revoked', shared: 'Shared',
  unshared: 'Unshared', downloaded: 'Downloaded', email_requested: 'E-mail requested' };

// Small line icons (decorative: every button also has a visible label).
const ICONS = {
  download: ['M8 2v8', 'M4.5 6.5L8 10l3.5-3.5', 'M2.5 13.5h11'],
  upload: ['M8 11V3', 'M4.5 6.5L8 3l3.5 3.5', 'M2.5 13.5h11'],
  issue: ['M8 1.8a6.2 6.2 0 1 0 0 12.4a6.2 6.2 0 1 0 0-12.4z', 'M5.2 8.2l1.9 1.9 3.8-3.9'],
  share: ['M9.5 3l4 3.5-4 3.5', 'M13.5 6.5H7.5a4.5 4.5 0 0 0-4.5 4.5v2'],
  unshare: ['M3 3l10 10', 'M9.5 3l4 3.5-1.6 1.4', 'M3 13v-2a4.5 4.5 0 0 1 3-4.2'],
  history: ['M8 1.8a6.2 6.2 0 1 0 0 12.4a6.2 6.2 0 1 0 0-12.4z', 'M8 4.5V8l2.5 1.6'],
  rebook: ['M13 8a5 5 0 1 1-1.5-3.6', 'M13.2 1.8v3h-3'],
  email: ['M2 4h12v8.5H2z', 'M2 4.5l6 4.5 6-4.5'],
};
export function icon(name) {
  return svg('svg', { class: 'icon', viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
    ICONS[name].map((d) => svg('path', { d })));
}

/** A record's name as people say it, for labels: "Zoë Brown, First Aid at Work". */
export const recordName = (record) => `${record.contact_name}, ${record.course_name}`;

/** True when a certificate may be issued for the record: finished, not failed, no current certificate. */
export const canIssue = (record) => record.status === 'pending' && !record.has_certificate;

export const fileUrl = (recordId, version) =>
  `/api/records/${recordId}/certificate/file${version ? `?version=${version}` : ''}`;

export function humanSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

export function errorText(e, what) {
  if (e instanceof ApiError && e.unavailable) return `${what}: the service is not reachable right now. Try again shortly.`;
  return e.message || `${what}.`;
}

export class CertActions {
  /** view: the RecordsView (its records, load() and app). */
  constructor(view) {
    this.view = view;
    this.app = view.app;
  }

  get isAdmin() { return this.app.user && this.app.user.role === 'admin'; }

  /**
   * Reloads the table and stats bar. The rows are rebuilt, so keyboard focus goes back to the
   * same action of the same record (or its row's first action) when `opener` was one of them.
   */
  reload(opener = null) {
    const row = opener && opener.closest && opener.closest('tr[data-record-id]');
    const again = row ? { id: row.dataset.recordId, action: opener.dataset.action } : null;
    this.app.run(async () => {
      await this.view.load();
      if (!again) return;
      const tr = document.querySelector(`#records-table tbody tr[data-record-id="${again.id}"]`);
      const next = { share: 'unshare', unshare: 'share', issue: 'download' }[again.action] || again.action;
      const target = tr && (tr.querySelector(`[data-action="${again.action}"]:not(:disabled), [data-action="${next}"]:not(:disabled)`) ||
        tr.querySelector('.row-actions :is(a, button):not(:disabled)'));
      if (target && (document.activeElement === document.body || !document.activeElement || !document.activeElement.isConnected)) target.focus();
    }, $('records-error'));
  }

  /** A 401 anywhere in here goes back to the log-in, like a view's load. */
  unauthenticated(e, dialog) {
    if (!(e instanceof ApiError && e.code === 'unauthenticated')) return false;
    if (dialog && dialog.open) dialog.close();
    this.app.run(() => Promise.reject(e));
    return true;
  }

  // MARK: the Actions column

  button(action, label, iconName, record, { disabled = false, title = null, pressed = null, extraLabel = null } = {}) { // extraLabel: a longer description, as the tooltip
    return el('button', {
      type: 'button', class: 'btn btn-small btn-action', dataset: { action }, disabled,
      'aria-pressed': pressed === null ? null : String(pressed),
      // The accessible name starts with the visible label (what speech users say); the title says more.
      'aria-label': `${label} – ${recordName(record)}`, title: title || extraLabel,
    }, icon(iconName), el('span', { class: 'btn-label' }, label));
  }

  downloadLink(record, label) {
    return el('a', { class: 'btn btn-small btn-action', href: fileUrl(record.record_id), download: '', dataset: { action: 'download' },
      'aria-label': `${label} – ${recordName(record)}` }, icon('download'), el('span', { class: 'btn-label' }, label));
  }

  /** The row's actions, compact: a row of icon+label buttons. */
  rowActions(record) {
    const box = el('div', { class: 'row-actions', role: 'group', 'aria-label': `Actions for ${recordName(record)}` });
    if (this.isAdmin) {
      box.append(record.has_certificate
        ? this.downloadLink(record, 'Download Cert')
        : this.button('download', 'Download Cert', 'download', record, { disabled: true, title: 'No certificate yet' }));
      box.append(this.button('upload', 'Upload Cert', 'upload', record));
      if (canIssue(record)) box.append(this.button('issue', 'Issue', 'issue', record, { extraLabel: 'Issue a certificate' }));
      if (record.has_certificate) {
        box.append(record.shared
          ? this.button('unshare', 'Unshare', 'unshare', record, { extraLabel: 'Stop sharing the certificate' })
          : this.button('share', 'Share', 'share', record, { extraLabel: 'Share the certificate' }));
      }
      box.append(this.button('email', 'Send Email', 'email', record, record.has_certificate
        ? { extraLabel: 'Send the certificate by e-mail' } : { disabled: true, title: 'No certificate yet' }));
      box.append(this.button('rebook', 'Re-book', 'rebook', record));
      box.append(this.button('history', 'History', 'history', record, { extraLabel: 'Certificate history' }));
    } else {
      if (record.shared && record.has_certificate) box.append(this.downloadLink(record, 'Download'));
      if (record.booking_url) {
        box.append(el('a', { class: 'btn btn-small btn-action', href: record.booking_url, target: '_blank', rel: 'noopener',
          dataset: { action: 'rebook-link' }, 'aria-label': `Re-book ${recordName(record)} (opens the booking page in a new tab)` },
        icon('rebook'), el('span', { class: 'btn-label' }, 'Re-book')));
      }
      if (!box.children.length) box.append(el('span', { class: 'empty', title: 'Nothing to do yet' }, EN_DASH));
    }
    return box;
  }

  /** Handles a click on one of the row's certificate buttons; true when it was one. */
  onAction(action, record, opener) {
    switch (action) {
      case 'upload': this.openUpload(record, opener); return true;
      case 'issue': this.confirmIssue(record, opener); return true;
      case 'share': this.share(record, true, opener); return true;
      case 'unshare': this.share(record, false, opener); return true;
      case 'history': this.openHistory(record, opener); return true;
      case 'email': this.view.email.sendOne(record, opener); return true;
      default: return false;
    }
  }

  // MARK: confirmation dialog

  /**
   * Asks; resolves to true (OK) or false. `work(extra)` runs on OK while the dialog shows
   * "…"; an error it throws is shown in the dialog and the user may retry or cancel.
   */
  confirm({ title, text, ok, extra = null, work = null }) {
    const dialog = $('confirm-dialog');
    const okButton = $('confirm-ok');
    const error = $('confirm-error');
    $('confirm-title').textContent = title;
    $('confirm-text').replaceChildren(...[].concat(text));
    $('confirm-extra').replaceChildren(...(extra ? [extra] : []));
    okButton.textContent = ok;
    okButton.disabled = false;
    error.hidden = true;
    return new Promise((resolve) => {
      const finish = (value) => { if (dialog.open) dialog.close(); resolve(value); };
      $('confirm-cancel').onclick = () => finish(false);
      dialog.oncancel = (e) => { e.preventDefault(); finish(false); };
      $('confirm-form').onsubmit = async (e) => {
        e.preventDefault();
        if (!work) { finish(true); return; }
        okButton.disabled = true;
        okButton.setAttribute('aria-busy', 'true');
        error.hidden = true;
        try {
          await work();
          finish(true);
        } catch (err) {
          if (this.unauthenticated(err, dialog)) { resolve(false); return; }
          error.textContent = errorText(err, 'That did not work');
          error.hidden = false;
          okButton.disabled = false;
        } finally {
          okButton.removeAttribute('aria-busy');
        }
      };
      dialog.showModal();
      okButton.focus();
    });
  }

  // MARK: issue and share (one record)

  async confirmIssue(record, opener) {
    const share = el('input', { type: 'checkbox', id: 'confirm-share' });
    const extra = el('label', { class: 'check-row' }, share, el('span', {}, 'Share it with the booker and org rep'));
    let answer = null;
    const done = await this.confirm({
      title: 'Issue a certificate',
      text: [el('p', {}, 'Generate the certificate of ', el('strong', {}, record.contact_name), ' for ', el('strong', {}, record.course_name),
        record.completion_date ? [', completed ', formatDate(record.completion_date)] : [], '?'),
      el('p', { class: 'hint' }, 'It is made from the course\'s template and expires by the course\'s rule.')],
      ok: 'Issue certificate',
      extra,
      work: async () => {
        answer = await api('POST', `/api/records/${record.record_id}/certificate/issue`, { body: { share: share.checked } });
      },
    });
    opener.focus?.();
    if (!done || !answer) return;
    const number = answer.certificate && answer.certificate.certificate_number;
    this.app.toast(`Certificate ${number || ''} issued for ${record.contact_name}.`.replace('  ', ' '));
    this.reload(opener);
  }

  async share(record, shared, opener) {
    opener.disabled = true;
    try {
      await api('POST', `/api/records/${record.record_id}/certificate/share`, { body: { shared } });
      this.app.toast(shared
        ? `${record.contact_name}'s certificate is shared: the booker and org rep can download it.`
        : `${record.contact_name}'s certificate is no longer shared.`);
      this.reload(opener);
    } catch (e) {
      if (this.unauthenticated(e)) return;
      opener.disabled = false;
      this.app.toast(errorText(e, 'The certificate could not be shared'), 'error');
    }
  }

  // MARK: Upload Cert popup

  async openUpload(record, opener) {
    const dialog = $('upload-dialog');
    const form = $('upload-form');
    const fileInput = $('upload-file');
    const replaceSelect = $('upload-replace');
    const modeNew = $('upload-mode-new');
    const modeReplace = $('upload-mode-replace');
    const emailSet = $('upload-email');
    const submit = $('upload-submit');
    const submitEmail = $('upload-submit-email');
    const progress = $('upload-progress');
    let busy = null; // the upload's AbortController while it runs

    form.reset();
    delete dialog.dataset.emailRequestId;
    this.clearUploadErrors();
    $('upload-title').textContent = `Upload Certificate – ${record.contact_name}`;
    $('upload-who').textContent = `${record.course_name} · ${record.booking_id} · ${record.organisation}` +
      (record.completion_date ? ` · completed ${formatDate(record.completion_date)}` : '');
    $('upload-share').checked = !!record.shared;
    $('upload-email-booker').textContent = record.booker_email ? `(${record.booker}, ${record.booker_email})` : record.booker ? `(${record.booker})` : '';
    $('upload-email-delegate').textContent = record.contact_email ? `(${record.contact_email})` : '';
    emailSet.hidden = true;
    progress.hidden = true;
    submitEmail.textContent = 'Upload Cert & Send Email';
    submit.hidden = false;
    const setBusy = (on) => {
      for (const c of form.elements) if (c.id !== 'upload-cancel') c.disabled = on;
      if (!on) replaceSelect.disabled = !modeReplace.checked;
      if (!on) modeReplace.disabled = !replaceSelect.options.length;
      form.setAttribute('aria-busy', on ? 'true' : 'false');
    };

    // The record's versions, for "replace".
    replaceSelect.replaceChildren();
    modeReplace.disabled = true;
    replaceSelect.disabled = true;
    const loadVersions = async () => {
      try {
        const cert = await api('GET', `/api/records/${record.record_id}/certificate`);
        const versions = (cert.versions || []).filter((v) => v.state !== 'replaced');
        replaceSelect.replaceChildren(...[...versions].reverse().map((v) => el('option', { value: String(v.number) },
          `Version ${v.number} · ${STATE_TITLES[v.state] || v.state} · ${KIND_TITLES[v.kind] || v.kind}` +
          `${v.expiry_date ? ` · expires ${formatDate(v.expiry_date)}` : ' · no expiry'} · ${v.file_name || ''}`)));
        if (cert.current_version) replaceSelect.value = String(cert.current_version);
        modeReplace.disabled = !versions.length;
        if (!versions.length) replaceSelect.append(el('option', { value: '' }, 'No certificate to replace'));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'not_found') {
          replaceSelect.replaceChildren(el('option', { value: '' }, 'No certificate yet'));
        } else if (!this.unauthenticated(e, dialog)) {
          replaceSelect.replaceChildren(el('option', { value: '' }, 'The versions could not be loaded'));
          this.showUploadError('replace', errorText(e, 'The existing certificates could not be loaded'));
        }
      }
    };
    form.onchange = (e) => {
      if (e.target.name === 'mode') {
        replaceSelect.disabled = !modeReplace.checked;
        if (modeReplace.checked) replaceSelect.focus();
      }
      if (e.target === fileInput) this.clearUploadErrors();
    };

    const close = () => {
      if (busy) busy.abort();
      dialog.close();
      opener.focus?.();
    };
    $('upload-cancel').onclick = close;
    dialog.oncancel = (e) => { e.preventDefault(); close(); };

    const send = async (emailTo) => {
      this.clearUploadErrors();
      const file = fileInput.files[0];
      const problem = this.checkFile(file);
      if (problem) { this.showUploadError('file', problem); fileInput.focus(); return; }
      const expiry = $('upload-expiry').value;
      if ($('upload-expiry').validity.badInput) { this.showUploadError('expiry_date', 'Enter a whole date, or leave it empty.'); return; }
      const replaceVersion = modeReplace.checked ? Number(replaceSelect.value) || 0 : 0;
      if (modeReplace.checked && !replaceVersion) { this.showUploadError('replace', 'Choose the certificate to replace.'); return; }
      const query = {
        expiry_date: expiry, replace_version: replaceVersion || undefined, share: $('upload-share').checked ? 'true' : 'false',
        email_to: emailTo || undefined, file_name: file.name,
      };
      busy = new AbortController();
      setBusy(true);
      progress.hidden = false;
      const bar = $('upload-progress-bar');
      const label = $('upload-progress-label');
      bar.value = 0;
      label.textContent = `Uploading ${file.name}… 0%`;
      try {
        const answer = await uploadFile(`/api/records/${record.record_id}/certificate/upload`, {
          query, file, signal: busy.signal,
          onProgress: (sent, total) => {
            const pct = total ? Math.min(100, Math.round((sent / total) * 100)) : 0;
            bar.value = pct;
            label.textContent = pct >= 100 ? `Checking and saving ${file.name}…` : `Uploading ${file.name}… ${pct}%`;
          },
        });
        busy = null;
        dialog.close();
        const version = answer.certificate && answer.certificate.current_version;
        let message = replaceVersion
          ? `Version ${replaceVersion} of ${record.contact_name}'s certificate is replaced${version ? ` (now version ${version})` : ''}.`
          : `Certificate uploaded for ${record.contact_name}${version ? ` (version ${version})` : ''}.`;
        if (emailTo) {
          message += answer.email_request_id
            ? ` The e-mail to ${EMAIL_TITLES[emailTo]} is queued.`
            : ' The e-mail could not be queued.';
        }
        this.app.toast(message, emailTo && !answer.email_request_id ? 'error' : 'success');
        dialog.dataset.emailRequestId = answer.email_request_id || '';
        opener.focus?.();
        this.reload(opener);
      } catch (e) {
        busy = null;
        if (e && e.name === 'AbortError') return;
        if (this.unauthenticated(e, dialog)) return;
        progress.hidden = true;
        setBusy(false);
        if (e instanceof ApiError && e.status === 413) this.showUploadError('file', fieldMessage(e) || 'The file is over 20 MB.');
        else if (e instanceof ApiError && (e.field === 'file' || e.field === 'expiry_date' || e.field === 'replace_version')) {
          this.showUploadError(e.field === 'replace_version' ? 'replace' : e.field, fieldMessage(e));
        } else this.showUploadError(null, errorText(e, 'The certificate could not be uploaded'));
      }
    };

    form.onsubmit = (e) => {
      e.preventDefault();
      if (!emailSet.hidden) send(form.elements.email_to.value);
      else send(null);
    };
    submitEmail.onclick = () => {
      if (emailSet.hidden) {
        // First ask who is to be notified; the second click uploads and sends.
        emailSet.hidden = false;
        submit.hidden = true;
        submitEmail.textContent = 'Upload Cert & Send Email';
        submitEmail.setAttribute('aria-describedby', 'upload-email');
        emailSet.querySelector('input:checked').focus();
        return;
      }
      send(form.elements.email_to.value);
    };

    setBusy(false);
    dialog.dataset.versions = 'loading';
    dialog.showModal();
    fileInput.focus();
    await loadVersions();
    dialog.dataset.versions = 'loaded';
    if (!busy) setBusy(false);
  }

  /** The client-side checks: present, a PDF, PNG or JPEG by its name or type, not over 20 MB. */
  checkFile(file) {
    if (!file) return 'Choose the certificate file (PDF, PNG or JPEG).';
    const ext = (file.name.split('.').pop() || '').toLowerCase();
    if (!UPLOAD_TYPES[ext] && !Object.values(UPLOAD_TYPES).includes(file.type)) {
      return `${file.name} is not a PDF, PNG or JPEG file.`;
    }
    if (file.size === 0) return `${file.name} is empty.`;
    if (file.size > MAX_UPLOAD_BYTES) return `${file.name} is ${humanSize(file.size)}: the largest file accepted is 20 MB.`;
    return null;
  }

  showUploadError(field, message) {
    const box = field === 'file' ? $('upload-file-error') : field === 'expiry_date' ? $('upload-expiry-error')
      : field === 'replace' ? $('upload-replace-error') : $('upload-error');
    const input = field === 'file' ? $('upload-file') : field === 'expiry_date' ? $('upload-expiry') : field === 'replace' ? $('upload-replace') : null;
    box.textContent = message;
    box.hidden = false;
    if (input) input.setAttribute('aria-invalid', 'true');
  }

  clearUploadErrors() {
    for (const id of ['upload-file-error', 'upload-expiry-error', 'upload-replace-error', 'upload-error']) $(id).hidden = true;
    for (const id of ['upload-file', 'upload-expiry', 'upload-replace']) $(id).removeAttribute('aria-invalid');
  }

  // MARK: history

  async openHistory(record, opener) {
    const dialog = $('history-dialog');
    const content = $('history-content');
    const error = $('history-error');
    $('history-title').textContent = `Certificate history – ${record.contact_name}`;
    $('history-who').textContent = `${record.course_name} · ${record.booking_id} · ${record.organisation}`;
    error.hidden = true;
    const close = () => { dialog.close(); opener.focus?.(); if (this.historyChanged) this.reload(opener); };
    this.historyChanged = false;
    $('history-close').onclick = close;
    dialog.oncancel = (e) => { e.preventDefault(); close(); };
    content.replaceChildren(el('p', { class: 'loading-line' }, el('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), ' Loading the history…'));
    content.setAttribute('aria-busy', 'true');
    dialog.showModal();
    $('history-close').focus();
    await this.loadHistory(record);
  }

  async loadHistory(record) {
    const content = $('history-content');
    const error = $('history-error');
    let answer;
    try {
      answer = await api('GET', `/api/records/${record.record_id}/certificate/history`);
    } catch (e) {
      content.setAttribute('aria-busy', 'false');
      if (this.unauthenticated(e, $('history-dialog'))) return;
      if (e instanceof ApiError && e.code === 'not_found') {
        content.replaceChildren(el('p', { class: 'empty-title' }, 'No certificate yet.'),
          el('p', { class: 'muted' }, 'Issue one or upload one from the Actions column; every version will be listed here.'));
        return;
      }
      content.replaceChildren();
      error.textContent = errorText(e, 'The history could not be loaded');
      error.hidden = false;
      return;
    }
    content.setAttribute('aria-busy', 'false');
    error.hidden = true;
    const cert = answer.certificate || {};
    const versions = [...(cert.versions || [])].reverse(); // newest first
    const summary = el('dl', { class: 'cert-summary' },
      el('div', {}, el('dt', {}, 'Certificate number'), el('dd', {}, cert.certificate_number || EN_DASH)),
      el('div', {}, el('dt', {}, 'Current version'), el('dd', {}, cert.current_version ? String(cert.current_version) : 'None (no current certificate)')),
      el('div', {}, el('dt', {}, 'Shared'), el('dd', {}, cert.shared ? 'Yes' : 'No')),
      cert.verification_url ? el('div', {}, el('dt', {}, 'Verification page'),
        el('dd', {}, el('a', { href: cert.verification_url, target: '_blank', rel: 'noopener', id: 'history-verify-link' }, 'Open the verification page'))) : null);

    const table = el('table', { class: 'data-table history-table', id: 'history-versions' },
      el('caption', { class: 'table-caption' }, 'Versions'),
      el('thead', {}, el('tr', {}, ['Version', 'State', 'Kind', 'Expiry', 'Added by', 'When', 'File', ''].map((h, i) =>
        el('th', { scope: 'col' }, h || el('span', { class: 'sr-only' }, i === 7 ? 'Actions' : ''))))),
      el('tbody', {}, versions.map((v) => this.versionRow(record, v))));

    const audit = answer.audit || [];
    const auditList = audit.length
      ? el('ol', { class: 'audit-list', id: 'history-audit' }, audit.map((a) => el('li', {},
        el('span', { class: 'audit-when' }, instantEl(a.at)),
        el('span', { class: 'audit-what' }, el('strong', {}, ACTION_TITLES[a.action] || a.action.replace(/_/g, ' ')),
          a.version ? ` version ${a.version}` : '', a.detail ? [' – ', el('span', { class: 'muted' }, a.detail)] : []),
        el('span', { class: 'audit-who muted' }, a.actor))))
      : el('p', { class: 'muted' }, 'Nothing recorded yet.');

    content.replaceChildren(summary,
      el('div', { class: 'table-wrap history-wrap' }, table),
      el('h3', { class: 'section-title' }, 'Who did what'), auditList);
  }

  versionRow(record, v) {
    const revokeBox = el('td', { class: 'version-actions' });
    const row = el('tr', { dataset: { version: String(v.number), state: v.state } },
      el('th', { scope: 'row' }, String(v.number)),
      el('td', {}, el('span', { class: `badge badge-state-${v.state}` }, STATE_TITLES[v.state] || v.state),
        v.revoked_reason ? el('span', { class: 'muted revoked-reason' }, ` ${v.revoked_reason}`) : null,
        v.replaces ? el('span', { class: 'muted' }, ` (replaces ${v.replaces})`) : null),
      el('td', {}, KIND_TITLES[v.kind] || v.kind),
      el('td', {}, v.expiry_date ? timeEl(v.expiry_date) : el('span', { class: 'muted' }, 'Never')),
      el('td', {}, v.created_by || EN_DASH),
      el('td', {}, v.created_at ? instantEl(v.created_at) : EN_DASH),
      el('td', { class: 'file-cell' }, el('a', { href: fileUrl(record.record_id, v.number), download: '', class: 'link-download',
        'aria-label': `Download version ${v.number} (${v.file_name || v.media_type}, ${humanSize(v.size || 0)})` },
      icon('download'), el('span', {}, v.file_name || 'Download')),
      el('span', { class: 'file-size muted' }, `${(v.media_type || '').replace(/^.*\//, '').toUpperCase()} · ${humanSize(v.size || 0)}`)),
      revokeBox);
    if (v.state !== 'revoked' && v.state !== 'replaced') {
      revokeBox.append(el('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', dataset: { revoke: String(v.number) },
        'aria-label': `Revoke version ${v.number}`, onclick: (e) => this.revoke(record, v, e.currentTarget) }, 'Revoke'));
    }
    return row;
  }

  async revoke(record, version, opener) {
    const reason = el('textarea', { id: 'revoke-reason', rows: '3', required: true, 'aria-describedby': 'revoke-hint' });
    const extra = el('div', { class: 'field' },
      el('label', { for: 'revoke-reason' }, 'Reason (kept in the history)'), reason,
      el('p', { class: 'hint', id: 'revoke-hint' }, version.state === 'current'
        ? 'The verification page will show this certificate as revoked. If there is no other valid version, the record is Pending again.'
        : 'This version will show as revoked on its verification page.'));
    const history = $('history-dialog');
    // One modal at a time: the history closes while the question is asked, and comes back.
    history.close();
    const done = await this.confirm({
      title: `Revoke version ${version.number}`,
      text: el('p', {}, `Revoke version ${version.number} of ${record.contact_name}'s certificate for ${record.course_name}?`),
      ok: 'Revoke',
      extra,
      work: async () => {
        if (!reason.value.trim()) { reason.setAttribute('aria-invalid', 'true'); reason.focus(); throw new ApiError(400, 'invalid_argument', 'Give the reason for revoking.', 'reason'); }
        await api('POST', `/api/records/${record.record_id}/certificate/revoke`, { body: { version: version.number, reason: reason.value.trim() } });
      },
    });
    history.showModal();
    if (done) {
      this.historyChanged = true;
      this.app.toast(`Version ${version.number} of ${record.contact_name}'s certificate is revoked.`);
      await this.loadHistory(record);
    }
    const again = history.querySelector(`[data-revoke="${version.number}"]`);
    (again || $('history-close')).focus();
  }

  // MARK: batch actions (the selection bar)

  /**
   * The selected record ids: the ticked ones, or with "select all that match" every id of the
   * filter, paged through /api/records, at most MAX_BATCH. Answers {ids, total}.
   */
  async selectedIds() {
    const view = this.view;
    if (!view.allMatching) return { ids: [...view.selected], total: view.selected.size };
    const ids = [];
    let cursor = null;
    let total = view.total;
    const query = { ...view.query(), page_size: 200 };
    delete query.cursor;
    for (;;) {
      const page = await api('GET', '/api/records', { query: { ...query, cursor } });
      total = page.total ?? total;
      for (const r of page.records || []) if (ids.length < MAX_BATCH) ids.push(r.record_id);
      cursor = page.next_cursor;
      if (!cursor || ids.length >= MAX_BATCH) break;
    }
    return { ids, total };
  }

  async batchIssue(opener) {
    const dialog = $('batch-dialog');
    let collected;
    try {
      opener.disabled = true;
      collected = await this.selectedIds();
    } catch (e) {
      if (!this.unauthenticated(e)) this.app.toast(errorText(e, 'The selected records could not be listed'), 'error');
      return;
    } finally {
      opener.disabled = false;
    }
    const { ids, total } = collected;
    if (!ids.length) return;
    const capped = total > ids.length;
    const share = el('input', { type: 'checkbox', id: 'confirm-share' });
    const ok = await this.confirm({
      title: 'Issue certificates',
      text: [el('p', {}, `Issue certificates for ${formatNumber(ids.length)} record${ids.length === 1 ? '' : 's'}?`),
        capped ? el('p', { class: 'note' }, `Only the first ${formatNumber(MAX_BATCH)} of the ${formatNumber(total)} matching records are issued in one batch; issue again for the rest.`) : null,
        el('p', { class: 'hint' }, 'Records that are not Pending (booked, failed or already certified) are skipped and listed at the end.')],
      ok: `Issue ${formatNumber(ids.length)}`,
      extra: el('label', { class: 'check-row' }, share, el('span', {}, 'Share them with the bookers and org reps')),
    });
    opener.focus();
    if (!ok) return;

    const bar = $('batch-bar');
    const label = $('batch-label');
    const problems = $('batch-problems');
    const error = $('batch-error');
    const stop = $('batch-stop');
    const closeButton = $('batch-close');
    const note = $('batch-note');
    $('batch-title').textContent = 'Issuing certificates';
    note.hidden = !capped;
    note.textContent = capped ? `The first ${formatNumber(MAX_BATCH)} of ${formatNumber(total)} matching records.` : '';
    bar.max = ids.length;
    bar.value = 0;
    label.textContent = `Issued 0 of ${formatNumber(ids.length)}`;
    problems.replaceChildren();
    error.hidden = true;
    stop.hidden = false;
    closeButton.hidden = true;
    const controller = new AbortController();
    const byId = new Map(this.view.records.map((r) => [r.record_id, r]));
    const refused = [];
    let issued = 0;
    let finished = null;
    const close = () => { dialog.close(); opener.focus(); };
    stop.onclick = () => controller.abort();
    closeButton.onclick = close;
    dialog.oncancel = (e) => { e.preventDefault(); if (closeButton.hidden) controller.abort(); else close(); };
    dialog.showModal();
    dialog.setAttribute('aria-busy', 'true');
    try {
      await streamNdjson('/api/certificates/issue', { record_ids: ids, share: share.checked }, (line) => {
        if (line.finished) { finished = line; return; }
        if (line.issued) issued++;
        else if (line.problem) refused.push(line);
        bar.max = line.total || ids.length;
        bar.value = line.done ?? issued + refused.length;
        label.textContent = `Issued ${formatNumber(issued)} of ${formatNumber(line.total || ids.length)}` +
          (refused.length ? ` · ${formatNumber(refused.length)} refused` : '');
      }, { signal: controller.signal });
      if (finished) {
        issued = finished.issued ?? issued;
        bar.value = bar.max;
        label.textContent = `Issued ${formatNumber(issued)} of ${formatNumber(finished.total || ids.length)}` +
          (finished.refused ? ` · ${formatNumber(finished.refused)} refused` : '') + ' — done.';
      } else {
        error.textContent = `The answer ended before the batch was finished: ${formatNumber(issued)} issued so far. Reload to see where it stands.`;
        error.hidden = false;
      }
    } catch (e) {
      if (e && e.name === 'AbortError') {
        label.textContent = `Stopped: ${formatNumber(issued)} issued before stopping (those stay issued).`;
      } else if (this.unauthenticated(e, dialog)) {
        return;
      } else {
        error.textContent = errorText(e, 'The certificates could not be issued');
        error.hidden = false;
      }
    } finally {
      dialog.setAttribute('aria-busy', 'false');
    }
    if (refused.length) {
      problems.replaceChildren(el('h3', { class: 'section-title' }, `Not issued (${formatNumber(refused.length)})`),
        el('ul', { class: 'problem-list', id: 'batch-problem-list' }, refused.map((p) => {
          const r = byId.get(p.record_id);
          return el('li', {}, el('strong', {}, r ? `${r.contact_name} – ${r.course_name}` : `Record ${p.record_id}`), `: ${p.problem}`);
        })));
    }
    stop.hidden = true;
    closeButton.hidden = false;
    closeButton.focus();
    if (issued) this.app.toast(`${formatNumber(issued)} certificate${issued === 1 ? '' : 's'} issued.`);
    this.view.clearSelection();
    this.reload();
  }

  async batchShare(opener) {
    let collected;
    try {
      opener.disabled = true;
      collected = await this.selectedIds();
    } catch (e) {
      opener.disabled = false;
      if (!this.unauthenticated(e)) this.app.toast(errorText(e, 'The selected records could not be listed'), 'error');
      return;
    }
    opener.disabled = false;
    const { ids, total } = collected;
    if (!ids.length) return;
    const capped = total > ids.length;
    let answer = null;
    const ok = await this.confirm({
      title: 'Share certificates',
      text: [el('p', {}, `Share the certificates of ${formatNumber(ids.length)} record${ids.length === 1 ? '' : 's'} with their bookers and org reps?`),
        capped ? el('p', { class: 'note' }, `Only the first ${formatNumber(MAX_BATCH)} of the ${formatNumber(total)} matching records are shared in one go.`) : null,
        el('p', { class: 'hint' }, 'Records without a certificate are skipped.')],
      ok: 'Share',
      work: async () => { answer = await api('POST', '/api/certificates/share', { body: { record_ids: ids, shared: true } }); },
    });
    opener.focus();
    if (!ok || !answer) return;
    const problems = answer.problems || [];
    this.app.toast(`${formatNumber(answer.updated ?? 0)} certificate${answer.updated === 1 ? '' : 's'} shared` +
      (problems.length ? `; ${formatNumber(problems.length)} skipped (${problems[0].message}${problems.length > 1 ? ', …' : ''}).` : '.'));
    this.view.clearSelection();
    this.reload();
  }
}
