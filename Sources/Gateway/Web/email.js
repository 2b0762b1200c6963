// E-mail (admin): the Send Email dialog for one record or the selection, following each
// message until it is sent or has failed; and the E-mail view: the outbox, the e-mail
// templates with a live preview, and the expiry reminders.
import { api, ApiError, fieldMessage, showTemplateSaveError } from './api.js';
import { el, instantEl, formatDate, formatNumber, EN_DASH } from './format.js';

const $ = (id) => document.getElementById(id);
const STATE_TITLES = { queued: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed', cancelled: 'Cancelled' };
const STATES = Object.keys(STATE_TITLES);
/** States a message does not leave by itself. */
const FINAL = new Set(['sent', 'failed', 'cancelled']);
const KIND_TITLES = { certificate: 'Certificate', reminder: 'Reminder' };
const TEMPLATE_TITLES = { certificate: 'Certificate e-mail', reminder: 'Expiry reminder' };
const TEMPLATE_HINTS = { certificate: 'Sent with the certificate attached (the PDF issued, or the file uploaded).', reminder: 'One digest per booker, listing the certificates nearing expiry.' };
const POLL_MS = 1000;
const OUTBOX_POLL_MS = 3000;
const PREVIEW_DELAY_MS = 300;
const MAX_IDS = 500; // GET /api/emails?ids=… takes at most this many
const LISTED = 100;
const OUTBOX_PAGE = 25;

/** A fresh key for POST /api/emails: the same key again answers the first request's messages. */
function requestKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function stateBadge(message) {
  return el('span', { class: `badge badge-email-${message.state}` }, STATE_TITLES[message.state] || message.state);
}

/** What is known of a message's last attempt, in words. */
function stateDetail(message) {
  const tries = `${formatNumber(message.attempts)} attempt${message.attempts === 1 ? '' : 's'}`;
  switch (message.state) {
    case 'sent': return message.sent_at ? ['Sent ', instantEl(message.sent_at)] : [];
    case 'failed': return [message.last_error || 'Refused by the mail server', message.attempts ? ` (${tries})` : ''];
    case 'queued':
      if (!message.attempts) return [];
      return [`Retrying after ${tries}`, message.last_error ? `: ${message.last_error}` : '',
        message.next_attempt_at ? ['; next try ', instantEl(message.next_attempt_at)] : []];
    default: return [];
  }
}

function errorText(e, what) {
  if (e instanceof ApiError && e.unavailable) return `${what}: the service is not reachable right now. Try again shortly.`;
  return e.message || `${what}.`;
}

/** The messages with these ids, as the outbox holds them now. */
async function messagesById(ids, signal) {
  const out = [];
  for (let i = 0; i < ids.length; i += MAX_IDS) {
    const page = await api('GET', '/api/emails', { query: { ids: ids.slice(i, i + MAX_IDS).join(','), page_size: MAX_IDS }, signal });
    out.push(...(page.messages || []));
  }
  return out;
}

/** The saved template of this name, filled in for a record (0: a sample). */
async function previewSaved(name, recordId) {
  const templates = (await api('GET', '/api/email-templates')).templates || [];
  const template = templates.find((t) => t.name === name);
  if (!template) throw new ApiError(404, 'not_found', `There is no ${name} e-mail template.`);
  return api('POST', `/api/email-templates/${encodeURIComponent(name)}/preview`,
    { body: { subject: template.subject, body: template.body, record_id: recordId || 0 } });
}

// MARK: Send Email (the Records view)

export class EmailSender {
  /** view: the RecordsView (its records, selection and certificate actions). */
  constructor(view) {
    this.view = view;
    this.app = view.app;
    this.timer = null;
    this.session = 0;
    $('email-form').addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
  }

  /** The row's Send Email. */
  sendOne(record, opener) {
    this.open({ ids: [record.record_id], total: 1, record }, opener);
  }

  /** The selection bar's Send Email: the ticked records, or all that match (at most 1,000). */
  async sendSelected(opener) {
    let collected;
    try {
      opener.disabled = true;
      collected = await this.view.certs.selectedIds();
    } catch (e) {
      if (!this.view.certs.unauthenticated(e)) this.app.toast(errorText(e, 'The selected records could not be listed'), 'error');
      return;
    } finally {
      opener.disabled = false;
    }
    if (collected.ids.length) this.open(collected, opener);
  }

  open({ ids, total, record = null }, opener) {
    const dialog = $('email-dialog');
    const session = ++this.session;
    this.ids = ids;
    this.key = requestKey();
    this.messages = new Map();
    this.names = new Map(this.view.records.map((r) => [r.record_id, `${r.contact_name} – ${r.course_name}`]));
    const n = ids.length;
    $('email-dialog-title').textContent = record ? `Send Email – ${record.contact_name}` : `Send Email – ${formatNumber(n)} record${n === 1 ? '' : 's'}`;
    $('email-who').textContent = record
      ? `${record.course_name} · ${record.booking_id} · the current certificate, attached`
      : 'Each record\'s current certificate, attached, in an e-mail of its own. Records without a certificate or an address are skipped and listed.';
    const note = $('email-note');
    note.hidden = total <= n;
    note.textContent = total > n ? `Only the first ${formatNumber(n)} of the ${formatNumber(total)} matching records are e-mailed in one batch.` : '';
    $('email-to-booker').textContent = record ? (record.booker_email ? `(${record.booker}, ${record.booker_email})` : '(no e-mail address)') : '';
    $('email-to-delegate').textContent = record ? (record.contact_email ? `(${record.contact_email})` : '(no e-mail address)') : '';
    const to = $('email-to');
    to.disabled = false;
    to.hidden = false;
    to.querySelector('input[value="booker"]').checked = true;
    $('email-preview').hidden = false;
    $('email-delivery').hidden = true;
    $('email-delivery-list').replaceChildren();
    $('email-skipped').replaceChildren();
    $('email-send-error').hidden = true;
    const send = $('email-send');
    send.hidden = false;
    send.disabled = false;
    send.textContent = n === 1 ? 'Send' : `Send ${formatNumber(n)}`;
    const cancel = $('email-cancel');
    cancel.textContent = 'Cancel';
    const close = () => {
      this.stopPolling();
      this.session++;
      dialog.close();
      opener.focus?.();
    };
    cancel.onclick = close;
    dialog.oncancel = (e) => { e.preventDefault(); close(); };
    dialog.showModal();
    to.querySelector('input:checked').focus();
    this.showPreview(ids[0], !record, session);
  }

  async showPreview(recordId, batch, session) {
    const box = $('email-preview');
    const hint = $('email-preview-hint');
    box.setAttribute('aria-busy', 'true');
    $('email-preview-subject').textContent = '…';
    $('email-preview-body').textContent = '';
    hint.textContent = 'Filling in the template…';
    try {
      const preview = await previewSaved('certificate', recordId);
      if (session !== this.session) return;
      $('email-preview-subject').textContent = preview.subject;
      $('email-preview-body').textContent = preview.body;
      hint.textContent = batch ? `For ${this.names.get(recordId) || `record ${recordId}`}: each e-mail is filled in for its own record.` : '';
    } catch (e) {
      if (session !== this.session) return;
      if (this.view.certs.unauthenticated(e, $('email-dialog'))) return;
      $('email-preview-subject').textContent = EN_DASH;
      hint.textContent = errorText(e, 'The preview could not be made');
    } finally {
      if (session === this.session) box.setAttribute('aria-busy', 'false');
    }
  }

  async send() {
    const session = this.session;
    const send = $('email-send');
    const error = $('email-send-error');
    const to = $('email-form').elements.to.value;
    send.disabled = true;
    send.setAttribute('aria-busy', 'true');
    const label = send.textContent;
    send.textContent = 'Queuing…';
    error.hidden = true;
    let answer;
    try {
      answer = await api('POST', '/api/emails', { body: { record_ids: this.ids, to, request_key: this.key } });
    } catch (e) {
      if (session !== this.session) return;
      if (this.view.certs.unauthenticated(e, $('email-dialog'))) return;
      error.textContent = errorText(e, 'The e-mails could not be queued');
      error.hidden = false;
      send.disabled = false;
      return;
    } finally {
      send.removeAttribute('aria-busy');
      send.textContent = label;
    }
    if (session !== this.session) return;
    $('email-to').disabled = true;
    $('email-to').hidden = true;
    $('email-preview').hidden = true;
    send.hidden = true;
    $('email-cancel').textContent = 'Close';
    $('email-delivery').hidden = false;
    this.renderSkipped(answer.skipped || []);
    for (const m of answer.messages || []) this.messages.set(m.id, m);
    this.renderDelivery();
    $('email-cancel').focus();
    this.poll(session);
  }

  stopPolling() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reads the messages again until each is final (sent, failed or cancelled). */
  poll(session) {
    this.stopPolling();
    const open = [...this.messages.values()].filter((m) => !FINAL.has(m.state)).map((m) => m.id);
    if (!open.length || session !== this.session) return;
    this.timer = setTimeout(async () => {
      try {
        for (const m of await messagesById(open)) this.messages.set(m.id, m);
        if (session !== this.session) return;
        $('email-send-error').hidden = true;
        this.renderDelivery();
      } catch (e) {
        if (session !== this.session) return;
        if (this.view.certs.unauthenticated(e, $('email-dialog'))) return;
        const error = $('email-send-error');
        error.textContent = e instanceof ApiError && e.unavailable
          ? 'The delivery state cannot be read right now (the service is not reachable); the e-mails stay queued. Retrying…'
          : errorText(e, 'The delivery state could not be read');
        error.hidden = false;
      }
      this.poll(session);
    }, POLL_MS);
  }

  renderDelivery() {
    const messages = [...this.messages.values()].sort((a, b) => a.id - b.id);
    const count = (state) => messages.filter((m) => m.state === state).length;
    const [sent, failed, cancelled] = [count('sent'), count('failed'), count('cancelled')];
    const done = sent + failed + cancelled;
    const bar = $('email-delivery-bar');
    bar.max = Math.max(1, messages.length);
    bar.value = messages.length ? done : 1;
    const label = $('email-delivery-label');
    const parts = [`${formatNumber(sent)} of ${formatNumber(messages.length)} sent`];
    if (failed) parts.push(`${formatNumber(failed)} failed`);
    if (cancelled) parts.push(`${formatNumber(cancelled)} cancelled`);
    if (done < messages.length) parts.push(`${formatNumber(messages.length - done)} on the way`);
    label.textContent = messages.length ? parts.join(' · ') + (done === messages.length ? ' — done.' : '') : 'Nothing was sent.';
    $('email-delivery').dataset.final = String(done === messages.length);
    // The unfinished and failed first when there are too many to list.
    const listed = messages.length > LISTED ? [...messages].sort((a, b) => (a.state === 'sent') - (b.state === 'sent')).slice(0, LISTED) : messages;
    $('email-delivery-list').replaceChildren(...listed.map((m) => el('li', { dataset: { messageId: String(m.id), state: m.state } },
      el('span', { class: 'delivery-who' }, el('strong', {}, m.recipients.join(', ') || EN_DASH),
        m.record_id ? el('span', { class: 'muted' }, ` ${this.names.get(m.record_id) || `record ${m.record_id}`}`) : null),
      stateBadge(m),
      el('span', { class: 'delivery-detail muted' }, stateDetail(m)))),
    ...(messages.length > listed.length ? [el('li', { class: 'muted' }, `and ${formatNumber(messages.length - listed.length)} more, sent`)] : []));
  }

  renderSkipped(skipped) {
    const box = $('email-skipped');
    if (!skipped.length) { box.replaceChildren(); return; }
    box.replaceChildren(el('h3', { class: 'section-title' }, `Not sent (${formatNumber(skipped.length)})`),
      el('ul', { class: 'problem-list', id: 'email-skipped-list' }, skipped.map((s) => el('li', { dataset: { recordId: String(s.record_id) } },
        el('strong', {}, this.names.get(s.record_id) || `Record ${s.record_id}`), `: ${s.reason}`))));
  }
}

// MARK: the E-mail view

export class EmailView {
  constructor(app) {
    this.app = app;
    this.outboxLoads = 0;
    this.refreshTimer = null;
    this.previewTimer = null;
    this.previewSeq = 0;
    this.lastText = $('et-body');
    $('outbox-refresh').addEventListener('click', () => this.reloadOutbox());
    $('outbox-counts').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-state]');
      if (!button) return;
      this.state = button.dataset.state === this.state ? '' : button.dataset.state;
      this.pages = [0];
      this.writeUrl();
      this.reloadOutbox();
    });
    $('outbox-newer').addEventListener('click', () => { if (this.pages.length > 1) { this.pages.pop(); this.reloadOutbox(); } });
    $('outbox-older').addEventListener('click', () => { if (this.next) { this.pages.push(this.next); this.reloadOutbox(); } });
    $('outbox-table').addEventListener('click', (e) => {
      const button = e.target.closest('button[data-email-action]');
      if (button && !button.disabled) this.act(button.dataset.emailAction, Number(button.closest('tr').dataset.messageId), button);
    });
    const form = $('email-template-form');
    form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    form.addEventListener('input', () => this.edited());
    for (const input of form.querySelectorAll('[data-placeholders]')) input.addEventListener('focus', () => { this.lastText = input; });
    $('email-placeholder-chips').addEventListener('click', (e) => {
      const chip = e.target.closest('button[data-placeholder]');
      if (chip) this.insert(chip.dataset.placeholder);
    });
    $('et-revert').addEventListener('click', () => { if (this.current) this.fill(this.current); });
    $('et-preview-record').addEventListener('input', () => this.schedulePreview());
    $('email-template-list').addEventListener('click', (e) => {
      const link = e.target.closest('a[data-email-template]');
      if (!link) return;
      e.preventDefault();
      this.select(link.dataset.emailTemplate);
    });
    $('reminders-run').addEventListener('click', () => this.runReminders());
    this.reset();
  }

  reset() {
    this.state = '';
    this.pages = [0];
    this.next = null;
    this.messages = [];
    this.counts = {};
    this.shown = '';
    this.templates = null;
    this.current = null;
    this.dirty = false;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.previewTimer);
    $('reminders-report').textContent = '';
  }

  get visible() { return !$('email-view').hidden; }

  show(params) {
    const state = params.get('state') || '';
    if ((STATES.includes(state) ? state : '') !== this.state) { this.state = STATES.includes(state) ? state : ''; this.pages = [0]; }
    this.wanted = params.get('template') || '';
    this.app.run(() => Promise.all([this.loadOutbox(), this.loadTemplates()]), $('email-view-error'));
  }

  writeUrl() {
    const params = new URLSearchParams();
    if (this.state) params.set('state', this.state);
    if (this.current) params.set('template', this.current.name);
    this.app.navigate('email', params);
  }

  // MARK: outbox

  reloadOutbox() { this.app.run(() => this.loadOutbox(), $('email-view-error')); }

  async loadOutbox() {
    clearTimeout(this.refreshTimer);
    const table = $('outbox-table');
    table.setAttribute('aria-busy', 'true');
    const before = this.pages[this.pages.length - 1];
    const page = await api('GET', '/api/emails', { query: { state: this.state, before_id: before || '', page_size: OUTBOX_PAGE } });
    this.next = page.next_before_id || null;
    this.messages = page.messages || [];
    this.counts = page.counts || {};
    // A refresh that changes nothing leaves the rows (and the keyboard focus in them) alone.
    const shown = JSON.stringify([this.state, before, this.messages, this.counts]);
    if (shown !== this.shown) {
      this.shown = shown;
      this.renderCounts();
      this.renderOutbox();
      this.renderPager();
    }
    table.setAttribute('aria-busy', 'false');
    table.dataset.loads = String(++this.outboxLoads);
    // While something is on its way, the list follows it.
    if ((this.counts.queued || 0) + (this.counts.sending || 0) > 0) {
      this.refreshTimer = setTimeout(() => { if (this.visible) this.reloadOutbox(); }, OUTBOX_POLL_MS);
    }
  }

  renderCounts() {
    const total = STATES.reduce((sum, s) => sum + (this.counts[s] || 0), 0);
    const button = (state, title, n) => el('button', {
      type: 'button', class: `count-button count-${state || 'all'}`, dataset: { state, count: String(n) },
      'aria-pressed': String(this.state === state),
    }, el('span', { class: 'count-title' }, title), ' ', el('span', { class: 'count-n' }, formatNumber(n)));
    $('outbox-counts').replaceChildren(button('', 'All', total), ...STATES.map((s) => button(s, STATE_TITLES[s], this.counts[s] || 0)));
  }

  renderOutbox() {
    const body = $('outbox-table').tBodies[0];
    $('outbox-caption').textContent = this.state ? `E-mails ${STATE_TITLES[this.state].toLowerCase()}, newest first` : 'E-mails, newest first';
    if (!this.messages.length) {
      body.replaceChildren(el('tr', { class: 'empty-row' }, el('td', { colspan: '8' },
        el('p', { class: 'empty-title' }, this.state ? `No e-mails ${STATE_TITLES[this.state].toLowerCase()}.` : 'No e-mails yet.'))));
      return;
    }
    body.replaceChildren(...this.messages.map((m) => {
      const actions = el('td', { class: 'outbox-actions' });
      if (m.state === 'queued' || m.state === 'failed') {
        const what = `e-mail ${m.id} to ${m.recipients.join(', ')}`;
        actions.append(
          el('button', { type: 'button', class: 'btn btn-small btn-secondary', dataset: { emailAction: 'retry' }, 'aria-label': `Retry ${what}` }, 'Retry'),
          el('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', dataset: { emailAction: 'cancel' }, 'aria-label': `Cancel ${what}` }, 'Cancel'));
      }
      return el('tr', { dataset: { messageId: String(m.id), state: m.state } },
        el('td', {}, m.created_at ? instantEl(m.created_at) : EN_DASH),
        el('td', {}, KIND_TITLES[m.kind] || m.kind, m.record_id ? el('span', { class: 'muted' }, ` · record ${m.record_id}`) : null),
        el('th', { scope: 'row', class: 'outbox-to' }, m.recipients.join(', ') || EN_DASH),
        el('td', { class: 'outbox-subject' }, m.subject),
        el('td', { class: 'outbox-state' }, stateBadge(m), el('span', { class: 'delivery-detail muted' }, stateDetail(m))),
        el('td', { class: 'num' }, formatNumber(m.attempts)),
        el('td', {}, m.requested_by || EN_DASH),
        actions);
    }));
  }

  renderPager() {
    $('outbox-newer').disabled = this.pages.length <= 1;
    $('outbox-older').disabled = !this.next;
    $('outbox-page-label').textContent = `Page ${this.pages.length}`;
  }

  async act(action, id, button) {
    button.disabled = true;
    try {
      const message = await api('POST', `/api/emails/${id}/${action}`);
      this.app.toast(action === 'retry' ? `E-mail ${id} is being tried again.` : `E-mail ${id} is cancelled: it will not be sent.`);
      const i = this.messages.findIndex((m) => m.id === id);
      if (i >= 0) this.messages[i] = message;
      await this.loadOutbox();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthenticated') { this.app.run(() => Promise.reject(e)); return; }
      this.app.toast(errorText(e, action === 'retry' ? 'The e-mail could not be retried' : 'The e-mail could not be cancelled'), 'error');
      button.disabled = false;
    }
    const row = $('outbox-table').querySelector(`tr[data-message-id="${id}"]`);
    const again = row && (row.querySelector(`[data-email-action="${action}"]`) || row.querySelector('button'));
    (again || $('outbox-refresh')).focus();
  }

  // MARK: templates

  async loadTemplates() {
    const list = $('email-template-list');
    list.parentElement.setAttribute('aria-busy', 'true');
    if (!this.templates) {
      list.replaceChildren(el('li', { class: 'loading-line' }, el('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), ' Loading templates…'));
    }
    this.templates = (await api('GET', '/api/email-templates')).templates || [];
    list.parentElement.setAttribute('aria-busy', 'false');
    const name = this.templates.some((t) => t.name === this.wanted) ? this.wanted
      : this.current ? this.current.name : this.templates[0] && this.templates[0].name;
    if (name && (!this.current || this.current.name !== name || !this.dirty)) this.select(name);
    else this.renderTemplateList();
    if (!name) $('email-template-form').hidden = true;
  }

  renderTemplateList() {
    const list = $('email-template-list');
    if (!this.templates.length) { list.replaceChildren(el('li', { class: 'muted pad' }, 'No e-mail templates.')); return; }
    list.replaceChildren(...this.templates.map((t) => el('li', {},
      el('a', { href: `#/email?template=${encodeURIComponent(t.name)}`, dataset: { emailTemplate: t.name },
        'aria-current': this.current && this.current.name === t.name ? 'true' : null },
      el('span', { class: 'template-name' }, TEMPLATE_TITLES[t.name] || t.name),
      el('span', { class: 'template-meta muted' }, t.revision ? `revision ${t.revision}` : 'as shipped')))));
  }

  select(name) {
    const t = this.templates.find((x) => x.name === name);
    if (!t) return;
    if (this.dirty && this.current && this.current.name !== name &&
        !window.confirm(`Discard the unsaved changes to the ${TEMPLATE_TITLES[this.current.name] || this.current.name}?`)) return;
    this.fill(t);
    this.writeUrl();
  }

  fill(t) {
    this.current = t;
    $('email-template-form').hidden = false;
    $('email-template-heading').textContent = TEMPLATE_TITLES[t.name] || t.name;
    $('email-template-revision').replaceChildren(`Revision ${t.revision}`, ...(t.updated_at ? [' · saved ', instantEl(t.updated_at)] : []),
      t.updated_by ? ` by ${t.updated_by}` : '', TEMPLATE_HINTS[t.name] ? ` · ${TEMPLATE_HINTS[t.name]}` : '');
    $('et-subject').value = t.subject;
    $('et-body').value = t.body;
    $('email-placeholder-chips').replaceChildren(...(t.placeholders || []).map((p) => {
      const text = p.startsWith('{') ? p : `{${p}}`;
      return el('button', { type: 'button', class: 'chip', dataset: { placeholder: text }, 'aria-label': `Insert ${text}` }, text);
    }));
    $('et-preview-card').hidden = false;
    $('et-preview-record-field').hidden = t.name !== 'certificate'; // a reminder previews a sample digest
    this.clearErrors();
    this.dirty = false;
    $('et-save').disabled = true;
    $('et-revert').disabled = true;
    this.renderTemplateList();
    this.schedulePreview(0);
  }

  edited() {
    if (!this.current) return;
    this.dirty = true;
    $('et-save').disabled = false;
    $('et-revert').disabled = false;
    this.clearErrors();
    this.schedulePreview();
  }

  insert(placeholder) {
    const input = this.lastText || $('et-body');
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(placeholder, start, end, 'end');
    input.focus();
    this.edited();
  }

  value() {
    return { subject: $('et-subject').value, body: $('et-body').value, revision: this.current.revision };
  }

  fieldError(field, message) {
    const box = field === 'subject' || field === 'body' ? $(`et-${field}-error`) : $('email-template-error');
    box.textContent = message;
    box.hidden = false;
    if (field === 'subject' || field === 'body') $(`et-${field}`).setAttribute('aria-invalid', 'true');
  }

  clearErrors() {
    for (const id of ['et-subject-error', 'et-body-error', 'email-template-error']) $(id).hidden = true;
    for (const id of ['et-subject', 'et-body']) $(id).removeAttribute('aria-invalid');
  }

  schedulePreview(delay = PREVIEW_DELAY_MS) {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), delay);
  }

  /** The form's text filled in (unsaved changes included), for the record given or a sample. */
  async preview() {
    if (!this.current) return;
    const seq = ++this.previewSeq;
    const error = $('et-preview-error');
    const recordText = this.current.name === 'certificate' ? $('et-preview-record').value.trim() : '';
    const input = $('et-preview-record');
    if (recordText && !/^[1-9]\d{0,15}$/.test(recordText)) {
      error.textContent = 'A record id is a positive whole number.';
      error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    input.removeAttribute('aria-invalid');
    const box = $('et-preview');
    box.setAttribute('aria-busy', 'true');
    try {
      const preview = await api('POST', `/api/email-templates/${encodeURIComponent(this.current.name)}/preview`,
        { body: { ...this.value(), record_id: recordText ? Number(recordText) : 0 } });
      if (seq !== this.previewSeq) return;
      error.hidden = true;
      $('et-preview-subject').textContent = preview.subject;
      $('et-preview-body').textContent = preview.body;
      box.dataset.previews = String(seq);
    } catch (e) {
      if (seq !== this.previewSeq) return;
      if (e instanceof ApiError && e.code === 'unauthenticated') { this.app.run(() => Promise.reject(e)); return; }
      if (e instanceof ApiError && (e.field === 'subject' || e.field === 'body')) {
        this.fieldError(e.field, fieldMessage(e));
        error.hidden = true;
      } else {
        error.textContent = errorText(e, 'The preview could not be made');
        error.hidden = false;
        if (e instanceof ApiError && e.field === 'record_id') input.setAttribute('aria-invalid', 'true');
      }
    } finally {
      if (seq === this.previewSeq) box.setAttribute('aria-busy', 'false');
    }
  }

  async save() {
    if (!this.current) return;
    this.clearErrors();
    const t = this.value();
    if (!t.subject.trim()) { this.fieldError('subject', 'Give the e-mail a subject.'); $('et-subject').focus(); return; }
    const button = $('et-save');
    button.disabled = true;
    button.textContent = 'Saving…';
    try {
      const saved = await api('PUT', `/api/email-templates/${encodeURIComponent(this.current.name)}`, { body: t });
      const i = this.templates.findIndex((x) => x.name === saved.name);
      if (i >= 0) this.templates[i] = saved;
      this.fill(saved);
      this.app.toast(`The ${(TEMPLATE_TITLES[saved.name] || saved.name).toLowerCase()} template is saved (revision ${saved.revision}).`);
    } catch (e) {
      showTemplateSaveError(e, { app: this.app, button, fields: { subject: 'et-subject', body: 'et-body' },
        fieldError: (field, message) => this.fieldError(field, message) });
    } finally {
      button.textContent = 'Save';
    }
  }

  // MARK: reminders

  async runReminders() {
    const button = $('reminders-run');
    const report = $('reminders-report');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Sending reminders…';
    report.textContent = '';
    try {
      const r = await api('POST', '/api/reminders/run', { body: {} });
      const plural = (n, word) => `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;
      report.textContent = `Reminders for ${formatDate(r.today)}: ${plural(r.digests, 'digest')} queued, naming ${plural(r.certificates, 'certificate')}` +
        (r.already_sent ? `; ${plural(r.already_sent, 'certificate')} reminded before` : '') +
        (r.no_address ? `; ${plural(r.no_address, 'certificate')} whose booker has no e-mail address` : '') + '.';
      report.dataset.digests = String(r.digests);
      this.reloadOutbox();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthenticated') { this.app.run(() => Promise.reject(e)); return; }
      report.textContent = errorText(e, 'The reminders could not be run');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = 'Send reminders now';
    }
  }
}
