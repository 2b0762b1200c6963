// The Training matrix: staff (rows) × courses (columns), each cell the best current status.
import { api } from './api.js';
import { el, timeEl, inReadingOrder, EN_DASH } from './format.js';

const $ = (id) => document.getElementById(id);

export class MatrixView {
  constructor(app) {
    this.app = app;
    this.controller = null;
    $('m-organisation').addEventListener('change', () => {
      const params = new URLSearchParams({ organisation: $('m-organisation').value });
      this.app.navigate('matrix', params);
      this.show(params);
    });
    this.reset();
  }

  reset() {
    this.organisations = null;
  }

  show(params) {
    this.app.run(() => this.load(params.get('organisation') || ''), $('matrix-error'));
  }

  async load(organisation) {
    $('matrix-csv').href = '/api/exports/matrix.csv' + (organisation ? '?' + new URLSearchParams({ organisation }).toString() : '');
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const wrap = $('matrix-wrap');
    wrap.setAttribute('aria-busy', 'true');
    if (!wrap.firstChild) wrap.replaceChildren(el('p', { class: 'loading-line' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Loading the matrix…'));
    this.renderLegend();

    const isAdmin = this.app.user.role === 'admin';
    $('matrix-org-field').hidden = !isAdmin;
    if (isAdmin) {
      if (!this.organisations) {
        const facets = await api('GET', '/api/facets', { signal: controller.signal });
        this.organisations = facets.organisations || [];
        $('m-organisation').replaceChildren(...this.organisations.map((o) => el('option', { value: o.id }, o.name)));
      }
      if (!organisation && this.organisations.length) organisation = this.organisations[0].id;
      $('m-organisation').value = organisation;
    } else if (this.app.user.role === 'orgrep') {
      organisation = this.app.user.organisation_id || '';
    } else {
      organisation = '';
    }
    const answer = await api('GET', '/api/matrix', { query: { organisation }, signal: controller.signal });
    if (controller !== this.controller) return;
    this.render(answer);
    wrap.setAttribute('aria-busy', 'false');
  }

  renderLegend() {
    const legend = $('matrix-legend');
    if (legend.children.length) return;
    legend.append(...inReadingOrder(this.app.config.statuses).map((s) =>
      el('li', {}, el('span', { class: `swatch cell-${s.key}`, 'aria-hidden': 'true' }), s.title)),
    el('li', {}, el('span', { class: 'swatch cell-none', 'aria-hidden': 'true' }), 'Not taken'));
  }

  render(answer) {
    const statuses = new Map(this.app.config.statuses.map((s) => [s.key, s.title]));
    const courses = answer.courses || [];
    const rows = answer.rows || [];
    const note = $('matrix-note');
    note.hidden = !answer.truncated;
    note.textContent = answer.truncated ? `Showing the first ${rows.length} people only. Choose an organisation to see everyone in it.` : '';
    if (!rows.length) {
      $('matrix-wrap').replaceChildren(el('p', { class: 'empty-title pad' }, 'No training records for this organisation yet.'));
      return;
    }
    const head = el('tr', {}, el('th', { scope: 'col', class: 'matrix-corner' }, 'Staff member'),
      ...courses.map((c) => el('th', { scope: 'col', class: 'matrix-course' }, el('span', {}, c.name))));
    const body = rows.map((row) => {
      const byCourse = new Map((row.cells || []).map((c) => [c.course_index, c]));
      return el('tr', { dataset: { contactId: row.contact_id } },
        el('th', { scope: 'row', class: 'matrix-person' }, el('span', { class: 'person-name' }, row.contact_name),
          row.organisation ? el('span', { class: 'person-org' }, row.organisation) : null),
        ...courses.map((course, i) => {
          const cell = byCourse.get(i);
          if (!cell) return el('td', { class: 'matrix-cell cell-none' }, el('span', { class: 'sr-only' }, 'Not taken'), el('span', { 'aria-hidden': 'true' }, EN_DASH));
          return el('td', { class: `matrix-cell cell-${cell.status}`, dataset: { status: cell.status, recordId: String(cell.record_id ?? '') } },
            el('span', { class: 'cell-status' }, statuses.get(cell.status) || cell.status),
            cell.expiry_date ? el('span', { class: 'cell-expiry' }, timeEl(cell.expiry_date)) : null);
        }));
    });
    const table = el('table', { class: 'matrix-table', id: 'matrix-table' },
      el('caption', { class: 'sr-only' }, 'Training matrix: staff by course, with status and expiry date'),
      el('thead', {}, head), el('tbody', {}, body));
    $('matrix-wrap').replaceChildren(table);
  }
}
