// The Records view: stats bar, filters, the results table, selection and row actions.
import { api, ApiError } from './api.js';
import { el, timeEl, formatDate, formatNumber, inReadingOrder, EN_DASH } from './format.js';
import { CertActions } from './certs.js';
import { ZipJobs, STREAM_AT_ONCE } from './exports.js';
import { EmailSender } from './email.js';

const $ = (id) => document.getElementById(id);
const PAGE_SIZES = ['25', '50', '100', '200'];
const FILTER_KEYS = ['date_field', 'from', 'to', 'course', 'organisation', 'booker', 'status', 'q', 'sort', 'page_size'];
// The selection bar's actions: [key, label, admin only, ready].
const BATCH_ACTIONS = [['zip', 'Download ZIP', false], ['email', 'Send Email', true], ['issue', 'Issue', true], ['share', 'Share', true]];
const SEARCH_DELAY_MS = 350;

export class RecordsView {
  constructor(app) {
    this.app = app;
    this.table = $('records-table');
    this.controller = null;
    this.loadSeq = 0;
    this.certs = new CertActions(this);
    this.zipJobs = new ZipJobs(this);
    this.email = new EmailSender(this);
    this.bindControls();
    this.reset();
  }

  /** Forgets everything from a previous log-in. */
  reset() {
    this.filters = null;
    this.facetsLoaded = false;
    this.headerBuilt = false;
    this.cursors = [null];
    this.records = [];
    this.total = 0;
    this.nextCursor = null;
    this.selected = new Set();
    this.allMatching = false;
  }

  get config() { return this.app.config; }

  defaults() {
    return {
      date_field: 'completion', from: this.config.year_from, to: this.config.year_to,
      course: '', organisation: '', booker: '', status: '', q: '', sort: '', page_size: '50',
    };
  }

  /** Called by the router with the hash's parameters. */
  show(params) {
    const wanted = this.defaults();
    for (const key of FILTER_KEYS) if (params.has(key)) wanted[key] = params.get(key);
    if (!PAGE_SIZES.includes(wanted.page_size)) wanted.page_size = '50';
    const changed = !this.filters || FILTER_KEYS.some((k) => this.filters[k] !== wanted[k]);
    if (changed) { this.filters = wanted; this.cursors = [null]; this.clearSelection(false); }
    this.writeControls();
    this.writeUrl();
    this.app.run(() => this.load(), $('records-error'));
  }

  // MARK: controls

