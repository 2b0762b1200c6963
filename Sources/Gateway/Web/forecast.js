// Plan ahead: certificates expiring per month for the next 12 months, as an SVG bar chart.
import { api } from './api.js';
import { el, svg, formatMonth, formatNumber } from './format.js';

const $ = (id) => document.getElementById(id);
const W = 760, H = 320, PAD = { top: 28, right: 16, bottom: 44, left: 44 };

export class ForecastView {
  constructor(app) { this.app = app; this.controller = null; }
  reset() {}

  show() { this.app.run(() => this.load(), $('forecast-error')); }

  async load() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const card = $('forecast-chart');
    card.setAttribute('aria-busy', 'true');
    if (!card.firstChild) card.replaceChildren(el('p', { class: 'loading-line' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), ' Loading the forecast…'));
    const answer = await api('GET', '/api/forecast', { query: { months: 12 }, signal: controller.signal });
    if (controller !== this.controller) return;
    this.render(answer.months || []);
    card.setAttribute('aria-busy', 'false');
  }

  render(months) {
    const total = months.reduce((n, m) => n + (m.expiring || 0), 0);
    const max = Math.max(1, ...months.map((m) => m.expiring || 0));
    const step = niceStep(max);
    const top = Math.ceil(max / step) * step;
    const plotW = W - PAD.left - PAD.right, plotH = H - PAD.top - PAD.bottom;
    const slot = plotW / Math.max(1, months.length);
    const barW = Math.min(44, slot * 0.62);
    const y = (v) => PAD.top + plotH - (v / top) * plotH;

    const grid = [];
    for (let v = 0; v <= top; v += step) {
      grid.push(svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
        svg('text', { class: 'axis-label', x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, formatNumber(v)));
    }
    const busiest = months.reduce((a, m) => ((m.expiring || 0) > (a?.expiring || 0) ? m : a), null);
    const bars = months.map((m, i) => {
      const v = m.expiring || 0;
      const cx = PAD.left + slot * i + slot / 2;
      const h = Math.max(v ? 2 : 0, (v / top) * plotH);
      return svg('g', { class: 'bar-group' },
        svg('rect', { class: `bar${m === busiest && v ? ' bar-peak' : ''}`, x: cx - barW / 2, y: PAD.top + plotH - h, width: barW, height: h, rx: 3, 'data-month': m.month, 'data-value': v },
          svg('title', {}, `${formatMonth(m.month, true)}: ${formatNumber(v)} expiring`)),
        svg('text', { class: 'bar-value', x: cx, y: PAD.top + plotH - h - 6, 'text-anchor': 'middle' }, formatNumber(v)),
        svg('text', { class: 'axis-label month-label', x: cx, y: H - PAD.bottom + 18, 'text-anchor': 'middle' }, formatMonth(m.month)));
    });
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'forecast-svg', role: 'img', focusable: 'false',
      'aria-label': `Bar chart of certificates expiring per month: ${months.map((m) => `${formatMonth(m.month, true)} ${m.expiring || 0}`).join(', ')}` },
      ...grid, svg('line', { class: 'baseline', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }), ...bars);

    const summary = !total ? el('p', { class: 'chart-summary' }, 'No certificates expire in the next 12 months — nothing to re-book yet.') : el('p', { class: 'chart-summary' },
      el('strong', {}, formatNumber(total)), ` certificate${total === 1 ? '' : 's'} expire in the next 12 months`,
      busiest && busiest.expiring ? [' · busiest month: ', el('strong', {}, formatMonth(busiest.month, true)), ` (${formatNumber(busiest.expiring)})`] : []);

    // The same figures as a table, for screen readers and for copying.
    const table = el('table', { class: 'data-table compact forecast-table' },
      el('caption', {}, 'Certificates expiring per month'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Month'), el('th', { scope: 'col', class: 'num' }, 'Expiring'))),
      el('tbody', {}, months.map((m) => el('tr', {}, el('th', { scope: 'row' }, formatMonth(m.month, true)), el('td', { class: 'num' }, formatNumber(m.expiring || 0))))));
    const details = el('details', { class: 'chart-table' }, el('summary', {}, 'Show the figures as a table'), table);

    $('forecast-chart').replaceChildren(summary, el('div', { class: 'chart-frame' }, chart), details);
  }
}

function niceStep(max) {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * mag) return Math.max(1, m * mag);
  return 10 * mag;
}