  bindControls() {
    const form = $('filters');
    form.addEventListener('submit', (e) => e.preventDefault());
    for (const id of ['f-date-field', 'f-from', 'f-to', 'f-course', 'f-organisation', 'f-booker', 'f-status', 'f-page-size']) {
      $(id).addEventListener('change', () => this.filtersChanged());
    }
    let timer = null;
    $('f-q').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.filtersChanged(), SEARCH_DELAY_MS);
    });
    $('f-q').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); this.filtersChanged(); }
    });
    $('f-reset').addEventListener('click', () => {
      clearTimeout(timer);
      this.filters = this.defaults();
      this.writeControls();
      this.refilter();
    });
    $('next-page').addEventListener('click', () => {
      if (!this.nextCursor) return;
      this.cursors.push(this.nextCursor);
      this.app.run(() => this.load({ focusTable: true }), $('records-error'));
    });
    $('prev-page').addEventListener('click', () => {
      if (this.cursors.length <= 1) return;
      this.cursors.pop();
      this.app.run(() => this.load({ focusTable: true }), $('records-error'));
    });
    $('select-all-matching').addEventListener('click', () => {
      this.allMatching = true;
      this.renderSelection();
    });
    $('clear-selection').addEventListener('click', () => this.clearSelection(true));
    const batch = $('batch-actions');
    for (const [key, label, adminOnly] of BATCH_ACTIONS) {
      batch.append(el('button', {
        type: 'button', class: 'btn btn-secondary btn-small', id: `batch-${key}`, dataset: { adminOnly: adminOnly ? 'true' : null },
      }, label));
    }
    $('batch-issue').addEventListener('click', (e) => this.certs.batchIssue(e.currentTarget));
    $('batch-zip').addEventListener('click', (e) => this.downloadZIP(e.currentTarget));
    $('batch-share').addEventListener('click', (e) => this.certs.batchShare(e.currentTarget));
    $('batch-email').addEventListener('click', (e) => this.email.sendSelected(e.currentTarget));
    this.table.addEventListener('change', (e) => this.onCheckbox(e));
    this.table.addEventListener('click', (e) => this.onTableClick(e));
  }

  /** Reads the filter controls into this.filters and reloads from the first page. */
  filtersChanged() {
    const from = $('f-from').value;
    const to = $('f-to').value;
    if (from && to && from > to) {
      $('f-to').setCustomValidity('The end date is before the start date.');
      $('f-to').setAttribute('aria-invalid', 'true');
      $('records-error').textContent = 'The “To” date is before the “From” date.';
      $('records-error').hidden = false;
      return;
    }
    $('f-to').setCustomValidity('');
    $('f-to').removeAttribute('aria-invalid');
    $('records-error').hidden = true;
    Object.assign(this.filters, {
      date_field: $('f-date-field').value, from, to,
      course: $('f-course').value, organisation: $('f-organisation').value, booker: $('f-booker').value,
      status: $('f-status').value, q: $('f-q').value.trim(), page_size: $('f-page-size').value,
    });
    this.refilter();
  }

  refilter() {
    this.cursors = [null];
    this.clearSelection(false);
    this.writeUrl();
    this.app.run(() => this.load(), $('records-error'));
  }

  writeControls() {
    const f = this.filters;
    $('f-date-field').value = f.date_field;
    $('f-from').value = f.from;
    $('f-to').value = f.to;
    $('f-q').value = f.q;
    $('f-page-size').value = f.page_size;
    this.fillStatusSelect();
    for (const [id, key] of [['f-course', 'course'], ['f-organisation', 'organisation'], ['f-booker', 'booker']]) {
      const select = $(id);
      if (f[key] && ![...select.options].some((o) => o.value === f[key])) {
        select.append(el('option', { value: f[key] }, f[key])); // until the facets arrive
      }
      select.value = f[key];
    }
    $('f-status').value = f.status;
  }

  writeUrl() {
    const defaults = this.defaults();
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const v = this.filters[key];
      if (['from', 'to', 'date_field'].includes(key) || v !== defaults[key]) {
        if (v !== '' || defaults[key] !== '') params.set(key, v);
      }
    }
    this.app.navigate('records', params);
  }

  fillStatusSelect() {
    const select = $('f-status');
    if (select.options.length > 1) return;
    for (const s of inReadingOrder(this.config.statuses)) select.append(el('option', { value: s.key }, s.title));
  }

  async loadFacets(signal) {
    if (this.facetsLoaded) return;
    const facets = await api('GET', '/api/facets', { signal });
    const fill = (id, items, allLabel) => {
      const select = $(id);
      const current = this.filters[select.name];
      select.replaceChildren(el('option', { value: '' }, allLabel), ...items.map((it) => el('option', { value: it.id }, it.name)));
      if (current && !items.some((it) => it.id === current)) select.append(el('option', { value: current }, current));
      select.value = current;
    };
    fill('f-course', facets.courses || [], 'All courses');
    fill('f-organisation', facets.organisations || [], 'All organisations');
    fill('f-booker', facets.bookers || [], 'All bookers');
    this.facetsLoaded = true;
  }

  // MARK: exports

  /** The filter as export query arguments (no sort order, page or cursor). */
  filterQuery() {
    const f = this.filters;
    const params = new URLSearchParams();
    for (const key of ['date_field', 'from', 'to', 'course', 'organisation', 'booker', 'status', 'q']) {
      if (f[key]) params.set(key, f[key]);
    }
    return params;
  }

  /** The report link follows the filter and the sort, so the CSV is the table on screen. */
  updateExportLinks() {
    const params = this.filterQuery();
    if (this.filters.sort) params.set('sort', this.filters.sort);
    const text = params.toString();
    $('download-csv').href = '/api/exports/records.csv' + (text ? '?' + text : '');
  }

  /** The selected certificates (or all that match) as one ZIP: a few at once, downloaded by
   * the browser as they stream; more as a job with a progress bar (exports.js). */
  downloadZIP(opener) {
    if (this.allMatching || this.selected.size > STREAM_AT_ONCE) {
      const query = this.allMatching ? Object.fromEntries(this.filterQuery()) : undefined;
      this.zipJobs.start(this.allMatching ? {} : { record_ids: [...this.selected] }, query, opener);
      return;
    }
    const params = new URLSearchParams({ ids: [...this.selected].join(',') });
    const link = el('a', { href: '/api/exports/certificates.zip?' + params.toString(), download: '' });
    document.body.append(link);
    link.click();
    link.remove();
    this.app.toast('Your ZIP is being prepared: the download starts in a moment. Certificates that are not shared with you are left out and listed in its manifest.');
  }

  // MARK: loading

  query() {
    const f = this.filters;
    const q = { date_field: f.date_field, from: f.from, to: f.to, course: f.course, organisation: f.organisation,
      booker: f.booker, status: f.status, q: f.q, sort: f.sort, page_size: f.page_size };
    const cursor = this.cursors[this.cursors.length - 1];
    if (cursor) q.cursor = cursor;
    return q;
  }

  async load({ focusTable = false } = {}) {
    this.updateExportLinks();
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const seq = ++this.loadSeq;
    this.buildHeader();
    this.setBusy(true);
    try {
      await this.loadFacets(controller.signal);
      const answer = await api('GET', '/api/records', { query: this.query(), signal: controller.signal });
      if (seq !== this.loadSeq) return;
      this.records = answer.records || [];
      this.total = answer.total ?? this.records.length;
      this.nextCursor = answer.next_cursor || null;
      this.renderStats(answer.summary || {});
      this.renderRows();
      this.renderHeaderState();
      this.renderPager();
      this.renderSelection();
      this.setBusy(false);
      this.table.dataset.loads = String(seq);
      if (focusTable) $('records-wrap').focus({ preventScroll: false });
    } catch (e) {
      if (seq === this.loadSeq) {
        if (!(e instanceof ApiError && e.unavailable) && e.name !== 'AbortError') this.setBusy(false);
        // A cursor that could not be followed is dropped, so a retry reloads the page we were on.
      }
      throw e;
    }
  }

  setBusy(busy) {
    this.table.setAttribute('aria-busy', busy ? 'true' : 'false');
    $('records-view').classList.toggle('is-loading', busy);
    if (busy && !this.records.length) this.renderSkeleton();
  }

  // MARK: stats bar

  renderStats(summary) {
    const bar = $('stats-bar');
    const counted = inReadingOrder(this.config.statuses).filter((s) => s.counted);
    if (bar.children.length !== counted.length) {
      bar.replaceChildren(...counted.map((s) => {
        const button = el('button', { type: 'button', class: `stat stat-${s.key}`, dataset: { status: s.key }, 'aria-pressed': 'false' },
          el('span', { class: 'stat-count' }, '0'),
          el('span', { class: 'stat-label' }, s.title));
        button.addEventListener('click', () => {
          this.filters.status = this.filters.status === s.key ? '' : s.key;
          $('f-status').value = this.filters.status;
          this.refilter();
        });
        return button;
      }));
    }
    for (const button of bar.children) {
      const key = button.dataset.status;
      const n = summary[key] ?? 0;
      button.querySelector('.stat-count').textContent = formatNumber(n);
      button.dataset.count = String(n);
      const active = this.filters.status === key;
      button.setAttribute('aria-pressed', active ? 'true' : 'false');
      const title = this.config.statuses.find((s) => s.key === key).title;
      button.setAttribute('aria-label', `${title}: ${formatNumber(n)}${active ? ' (filter on — click to clear)' : ' — show only these'}`);
    }
    const f = this.filters;
    const fieldName = f.date_field === 'expiry' ? 'Expiry' : 'Completion';
    $('records-range').textContent = f.from || f.to
      ? `${fieldName} date ${f.from ? formatDate(f.from) : 'any time'} – ${f.to ? formatDate(f.to) : 'any time'}`
      : `${fieldName} date: any time`;
  }

  // MARK: table

  buildHeader() {
    if (this.headerBuilt) return;
    const row = el('tr', {},
      el('th', { scope: 'col', class: 'select-cell' },
        el('input', { type: 'checkbox', id: 'select-page', 'aria-label': 'Select every record on this page' })));
    for (const col of this.config.columns) {
      const th = el('th', { scope: 'col', dataset: { key: col.key }, class: `col-${col.key}` });
      if (col.sortable) {
        th.setAttribute('aria-sort', 'none');
        th.append(el('button', { type: 'button', class: 'sort-button', dataset: { sort: col.key } },
          col.title, el('span', { class: 'sort-icon', 'aria-hidden': 'true' })));
      } else {
        th.textContent = col.title;
      }
      row.append(th);
    }
    this.table.tHead.replaceChildren(row);
    this.headerBuilt = true;
  }

  renderHeaderState() {
    const sort = this.filters.sort;
    const key = sort.replace(/^-/, '');
    for (const th of this.table.tHead.querySelectorAll('th[data-key]')) {
      const button = th.querySelector('.sort-button');
      if (!button) continue;
      const active = th.dataset.key === key && sort !== '';
      const dir = active ? (sort.startsWith('-') ? 'descending' : 'ascending') : 'none';
      th.setAttribute('aria-sort', dir);
      const title = this.config.columns.find((c) => c.key === th.dataset.key).title;
      button.setAttribute('aria-label', `${title}: ${dir === 'none' ? 'not sorted' : `sorted ${dir}`}; click to sort ${dir === 'ascending' ? 'descending' : 'ascending'}`);
    }
  }

  renderSkeleton() {
    const n = this.config.columns.length + 1;
    const rows = [];
    for (let i = 0; i < 6; i++) {
      rows.push(el('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
        Array.from({ length: n }, () => el('td', {}, el('span', { class: 'skeleton' })))));
    }
    this.table.tBodies[0].replaceChildren(...rows);
  }

  renderRows() {
    const body = this.table.tBodies[0];
    if (!this.records.length) {
      body.replaceChildren(el('tr', { class: 'empty-row' },
        el('td', { colspan: String(this.config.columns.length + 1) },
          el('p', { class: 'empty-title' }, 'No records match these filters.'),
          el('p', { class: 'muted' }, 'Try a wider date range or ', el('button', { type: 'button', class: 'link-button', onclick: () => $('f-reset').click() }, 'reset the filters'), '.'))));
      return;
    }
    body.replaceChildren(...this.records.map((r) => this.renderRow(r)));
  }

  renderRow(record) {
    const tr = el('tr', { dataset: { recordId: String(record.record_id), status: record.status } });
    tr.append(el('td', { class: 'select-cell' },
      el('input', { type: 'checkbox', class: 'row-select', value: String(record.record_id),
        'aria-label': `Select ${record.contact_name} – ${record.course_name} (${record.booking_id})` })));
    for (const col of this.config.columns) {
      const isRowHeader = col.key === 'contact_name';
      const cell = el(isRowHeader ? 'th' : 'td', { dataset: { key: col.key }, class: `col-${col.key}` });
      if (isRowHeader) cell.setAttribute('scope', 'row');
      cell.append(...[].concat(this.cellContent(col.key, record)));
      tr.append(cell);
    }
    return tr;
  }

  cellContent(key, record) {
    if (key === 'actions') return this.actions(record);
    const value = record[key];
    if (key === 'status') {
      const status = this.config.statuses.find((s) => s.key === value);
      return el('span', { class: `badge badge-${value}` }, status ? status.title : value);
    }
    if (value === null || value === undefined || value === '') return el('span', { class: 'empty', title: 'None' }, EN_DASH);
    if (typeof value === 'boolean') return el('span', { class: value ? 'yes' : 'no' }, value ? 'Yes' : 'No');
    if (key === 'cert_type') return el('span', { class: `cert-type cert-type-${value}` }, value === 'internal' ? 'Internal' : value === 'external' ? 'External' : value);
    if (key === 'pass_fail') return el('span', { class: `result result-${value}` }, value === 'pass' ? 'Pass' : value === 'fail' ? 'Fail' : value);
    if (/_date$/.test(key) && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) return timeEl(value);
    return String(value);
  }

  actions(record) {
    return this.certs.rowActions(record);
  }

  onTableClick(e) {
    const sort = e.target.closest('.sort-button');
    if (sort) {
      const key = sort.dataset.sort;
      const current = this.filters.sort;
      this.filters.sort = current === key ? `-${key}` : key;
      this.refilter();
      return;
    }
    const action = e.target.closest('button[data-action]');
    if (action && !action.disabled) {
      const id = Number(action.closest('tr').dataset.recordId);
      const record = this.records.find((r) => r.record_id === id);
      if (!record) return;
      if (action.dataset.action === 'rebook') this.openRebook(record, action);
      else this.certs.onAction(action.dataset.action, record, action);
    }
  }

  // MARK: pager

  renderPager() {
    const page = this.cursors.length - 1;
    const size = Number(this.filters.page_size);
    const first = this.records.length ? page * size + 1 : 0;
    const last = page * size + this.records.length;
    const count = $('result-count');
    count.dataset.total = String(this.total);
    count.textContent = this.total
      ? `Showing ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(this.total)} record${this.total === 1 ? '' : 's'}`
      : 'No records';
    $('prev-page').disabled = page === 0;
    $('next-page').disabled = !this.nextCursor;
    const pages = Math.max(1, Math.ceil(this.total / size));
    $('page-label').textContent = `Page ${page + 1} of ${formatNumber(pages)}`;
  }

  // MARK: selection

  onCheckbox(e) {
    const box = e.target;
    if (box.id === 'select-page') {
      const ids = this.records.map((r) => r.record_id);
      if (box.checked) ids.forEach((id) => this.selected.add(id));
      else { ids.forEach((id) => this.selected.delete(id)); this.allMatching = false; }
    } else if (box.classList.contains('row-select')) {
      const id = Number(box.value);
      if (box.checked) this.selected.add(id);
      else {
        if (this.allMatching) { this.allMatching = false; this.records.forEach((r) => this.selected.add(r.record_id)); }
        this.selected.delete(id);
      }
    } else return;
    this.renderSelection();
  }

  clearSelection(render = true) {
    this.selected.clear();
    this.allMatching = false;
    if (render) this.renderSelection();
  }

  renderSelection() {
    const boxes = [...this.table.querySelectorAll('input.row-select')];
    let onPage = 0;
    for (const box of boxes) {
      box.checked = this.allMatching || this.selected.has(Number(box.value));
      box.closest('tr').classList.toggle('is-selected', box.checked);
      if (box.checked) onPage++;
    }
    const pageBox = $('select-page');
    if (pageBox) {
      pageBox.checked = boxes.length > 0 && onPage === boxes.length;
      pageBox.indeterminate = onPage > 0 && onPage < boxes.length;
    }
    const count = this.allMatching ? this.total : this.selected.size;
    $('selection-bar').hidden = count === 0;
    const admin = this.app.user && this.app.user.role === 'admin';
    for (const button of $('batch-actions').querySelectorAll('[data-admin-only]')) button.hidden = !admin;
    $('selection-count').textContent = this.allMatching
      ? `All ${formatNumber(this.total)} matching records selected`
      : `${formatNumber(count)} selected`;
    const more = $('select-all-matching');
    more.hidden = this.allMatching || !(boxes.length && onPage === boxes.length && this.total > boxes.length);
    more.textContent = `Select all ${formatNumber(this.total)} that match`;
  }

  // MARK: re-book (admin)

  async openRebook(record, opener) {
    const dialog = $('rebook-dialog');
    const options = $('rebook-options');
    const error = $('rebook-error');
    const confirm = $('rebook-confirm');
    $('rebook-title').textContent = `Re-book ${record.contact_name}`;
    $('rebook-who').textContent = `${record.course_name} · currently ${record.schedule_id}${record.completion_date ? `, completed ${formatDate(record.completion_date)}` : ''}`;
    error.hidden = true;
    confirm.disabled = true;
    options.replaceChildren(el('legend', {}, 'Choose a later schedule'),
      el('p', { class: 'muted', 'aria-busy': 'true' }, el('span', { class: 'spinner spinner-small', 'aria-hidden': 'true' }), ' Finding later schedules…'));
    const close = () => { dialog.close(); opener.focus(); };
    $('rebook-cancel').onclick = close;
    dialog.oncancel = (e) => { e.preventDefault(); close(); };
    dialog.showModal();

    let schedules;
    try {
      schedules = (await api('GET', `/api/records/${record.record_id}/schedules`)).schedules || [];
    } catch (e) {
      options.replaceChildren(el('legend', {}, 'Choose a later schedule'));
      error.textContent = e.unavailable ? 'The schedules could not be loaded: the service is not reachable right now. Try again shortly.' : e.message;
      error.hidden = false;
      return;
    }
    if (!schedules.length) {
      options.replaceChildren(el('legend', {}, 'Choose a later schedule'),
        el('p', { class: 'muted' }, 'There is no later schedule of this course yet.'));
      return;
    }
    options.replaceChildren(el('legend', {}, 'Choose a later schedule'), ...schedules.map((s, i) => el('label', { class: 'radio-row' },
      el('input', { type: 'radio', name: 'schedule', value: s.schedule_id, required: true }),
      el('span', { class: 'radio-text' }, el('strong', {}, s.schedule_id), ' ',
        el('span', { class: 'muted' }, timeEl(s.start), s.end ? [' – ', timeEl(s.end)] : [])))));
    options.addEventListener('change', () => { confirm.disabled = !options.querySelector('input:checked'); }, { once: true });
    options.querySelector('input').focus();

    $('rebook-form').onsubmit = async (e) => {
      e.preventDefault();
      const chosen = options.querySelector('input:checked');
      if (!chosen) return;
      confirm.disabled = true;
      confirm.textContent = 'Re-booking…';
      error.hidden = true;
      try {
        await api('POST', `/api/records/${record.record_id}/rebook`, { body: { schedule_id: chosen.value } });
        dialog.close();
        this.app.toast(`${record.contact_name} is re-booked on ${chosen.value}.`);
        this.app.run(() => this.load(), $('records-error'));
        opener.focus?.();
      } catch (err) {
        if (err instanceof ApiError && err.code === 'unauthenticated') { dialog.close(); this.app.run(() => Promise.reject(err)); return; }
        error.textContent = err.unavailable ? 'The re-booking could not be made: the service is not reachable right now. Try again shortly.' : err.message;
        error.hidden = false;
        confirm.disabled = false;
      } finally {
        confirm.textContent = 'Re-book';
      }
    };
  }
}
