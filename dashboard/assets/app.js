/*
 * app.js: the dashboard's one script. The server sends each page as a
 * skeleton (language, title, heading, which page and area); this draws the
 * rest from the JSON API: /api/v1/catalog for names, /api/v1/latest for the
 * headline cards, the map and the tables, /api/v1/series (one point per
 * month) for the data tables behind the charts, /api/v1/health for
 * collection. Charts are SVG images rendered by the server
 * (/chart/AREA/ID.svg) from the same monthly figures.
 *
 * Signed in (SPEC §8; /api/v1/session, an HttpOnly cookie the browser
 * sends with every same-origin fetch) the same pages read unsuppressed,
 * the header says who is signed in, a municipality's own page has its
 * report form (checked as it is typed by ?dry_run=1), CSV upload and
 * record (/api/v1/activity, flags to confirm), and the ministry's health
 * page lists the open outlier flags. Every request that changes state
 * carries the session's CSRF value (X-CSRF-Token). With public = no and
 * nobody signed in, every page is the sign-in form.
 *
 * Invariants: every figure shown names the period (month) it describes,
 * and is the API's number for that (area, indicator, period), never
 * recomputed here: a region's or the country's figure also says how many
 * of its municipalities reported it; no figure is formatted anywhere else
 * (Intl, per language); a withheld value is shown as "< 5", never as a
 * number; text from the server goes into the page as text nodes, never as
 * HTML; every chart is followed by a table of the same figures, and
 * every table of figures by links to download exactly those figures from
 * /api/v1/data; nothing here needs inline script or style, so the page's
 * Content-Security-Policy stays 'self'.
 */

const LANGS = ['fi', 'sv', 'en'];
const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };
const HEADLINE = ['gp_coverage', 'outreach_reach', 'staff_per_1000',
	'reporting_rate'];
const TABLE_INDICATORS = ['gp_coverage', 'outreach_reach', 'staff_per_1000'];
const RANGES = [
	{ id: '1y', start: '-1y', months: 12 },
	{ id: '2y', start: '-2y', months: 24 },
	{ id: '5y', start: '-5y', months: 60 },
	{ id: 'all', start: '-20y', months: 240 },
];
const STATUSES = ['ok', 'late', 'failing', 'never'];
const STATUS_ICONS = { ok: '✓', late: '◷', failing: '✕', never: '–' };
const CHART_W = 720;
const CHART_H = 300;
const TZ = 'Europe/Helsinki';
const STORE_KEY = 'kuntamon.lang';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const N_CLASSES = 5;

/*
 * The tile map: each region's place on a grid of 4 columns and 7 rows,
 * roughly where it lies in Finland (Lapland at the top, Åland in the sea
 * to the south-west). The places themselves are in app.css (.tile-MKxx).
 */
const TILE_ORDER = ['MK19', 'MK17', 'MK18', 'MK15', 'MK16', 'MK11', 'MK12',
	'MK14', 'MK13', 'MK10', 'MK04', 'MK06', 'MK07', 'MK09', 'MK02',
	'MK05', 'MK01', 'MK08', 'MK21'];

const body = document.body;
const PAGE = body.dataset.page;
const AREA = body.dataset.area;
const params = new URLSearchParams(location.search);

const S = {
	lang: 'fi',
	T: {},
	cat: null,
	areas: new Map(),
	indicators: new Map(),
	measures: new Map(),
	range: RANGES.find((r) => r.id === params.get('range')) || RANGES[1],
	indicator: params.get('indicator') || 'outreach_reach',
};

/* ---- small helpers ------------------------------------------------------ */

function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === 'class')
			el.className = v;
		else if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

function t(key, vars) {
	let s = S.T[key];
	if (typeof s !== 'string')
		s = key;
	if (vars)
		s = s.replace(/\{(\w+)\}/g, (m, k) =>
			(k in vars ? String(vars[k]) : m));
	return s;
}

/* t() whose placeholders may be nodes ("{month}:" with a <time>): a list
 * of strings and nodes for h(). */
function tNodes(key, vars) {
	return t(key).split(/(\{\w+\})/).filter((p) => p !== '').map((p) => {
		const m = p.match(/^\{(\w+)\}$/);
		return m && m[1] in vars ? vars[m[1]] : p;
	});
}

function nameOf(o) {
	if (!o || !o.name)
		return '';
	return o.name[S.lang] || o.name.fi || '';
}

function locale() {
	return LOCALES[S.lang];
}

/* An internal link that keeps the language, so the server renders the
 * next page's title and heading in it from the start. */
function link(path, extra) {
	const q = new URLSearchParams({ lang: S.lang, ...(extra || {}) });
	return `${path}?${q}`;
}

let uid = 0;
function nextId(prefix) {
	uid += 1;
	return `${prefix}-${uid}`;
}

function setStatus(text) {
	const el = document.getElementById('status');
	el.textContent = text;
	el.classList.toggle('is-busy', text === t('loading'));
}

function showError(err) {
	const box = h('div', { class: 'alert', role: 'alert' },
		h('p', null, t('error_loading')),
		h('p', { class: 'small' }, String(err && err.message ? err.message : err)));
	document.getElementById('content').prepend(box);
	setStatus('');
}

/* ---- the API ------------------------------------------------------------ */

async function api(path, query) {
	const u = new URL(path, location.origin);
	for (const [k, v] of Object.entries(query || {}))
		if (v !== null && v !== undefined)
			u.searchParams.set(k, v);
	const r = await fetch(u, { headers: { Accept: 'application/json' } });
	if (!r.ok) {
		let msg = `${r.status}`;
		try {
			msg = `${r.status}: ${(await r.json()).error}`;
		} catch (e) {
			/* not JSON: keep the status */
		}
		throw new Error(`${u.pathname}: ${msg}`);
	}
	return r.json();
}

function latest(indicator, level, region) {
	return api('/api/v1/latest', { indicator, level, region, lang: S.lang });
}

/* One point per month (period), with how many municipalities are behind
 * each: the same numbers /api/v1/latest gives for the same period. */
function series(area, id) {
	return api('/api/v1/series', {
		area, indicator: id, start: S.range.start, end: 'now', step: 'month',
	});
}

function chartUrl(area, id) {
	const q = new URLSearchParams({
		start: S.range.start, end: 'now', width: CHART_W, height: CHART_H,
		lang: S.lang,
	});
	return `/chart/${encodeURIComponent(area)}/${encodeURIComponent(id)}.svg?${q}`;
}

/* ---- formatting --------------------------------------------------------- */

function unitText(unit) {
	const u = S.T.units && S.T.units[unit];
	return typeof u === 'string' ? u : unit;
}

function digitsFor(unit, v) {
	if (unit === '%')
		return 1;
	const a = Math.abs(v);
	if (Number.isInteger(v))
		return 0;
	if (a < 10)
		return 2;
	if (a < 100)
		return 1;
	return 0;
}

function formatNumber(v, digits) {
	return new Intl.NumberFormat(locale(), {
		minimumFractionDigits: digits, maximumFractionDigits: digits,
	}).format(v);
}

/* A value as text in the page's language: "78,3 %", "1 234", "0,85". */
function formatValue(v, unit) {
	if (unit === '%')
		return new Intl.NumberFormat(locale(), {
			style: 'percent', minimumFractionDigits: 1,
			maximumFractionDigits: 1,
		}).format(v / 100);
	if (unit === '0/1')
		return v >= 0.5 ? t('yes') : t('no');
	return formatNumber(v, digitsFor(unit, v));
}

/* The node for a value: "< 5" when withheld, a dash for unknown. */
function valueNode(v, unit, suppressed, withUnit) {
	if (suppressed)
		return h('span', { class: 'suppressed' }, '< 5');
	if (v === null || v === undefined || Number.isNaN(v))
		return h('span', { class: 'nodata' },
			h('span', { 'aria-hidden': 'true' }, '–'),
			h('span', { class: 'sr-only' }, t('no_data')));
	const text = formatValue(v, unit);
	if (withUnit && unit !== '%' && unit !== '0/1')
		return h('span', { class: 'value' }, text, ' ',
			h('span', { class: 'unit' }, unitText(unit)));
	return h('span', { class: 'value' }, text);
}

function periodDate(p) {
	const [y, m] = p.split('-').map(Number);
	return new Date(Date.UTC(y, m - 1, 1));
}

function formatPeriod(p, style) {
	if (!p)
		return '–';
	return new Intl.DateTimeFormat(locale(), {
		year: 'numeric', month: style || 'long', timeZone: 'UTC',
	}).format(periodDate(p));
}

/* A period as a <time datetime="YYYY-MM">, so that what it describes is
 * also machine-readable; a dash when there is none. */
function periodNode(p, style) {
	if (!p)
		return h('span', { class: 'nodata' },
			h('span', { 'aria-hidden': 'true' }, '–'),
			h('span', { class: 'sr-only' }, t('no_data')));
	return h('time', { datetime: p }, formatPeriod(p, style));
}

/* "280 of 308": the municipalities behind a region's or the country's
 * figure, of those it has. */
function reportedText(n, m) {
	return t('n_of_m', { n: formatNumber(n || 0, 0), m: formatNumber(m, 0) });
}

function formatTime(sec) {
	if (!sec)
		return t('never');
	return new Intl.DateTimeFormat(locale(), {
		dateStyle: 'medium', timeStyle: 'short', timeZone: TZ,
	}).format(new Date(sec * 1000));
}

function formatAgo(sec) {
	if (!sec)
		return t('never');
	const d = sec - Date.now() / 1000;
	const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
	const a = Math.abs(d);
	if (a < 90)
		return rtf.format(Math.round(d), 'second');
	if (a < 5400)
		return rtf.format(Math.round(d / 60), 'minute');
	if (a < 129600)
		return rtf.format(Math.round(d / 3600), 'hour');
	return rtf.format(Math.round(d / 86400), 'day');
}

function okNote(text) {
	return h('p', { class: 'ok-note' },
		h('span', { class: 'ok-icon', 'aria-hidden': 'true' }, '✓'), text);
}

function statusBadge(status) {
	const s = STATUSES.includes(status) ? status : 'never';
	return h('span', { class: `badge badge-${s}` },
		h('span', { 'aria-hidden': 'true', class: 'badge-icon' }, STATUS_ICONS[s]),
		t(`status_${s}`));
}

/* ---- series: one row per period ---------------------------------------- */

function periodOf(time) {
	const d = new Date(time * 1000);
	return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/* The API's monthly points as rows {period, value, suppressed, reported},
 * taken as they are: the value of a period is the API's, never a mean
 * formed here. A withheld point (suppressed_points) stays withheld.
 * Periods before the first and after the last one that some municipality
 * reported are left out (a reporting rate of 0 % before the history
 * begins, or for the month not yet due, says nothing). */
function periodRows(s) {
	const withheld = new Set(s.suppressed_points || []);
	const rows = (s.points || []).map(([time, v], i) => {
		const suppressed = withheld.has(time);
		return {
			period: (s.periods && s.periods[i]) || periodOf(time),
			value: suppressed || v === null || v === undefined ? null : v,
			suppressed,
			reported: s.reported ? s.reported[i] : null,
		};
	});
	const known = (r) => r.suppressed || (r.value !== null && r.reported !== 0);
	let a = 0;
	let b = rows.length;
	while (a < b && !known(rows[a]))
		a += 1;
	while (b > a && !known(rows[b - 1]))
		b -= 1;
	return rows.slice(a, b);
}

/* ---- tables ------------------------------------------------------------- */

/*
 * A table with a caption and column headers (scope=col), the first cell of
 * each row a row header (scope=row). Columns: {label, cell(row) -> node,
 * sort(row) -> number|string, num}. Sortable tables have a button in each
 * header; aria-sort tells the current order.
 */
function dataTable({ caption, columns, rows, sortable, sortBy, sortDir, label }) {
	const table = h('table', { class: 'data' });
	const cap = h('caption', null, h('span', null, caption));
	const thead = h('thead');
	const tbody = h('tbody');
	const headRow = h('tr');
	let current = sortBy === undefined ? -1 : sortBy;
	let dir = sortDir || 1;

	function fill() {
		let order = rows.slice();
		if (current >= 0 && columns[current].sort) {
			const key = columns[current].sort;
			order.sort((x, y) => {
				const a = key(x);
				const b = key(y);
				const an = a === null || a === undefined;
				const bn = b === null || b === undefined;
				if (an || bn)
					return an === bn ? 0 : an ? 1 : -1;
				if (typeof a === 'string')
					return dir * a.localeCompare(b, locale());
				return dir * (a - b);
			});
		}
		tbody.replaceChildren(...order.map((r) => h('tr', null,
			columns.map((c, i) => (i === 0
				? h('th', { scope: 'row', class: c.num ? 'num' : null }, c.cell(r))
				: h('td', { class: c.num ? 'num' : null }, c.cell(r)))))));
		headRow.querySelectorAll('th').forEach((th, i) => {
			if (!sortable || !columns[i].sort)
				return;
			th.setAttribute('aria-sort', i === current
				? (dir > 0 ? 'ascending' : 'descending') : 'none');
		});
	}

	columns.forEach((c, i) => {
		const th = h('th', { scope: 'col', class: c.num ? 'num' : null });
		if (sortable && c.sort) {
			th.append(h('button', {
				type: 'button',
				class: 'sort',
				onclick: () => {
					if (current === i)
						dir = -dir;
					else {
						current = i;
						dir = c.num ? -1 : 1;
					}
					fill();
				},
			}, c.label, h('span', { class: 'sort-icon', 'aria-hidden': 'true' })));
		} else {
			th.append(c.label);
		}
		headRow.append(th);
	});
	thead.append(headRow);
	table.append(cap, thead, tbody);
	fill();
	return h('div', {
		class: 'table-wrap', tabindex: '0', role: 'region',
		'aria-label': label || caption,
	}, table);
}

/* ---- downloads ---------------------------------------------------------- */

/*
 * Under every table of figures, links to the same figures from
 * /api/v1/data: as CSV, as CSV for a spreadsheet that reads ';' and a
 * decimal comma (Excel in Finnish or Swedish), and as an XLSX workbook.
 * The route computes each cell with the function the page's figures come
 * from, so a row of the file is the figure shown. What a table shows is
 * given as the cube the route answers: {area (codes, or "MK01:children"),
 * ids (indicators or measures), periods (those shown)}; the file holds
 * every month from the first shown to the last, so where a table's rows
 * show different months the file has each row's own month and the months
 * between (the label names them).
 */
const DOWNLOADS = [
	{ key: 'download_csv', ext: 'csv', type: 'text/csv' },
	{ key: 'download_csv_excel_fi', ext: 'csv', type: 'text/csv', dialect: 'excel-fi' },
	{ key: 'download_xlsx', ext: 'xlsx', type: XLSX_TYPE },
];

/* Codes and ids are [A-Za-z0-9_:]: ',' and ':' stay as they are, so a
 * copied link reads like the API's documentation. */
function queryPart(v) {
	return encodeURIComponent(v).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
}

function periodSpan(periods) {
	const known = periods.filter(Boolean).sort();
	if (known.length === 0)
		return null;
	return { first: known[0], last: known[known.length - 1] };
}

function dataUrl(q, span, d) {
	const period = span.first === span.last ? span.first : `${span.first}..${span.last}`;
	const parts = { area: q.area, indicator: q.ids.join(','), period, lang: S.lang };
	if (d.dialect)
		parts.dialect = d.dialect;
	const query = Object.entries(parts).map(([k, v]) => `${k}=${queryPart(v)}`).join('&');
	return `/api/v1/data.${d.ext}?${query}`;
}

/* "kuntamon_MK01-children_outreach_reach_2025-12_2026-11.csv" */
function dataFileName(q, span, d) {
	const period = span.first === span.last ? span.first : `${span.first}_${span.last}`;
	const area = q.area.replace(':', '-');
	return `kuntamon_${area}_${q.ids.join('-')}_${period}${d.dialect ? `_${d.dialect}` : ''}.${d.ext}`;
}

/* The links for the figures of q, what: the table's caption (each link's
 * name says what it downloads, also out of context); null when the table
 * shows no period. */
function downloadLinks(q, what) {
	const span = periodSpan(q.periods);
	if (!span)
		return null;
	const months = span.first === span.last
		? periodNode(span.first, 'short')
		: [periodNode(span.first, 'short'), ' – ', periodNode(span.last, 'short')];
	const labelId = nextId('dl');
	return h('div', { class: 'downloads' },
		h('span', { class: 'downloads-label', id: labelId },
			tNodes('download_label', { months })),
		h('ul', { 'aria-labelledby': labelId }, DOWNLOADS.map((d) => h('li', null,
			h('a', {
				href: dataUrl(q, span, d),
				download: dataFileName(q, span, d),
				type: d.type,
			}, t(d.key), h('span', { class: 'sr-only' }, `, ${what}`))))));
}

/* ---- controls ----------------------------------------------------------- */

function syncUrl() {
	const q = new URLSearchParams(location.search);
	q.set('lang', S.lang);
	q.set('range', S.range.id);
	if (PAGE === 'overview')
		q.set('indicator', S.indicator);
	history.replaceState(null, '', `${location.pathname}?${q}`);
}

function rangePicker(onChange) {
	const name = nextId('range');
	const fs = h('fieldset', { class: 'range' },
		h('legend', null, t('range_label')));
	const group = h('div', { class: 'segmented' });
	for (const r of RANGES) {
		const id = `${name}-${r.id}`;
		group.append(h('input', {
			type: 'radio', name, id, value: r.id,
			checked: r.id === S.range.id,
			onchange: () => {
				S.range = r;
				syncUrl();
				onChange();
			},
		}), h('label', { for: id }, t(`range_${r.id}`)));
	}
	fs.append(group);
	return fs;
}

function indicatorPicker(onChange) {
	const id = nextId('indicator');
	const select = h('select', {
		id,
		onchange: (e) => {
			S.indicator = e.target.value;
			syncUrl();
			onChange();
		},
	});
	for (const ind of S.cat.indicators)
		select.append(h('option', {
			value: ind.id, selected: ind.id === S.indicator,
		}, nameOf(ind)));
	return h('div', { class: 'picker' },
		h('label', { for: id }, t('indicator_label')), select);
}

/* ---- charts ------------------------------------------------------------- */

/* Whether the server can draw id as a chart (the reporting rate is counted
 * from the database, not stored as a series). */
function isChartable(id) {
	const ind = S.indicators.get(id);
	return !(ind && ind.kind === 'reporting');
}

/*
 * A chart card: heading, the figure of one period, the chart image and,
 * behind a disclosure, the table of the same monthly figures, each row
 * with its period and (for a region or the country) how many
 * municipalities reported it. The period shown above the chart is the
 * headline's (anchors: a promise of {id -> /api/v1/latest row}) where
 * the card has one, so the card and the headline name the same period
 * and number; otherwise the last period with a figure. update() redraws
 * it for the current range.
 */
function chartCard(area, id, anchors) {
	const def = S.indicators.get(id) || S.measures.get(id);
	const unit = def ? def.unit : '';
	const title = nameOf(def);
	const areaName = nameOf(S.areas.get(area));
	const latestEl = h('p', { class: 'latest' });
	const figure = h('figure', { class: 'chart' });
	const tableBox = h('div', { class: 'chart-table' });
	const details = h('details', null,
		h('summary', null, t('show_table')), tableBox);
	const card = h('section', { class: 'card chart-card', 'data-id': id },
		h('h3', { class: 'card-title' }, title),
		latestEl, figure, details);

	async function update() {
		const rangeText = t(`range_${S.range.id}_long`);
		let rows = [];
		let expected = 0;
		let anchor = null;
		let error = null;
		try {
			const [s, a] = await Promise.all([
				series(area, id),
				anchors ? anchors.then((m) => m.get(id) || null, () => null) : null,
			]);
			rows = periodRows(s);
			expected = s.expected || 0;
			anchor = a;
		} catch (e) {
			error = e;
		}
		/* a municipality is 1 of 1 or 0 of 1: only groups say how many */
		const isGroup = expected > 1;
		let shown = anchor && anchor.period
			? rows.find((r) => r.period === anchor.period) : null;
		if (!shown)
			shown = [...rows].reverse().find((r) => r.value !== null || r.suppressed);
		latestEl.replaceChildren();
		if (shown) {
			latestEl.append(h('span', { class: 'latest-label' },
				tNodes('month_value', { month: periodNode(shown.period) })), ' ',
				h('strong', null, valueNode(shown.value, unit, shown.suppressed, true)));
			if (isGroup && shown.reported !== null)
				latestEl.append(' ', h('span', { class: 'latest-reported' },
					t('reporting_of', {
						n: formatNumber(shown.reported, 0),
						m: formatNumber(expected, 0),
					})));
		} else {
			latestEl.append(h('span', { class: 'muted' }, error ? t('error_loading') : t('no_data_range')));
		}
		const alt = t('chart_alt', { name: title, area: areaName, range: rangeText });
		if (isChartable(id)) {
			figure.replaceChildren(h('img', {
				src: chartUrl(area, id), width: CHART_W, height: CHART_H, alt,
				decoding: 'async',
			}));
		} else {
			figure.replaceChildren(barChart(rows, unit, alt));
		}
		const columns = [
			{ label: t('col_month'), cell: (r) => periodNode(r.period) },
			{
				label: unit === '%' ? t('col_value') : `${t('col_value')} (${unitText(unit)})`,
				num: true,
				cell: (r) => valueNode(r.value, unit, r.suppressed),
			},
		];
		if (isGroup)
			columns.push({
				label: t('col_reported'),
				num: true,
				cell: (r) => (r.reported === null ? '–' : reportedText(r.reported, expected)),
			});
		const caption = t('table_caption', { name: title, area: areaName, range: rangeText });
		/* the table's rows are every month from its first to its last */
		tableBox.replaceChildren(...(rows.length === 0
			? [h('p', { class: 'muted' }, t('no_data_range'))]
			: [dataTable({ caption, columns, rows: rows.slice().reverse() }),
				downloadLinks({ area, ids: [id], periods: rows.map((r) => r.period) },
					caption)].filter(Boolean)));
	}
	return { card, update };
}

/* Monthly bars drawn with plain elements, for what the server cannot chart
 * (the reporting rate). Heights are set through the CSSOM, which the
 * Content-Security-Policy allows. */
function barChart(rows, unit, alt) {
	const shown = rows.slice(-S.range.months);
	const max = unit === '%' ? 100
		: Math.max(1, ...shown.map((r) => r.value || 0));
	const bars = h('div', { class: 'bars', role: 'img', 'aria-label': alt });
	for (const r of shown) {
		const bar = h('span', { class: 'bar' });
		bar.style.height = `${Math.max(0, Math.min(100, ((r.value || 0) / max) * 100))}%`;
		bars.append(h('span', { class: 'bar-slot', title: `${formatPeriod(r.period, 'short')}: ${r.value === null ? '–' : formatValue(r.value, unit)}` }, bar));
	}
	const scale = h('div', { class: 'bars-scale', 'aria-hidden': 'true' },
		[max, max / 2, 0].map((v) => h('span', null, formatValue(v, unit))));
	const axis = h('div', { class: 'bars-axis', 'aria-hidden': 'true' },
		h('span', null, shown.length ? formatPeriod(shown[0].period, 'short') : ''),
		h('span', null, shown.length ? formatPeriod(shown[shown.length - 1].period, 'short') : ''));
	return h('div', { class: 'bars-box' }, scale, bars, h('span'), axis);
}

/* The chart cards of area's ids; anchors as for chartCard. */
function chartGrid(area, ids, anchors) {
	const cards = ids.filter((id) => S.indicators.has(id) || S.measures.has(id))
		.map((id) => chartCard(area, id, anchors));
	const grid = h('div', { class: 'chart-grid' }, cards.map((c) => c.card));
	return { grid, update: () => Promise.all(cards.map((c) => c.update())) };
}

/* ---- the page frame ----------------------------------------------------- */

function crumbs(items) {
	const ol = h('ol');
	items.forEach((it, i) => {
		const last = i === items.length - 1;
		ol.append(h('li', null, last
			? h('span', { 'aria-current': 'page' }, it.text)
			: h('a', { href: it.href }, it.text)));
	});
	document.getElementById('crumbs').replaceChildren(ol);
}

/* Texts the server rendered (data-t) in the chosen language, and links
 * that keep it. */
function applyFrame(heading, lead) {
	document.documentElement.lang = S.lang;
	for (const el of document.querySelectorAll('[data-t]'))
		el.textContent = t(el.dataset.t);
	for (const el of document.querySelectorAll('[data-t-aria]'))
		el.setAttribute('aria-label', t(el.dataset.tAria));
	document.getElementById('heading').textContent = heading;
	document.getElementById('lead').textContent = lead || '';
	document.title = `${heading} – ${t('site_name')}`;
	document.getElementById('brand').href = link('/');
	document.getElementById('nav-overview').href = link('/');
	document.getElementById('nav-health').href = link('/health');
	if (PAGE === 'health' || PAGE === 'overview')
		document.getElementById(PAGE === 'health' ? 'nav-health' : 'nav-overview')
			.setAttribute('aria-current', 'page');
	for (const a of document.querySelectorAll('[data-lang]')) {
		const q = new URLSearchParams(location.search);
		q.set('lang', a.dataset.lang);
		a.href = `${location.pathname}?${q}`;
		if (a.dataset.lang === S.lang)
			a.setAttribute('aria-current', 'true');
		else
			a.removeAttribute('aria-current');
		a.addEventListener('click', () => remember(a.dataset.lang));
	}
}

function section(titleKey, ...children) {
	const id = nextId('s');
	return h('section', { class: 'block', 'aria-labelledby': id },
		h('h2', { id }, typeof titleKey === 'string' ? t(titleKey) : titleKey.text),
		children);
}

function suppressionNote() {
	return h('p', { class: 'note' }, h('span', { class: 'suppressed' }, '< 5'), ' ',
		t('suppressed_note'));
}

/* ---- headline cards ----------------------------------------------------- */

function kpiCards(rows) {
	const cards = h('div', { class: 'kpis' });
	for (const id of HEADLINE) {
		const ind = S.indicators.get(id);
		if (!ind)
			continue;
		const r = rows.get(id);
		const card = h('section', { class: 'card kpi', 'data-kpi': id },
			h('h3', { class: 'kpi-title' }, nameOf(ind)),
			h('p', { class: 'kpi-value' }, r
				? valueNode(r.value, ind.unit, r.suppressed, true)
				: valueNode(null, ind.unit, false)),
			h('p', { class: 'kpi-meta kpi-period' }, periodNode(r && r.period)));
		if (r && r.expected)
			card.append(h('p', { class: 'kpi-meta' }, t('reporting_of', {
				n: formatNumber(r.reporting || 0, 0), m: formatNumber(r.expected, 0),
			})));
		cards.append(card);
	}
	return h('div', null, cards, h('p', { class: 'note' }, t('headline_note')));
}

/* The headline figures of one area: {id -> /api/v1/latest's row: value,
 * suppressed, period, reporting, expected}. Every card of an area names
 * the period the API chose for it. */
async function headline(area, level, region) {
	const out = new Map();
	await Promise.all(HEADLINE.filter((id) => S.indicators.has(id)).map(async (id) => {
		const list = await latest(id, level, region);
		const row = list.find((x) => x.area === area);
		if (row)
			out.set(id, row);
	}));
	return out;
}

/* ---- the national overview --------------------------------------------- */

function classesOf(values) {
	const known = values.filter((v) => v !== null && v !== undefined);
	if (known.length === 0)
		return null;
	let lo = Math.min(...known);
	let hi = Math.max(...known);
	if (hi === lo) {
		lo -= 1;
		hi += 1;
	}
	const step = (hi - lo) / N_CLASSES;
	const bounds = [];
	for (let i = 0; i <= N_CLASSES; i++)
		bounds.push(lo + i * step);
	return {
		bounds,
		of(v) {
			if (v === null || v === undefined)
				return -1;
			return Math.min(N_CLASSES - 1, Math.floor((v - lo) / step));
		},
	};
}

/* The period most rows report (the later one on a tie). */
function commonPeriod(rows) {
	const n = new Map();
	for (const r of rows)
		if (r.period)
			n.set(r.period, (n.get(r.period) || 0) + 1);
	let best = null;
	for (const [p, c] of n)
		if (best === null || c > n.get(best) || (c === n.get(best) && p > best))
			best = p;
	return best;
}

function tileMap(rows, ind) {
	const byArea = new Map(rows.map((r) => [r.area, r]));
	const common = commonPeriod(rows);
	const classes = classesOf(rows.map((r) => (r.suppressed ? null : r.value)));
	const list = h('ul', { class: 'tiles' });
	for (const code of TILE_ORDER) {
		const a = S.areas.get(code);
		if (!a)
			continue;
		const r = byArea.get(code);
		const c = r && !r.suppressed && classes ? classes.of(r.value) : -1;
		list.append(h('li', { class: `tile tile-${code} ${c >= 0 ? `c${c}` : 'nodata'}` },
			h('a', { href: link(`/region/${code}`) },
				h('span', { class: 'tile-name' }, nameOf(a)),
				h('span', { class: 'tile-value' }, r
					? valueNode(r.value, ind.unit, r.suppressed)
					: valueNode(null, ind.unit, false)),
				r && r.period
					? h('span', { class: `tile-period${r.period !== common ? ' is-other' : ''}` },
						periodNode(r.period, 'short'))
					: null)));
	}
	const legend = h('ul', { class: 'legend', 'aria-label': t('legend') });
	if (classes) {
		for (let i = 0; i < N_CLASSES; i++)
			legend.append(h('li', null,
				h('span', { class: `swatch c${i}`, 'aria-hidden': 'true' }),
				`${formatValue(classes.bounds[i], ind.unit)} – ${formatValue(classes.bounds[i + 1], ind.unit)}`));
	}
	legend.append(h('li', null, h('span', { class: 'swatch nodata', 'aria-hidden': 'true' }),
		t('no_data')));
	return h('div', { class: 'map' },
		h('h3', { class: 'map-title' }, nameOf(ind)),
		h('p', { class: 'map-meta' }, rows.every((r) => !r.period || r.period === common)
			? periodNode(common)
			: tNodes('map_period_mixed', { period: periodNode(common) })),
		list, legend);
}

/* The ranking and its downloads. A region's figure is of the latest month
 * at least half of its municipalities reported, which may differ between
 * regions: the file covers every region from the earliest such month to
 * the latest, so each row shown is in it with its own month. */
function rankTable(rows, ind, parent) {
	const sorted = rows.slice().sort((a, b) => {
		const av = a.suppressed ? null : a.value;
		const bv = b.suppressed ? null : b.value;
		if (av === null || bv === null)
			return av === bv ? 0 : av === null ? 1 : -1;
		return bv - av;
	});
	sorted.forEach((r, i) => {
		r.rank = (r.suppressed || r.value === null) ? null : i + 1;
	});
	const caption = t('rank_caption', { name: nameOf(ind) });
	const table = dataTable({
		caption,
		sortable: true,
		sortBy: 0,
		sortDir: 1,
		columns: [
			{ label: t('col_rank'), num: true, sort: (r) => r.rank, cell: (r) => (r.rank === null ? '–' : formatNumber(r.rank, 0)) },
			{ label: t('col_region'), sort: (r) => nameOf(S.areas.get(r.area)), cell: (r) => h('a', { href: link(`/region/${r.area}`) }, nameOf(S.areas.get(r.area))) },
			{ label: t('col_value'), num: true, sort: (r) => (r.suppressed ? null : r.value), cell: (r) => valueNode(r.value, ind.unit, r.suppressed, true) },
			{ label: t('col_period'), sort: (r) => r.period, cell: (r) => periodNode(r.period, 'short') },
			{
				label: t('col_reported'), num: true,
				sort: (r) => (r.expected ? (r.reporting || 0) / r.expected : null),
				cell: (r) => (r.expected ? reportedText(r.reporting, r.expected) : '–'),
			},
		],
		rows: sorted,
	});
	return h('div', { class: 'ranking' }, table,
		downloadLinks({
			area: `${parent}:children`, ids: [ind.id], periods: rows.map((r) => r.period),
		}, caption));
}

async function renderOverview() {
	const country = S.cat.areas.find((a) => a.level === 'country');
	const code = country ? country.code : 'SSS';
	applyFrame(t('overview_title'), t('overview_lead'));
	crumbs([{ text: t('crumb_finland') }]);
	if (!S.indicators.has(S.indicator))
		S.indicator = 'outreach_reach';

	const content = document.getElementById('content');
	const kpiBox = h('div');
	const regionBox = h('div', { class: 'regions', 'aria-live': 'polite', 'aria-busy': 'true' });
	const kpisLoaded = headline(code, 'country');
	const charts = chartGrid(code, HEADLINE, kpisLoaded);
	content.replaceChildren(
		section('headline_title', kpiBox),
		section('regions_title', indicatorPicker(drawRegions), regionBox),
		section('trends_title', h('div', { class: 'controls' }, rangePicker(charts.update)),
			charts.grid, suppressionNote()));

	async function drawRegions() {
		regionBox.setAttribute('aria-busy', 'true');
		const ind = S.indicators.get(S.indicator);
		const rows = await latest(S.indicator, 'region');
		regionBox.replaceChildren(tileMap(rows, ind), rankTable(rows, ind, code));
		regionBox.setAttribute('aria-busy', 'false');
	}

	await Promise.all([
		kpisLoaded.then((kpis) => kpiBox.replaceChildren(kpiCards(kpis))),
		drawRegions(),
		charts.update(),
	]);
}

/* ---- a region ----------------------------------------------------------- */

async function renderRegion(code) {
	const region = S.areas.get(code);
	const munis = S.cat.areas.filter((a) => a.level === 'municipality' && a.region === code);
	applyFrame(nameOf(region), t('region_lead', {
		n: formatNumber(munis.length, 0),
		fl: formatNumber(region.pop_fl, 0),
	}));
	crumbs([
		{ text: t('crumb_finland'), href: link('/') },
		{ text: nameOf(region) },
	]);
	const content = document.getElementById('content');
	const kpiBox = h('div');
	const tableBox = h('div');
	const kpisLoaded = headline(code, 'region');
	const charts = chartGrid(code, HEADLINE, kpisLoaded);
	content.replaceChildren(
		section('headline_title', kpiBox),
		section('trends_title', h('div', { class: 'controls' }, rangePicker(charts.update)),
			charts.grid),
		section('municipalities_title', tableBox, suppressionNote()));

	const [, lists] = await Promise.all([
		kpisLoaded.then((kpis) => kpiBox.replaceChildren(kpiCards(kpis))),
		Promise.all(TABLE_INDICATORS.filter((id) => S.indicators.has(id))
			.map((id) => latest(id, 'municipality', code).then((l) => [id, l]))),
		charts.update(),
	]);

	const byArea = new Map(munis.map((m) => [m.code, { area: m.code, m, values: {} }]));
	for (const [id, list] of lists)
		for (const r of list) {
			const row = byArea.get(r.area);
			if (!row)
				continue;
			row.values[id] = r;
			row.status = row.status || r.status;
			row.period = row.period || r.period;
		}
	const rows = [...byArea.values()];
	const statusRank = { failing: 0, never: 1, late: 2, ok: 3 };
	const cols = [
		{ label: t('col_municipality'), sort: (r) => nameOf(r.m), cell: (r) => h('a', { href: link(`/municipality/${r.area}`) }, nameOf(r.m)) },
		{ label: t('col_status'), sort: (r) => statusRank[r.status || 'never'], cell: (r) => statusBadge(r.status) },
		{ label: t('col_period'), sort: (r) => r.period || null, cell: (r) => periodNode(r.period, 'short') },
	];
	for (const id of TABLE_INDICATORS) {
		const ind = S.indicators.get(id);
		if (!ind)
			continue;
		cols.push({
			label: t(`col_${id}`),
			num: true,
			sort: (r) => (r.values[id] && !r.values[id].suppressed ? r.values[id].value : null),
			cell: (r) => {
				const v = r.values[id];
				if (id === 'gp_coverage' && v && !v.suppressed && v.value !== null)
					return v.value > 0 ? t('yes') : t('no');
				return v ? valueNode(v.value, ind.unit, v.suppressed) : valueNode(null, ind.unit, false);
			},
		});
	}
	cols.push({ label: t('col_reports_by'), sort: (r) => r.m.reports_by, cell: (r) => t(`reports_by_${r.m.reports_by}`) });
	const caption = t('municipalities_caption', { region: nameOf(region) });
	/* A municipality's latest month is its own (a late one's is earlier):
	 * the file covers every municipality from the earliest month shown to
	 * the latest, so each figure shown is in it with its own month. */
	const ids = TABLE_INDICATORS.filter((id) => S.indicators.has(id));
	tableBox.replaceChildren(...[
		dataTable({ caption, sortable: true, sortBy: 0, columns: cols, rows }),
		downloadLinks({
			area: `${code}:children`,
			ids,
			periods: rows.flatMap((r) => ids.map((id) => r.values[id] && r.values[id].period)),
		}, caption),
	].filter(Boolean));
}

/* ---- a municipality ----------------------------------------------------- */

async function renderMunicipality(code) {
	const m = S.areas.get(code);
	const region = S.areas.get(m.region);
	applyFrame(nameOf(m), t('municipality_lead', { region: nameOf(region) }));
	crumbs([
		{ text: t('crumb_finland'), href: link('/') },
		{ text: nameOf(region), href: link(`/region/${m.region}`) },
		{ text: nameOf(m) },
	]);
	const content = document.getElementById('content');
	const factsBox = h('div');
	const problemsBox = h('div');
	const indIds = S.cat.indicators.map((i) => i.id);
	const mIds = S.cat.measures.map((x) => x.id);
	const indCharts = chartGrid(code, indIds);
	const mCharts = chartGrid(code, mIds);
	const update = () => Promise.all([indCharts.update(), mCharts.update()]);
	/* Signed in as this municipality: its form and upload; as it or the
	 * ministry: its record (SPEC §8). */
	const s = S.session || {};
	const own = signedIn() && s.role === 'municipality' && s.area === code;
	const mayRead = own || (signedIn() && s.role === 'ministry');
	const healthLoaded = api('/api/v1/health', { lang: S.lang, area: code });
	const activity = mayRead ? activityBlock(code, own) : null;
	const extra = [];
	let reportReady = null;
	if (own) {
		const report = h('div');
		const onSubmitted = () => (activity ? activity.reload() : null);
		reportReady = healthLoaded.then((hl) => {
			const f = reportForm(code, hl.expected_period, onSubmitted);
			report.replaceChildren(f.el);
			return f.ready;
		});
		extra.push(
			section('report_title', h('p', { class: 'section-lead' }, t('report_lead')), report),
			section('upload_title', uploadForm(code, onSubmitted)));
	}
	if (activity)
		extra.push(section('activity_title', activity.el));
	content.replaceChildren(
		section('facts_title', factsBox),
		...extra,
		section('problems_title', problemsBox),
		h('div', { class: 'controls' }, rangePicker(update)),
		section('indicators_title', indCharts.grid),
		section('measures_title', mCharts.grid, suppressionNote()));

	const [status, health] = await Promise.all([
		latest('gp_coverage', 'municipality', m.region),
		healthLoaded,
		update(),
		reportReady,
		activity ? activity.reload() : null,
	]);
	const st = status.find((r) => r.area === code) || {};
	const ep = (health.endpoints || []).find((e) => e.area === code);
	const facts = h('dl', { class: 'facts' });
	const fact = (k, v) => facts.append(h('div', null, h('dt', null, t(k)), h('dd', null, v)));
	fact('fact_status', statusBadge(st.status));
	fact('fact_period', periodNode(st.period));
	fact('fact_arrived', ep && ep.last_success
		? h('time', { datetime: new Date(ep.last_success * 1000).toISOString() }, formatTime(ep.last_success))
		: t(m.reports_by === 'endpoint' ? 'never' : 'by_submission_arrival'));
	fact('fact_reports_by', t(`reports_by_${m.reports_by}`));
	fact('fact_population', formatNumber(m.pop_total, 0));
	fact('fact_population_fl', formatNumber(m.pop_fl, 0));
	factsBox.replaceChildren(facts);

	const problems = [];
	if (ep && ep.last_error)
		problems.push(h('div', { class: `alert ${ep.status === 'failing' ? 'alert-bad' : 'alert-warn'}` },
			h('p', null, h('strong', null, t('last_error')), ' ', ep.last_error),
			h('p', { class: 'small' }, t('last_error_meta', {
				time: formatTime(ep.last_error_time),
				n: formatNumber(ep.consecutive_failures || 0, 0),
			}))));
	const rejections = (health.rejections || []).filter((r) => r.area === code);
	if (rejections.length > 0)
		problems.push(dataTable({
			caption: t('rejections_caption'),
			columns: [
				{ label: t('col_measure'), cell: (r) => nameOf(S.measures.get(r.measure)) || r.measure },
				{ label: t('col_reason'), cell: (r) => t(`reason_${r.reason}`) + (r.detail ? ` (${r.detail})` : '') },
				{ label: t('col_period'), cell: (r) => periodNode(r.period, 'short') },
				{ label: t('col_time'), cell: (r) => formatTime(r.time) },
			],
			rows: rejections,
		}));
	const violations = groupViolations((health.violations || []).filter((v) => v.area === code));
	if (violations.length > 0)
		problems.push(dataTable({
			caption: t('violations_caption'),
			columns: [
				{ label: t('col_rule'), cell: (r) => h('code', null, r.rule) },
				{ label: t('col_period'), cell: (r) => periodNode(r.period, 'short') },
				{ label: t('col_times'), num: true, cell: (r) => formatNumber(r.n, 0) },
				{ label: t('col_last_seen'), cell: (r) => formatTime(r.time) },
			],
			rows: violations,
		}));
	problemsBox.replaceChildren(...(problems.length > 0 ? problems
		: [okNote(t('no_problems'))]));
}

/* ---- collection health -------------------------------------------------- */

/* Each poll of a document that breaks a rule records it again: one row per
 * (municipality, rule, period) with how often and when last. */
function groupViolations(list) {
	const out = new Map();
	for (const v of list) {
		const key = `${v.area}|${v.rule}|${v.period}`;
		const g = out.get(key);
		if (g) {
			g.n += 1;
			g.time = Math.max(g.time, v.time);
		} else {
			out.set(key, { ...v, n: 1 });
		}
	}
	return [...out.values()].sort((a, b) => b.time - a.time);
}

async function renderHealth() {
	applyFrame(t('health_title'), t('health_lead'));
	crumbs([
		{ text: t('crumb_finland'), href: link('/') },
		{ text: t('health_title') },
	]);
	const hl = await api('/api/v1/health', { lang: S.lang });
	const content = document.getElementById('content');
	const counts = hl.counts || {};
	const cycle = hl.cycle || {};
	const countCards = h('div', { class: 'kpis' }, STATUSES.map((s) =>
		h('section', { class: `card kpi kpi-${s}` },
			h('h3', { class: 'kpi-title' }, statusBadge(s)),
			h('p', { class: 'kpi-value' }, formatNumber(counts[s] || 0, 0)),
			h('p', { class: 'kpi-meta' }, t(`status_${s}_help`)))));
	const cycleList = h('dl', { class: 'facts' });
	const fact = (k, v) => cycleList.append(h('div', null, h('dt', null, t(k)), h('dd', null, v)));
	fact('cycle_last_end', cycle.last_end ? `${formatTime(cycle.last_end)} (${formatAgo(cycle.last_end)})` : t('never'));
	fact('cycle_duration', cycle.last_duration_s === null || cycle.last_duration_s === undefined
		? '–' : t('seconds', { n: formatNumber(cycle.last_duration_s, cycle.last_duration_s < 10 ? 2 : 0) }));
	fact('cycle_count', formatNumber(cycle.cycles || 0, 0));
	fact('cycle_running', cycle.running ? t('yes') : t('no'));
	fact('expected_period', periodNode(hl.expected_period));

	const eps = hl.endpoints || [];
	const rank = { failing: 0, late: 1, never: 2, ok: 3 };
	const bad = eps.filter((e) => e.status !== 'ok')
		.sort((a, b) => (rank[a.status] - rank[b.status]) || (b.consecutive_failures - a.consecutive_failures));
	const cols = [
		{ label: t('col_municipality'), sort: (e) => e.name || e.area, cell: (e) => h('a', { href: link(`/municipality/${e.area}`) }, e.name || nameOf(S.areas.get(e.area))) },
		{ label: t('col_status'), sort: (e) => rank[e.status], cell: (e) => statusBadge(e.status) },
		{ label: t('col_failures'), num: true, sort: (e) => e.consecutive_failures, cell: (e) => formatNumber(e.consecutive_failures || 0, 0) },
		{ label: t('col_last_error'), sort: (e) => e.last_error || '', cell: (e) => (e.last_error ? h('span', { class: 'err' }, e.last_error) : '–') },
		{ label: t('col_last_success'), sort: (e) => e.last_success || 0, cell: (e) => formatTime(e.last_success) },
		{ label: t('col_period'), sort: (e) => e.period || null, cell: (e) => periodNode(e.period, 'short') },
		{ label: t('col_latency'), num: true, sort: (e) => e.latency_ms, cell: (e) => (e.latency_ms === null || e.latency_ms === undefined ? '–' : `${formatNumber(e.latency_ms, 0)} ms`) },
	];
	const badTable = bad.length > 0
		? dataTable({ caption: t('attention_caption', { n: formatNumber(bad.length, 0) }), sortable: true, columns: cols, rows: bad })
		: okNote(t('all_ok'));
	const allTable = h('details', null,
		h('summary', null, t('all_endpoints', { n: formatNumber(eps.length, 0) })),
		dataTable({ caption: t('all_endpoints_caption'), sortable: true, sortBy: 0, columns: cols, rows: eps }));
	const viol = groupViolations(hl.violations || []);
	const violTable = viol.length > 0
		? dataTable({
			caption: t('violations_recent_caption'),
			sortable: true,
			columns: [
				{ label: t('col_municipality'), sort: (v) => nameOf(S.areas.get(v.area)), cell: (v) => h('a', { href: link(`/municipality/${v.area}`) }, nameOf(S.areas.get(v.area)) || v.area) },
				{ label: t('col_rule'), sort: (v) => v.rule, cell: (v) => h('code', null, v.rule) },
				{ label: t('col_period'), sort: (v) => v.period || null, cell: (v) => periodNode(v.period, 'short') },
				{ label: t('col_times'), num: true, sort: (v) => v.n, cell: (v) => formatNumber(v.n, 0) },
				{ label: t('col_last_seen'), sort: (v) => v.time, cell: (v) => formatTime(v.time) },
			],
			rows: viol,
		})
		: h('p', { class: 'muted' }, t('no_violations'));
	/* the open outlier flags, for the ministry only (absent for others) */
	const outliers = Array.isArray(hl.outliers)
		? [section('outliers_title', h('p', { class: 'section-lead' }, t('outliers_lead')), outliersTable(hl.outliers))]
		: [];
	content.replaceChildren(
		section('health_counts_title', countCards),
		...outliers,
		section('cycle_title', cycleList),
		section('attention_title', badTable, allTable),
		section('violations_title', violTable));
}

/* ---- signed in: the session (SPEC §8) ----------------------------------- */

/*
 * GET /api/v1/session says who is signed in (the cookie is HttpOnly: the
 * script never sees it, the browser sends it with every same-origin
 * fetch) and whether the public may read at all. Every request that
 * changes something carries the CSRF value the session gave
 * (X-CSRF-Token); reads need none. A daemon that cannot answer is taken
 * as public with nobody signed in.
 */
async function loadSession() {
	try {
		const r = await fetch('/api/v1/session', {
			headers: { Accept: 'application/json' }, cache: 'no-store',
		});
		if (r.ok)
			return await r.json();
	} catch (e) {
		/* as below */
	}
	return { signed_in: false, public: true };
}

function signedIn() {
	return Boolean(S.session && S.session.signed_in);
}

/* A request that may change state: JSON or text in, {status, ok, data}
 * out (data: the JSON answer, null if there is none). Never throws for
 * an HTTP status; a network failure is status 0. */
async function send(method, path, opts) {
	const o = opts || {};
	const u = new URL(path, location.origin);
	for (const [k, v] of Object.entries(o.query || {}))
		u.searchParams.set(k, v);
	const headers = { Accept: 'application/json' };
	if (S.session && S.session.csrf)
		headers['X-CSRF-Token'] = S.session.csrf;
	let body;
	if (o.json !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(o.json);
	} else if (o.text !== undefined) {
		headers['Content-Type'] = o.type;
		body = o.text;
	}
	let r;
	try {
		r = await fetch(u, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
	} catch (e) {
		return { status: 0, ok: false, data: { error: String(e && e.message ? e.message : e) } };
	}
	let data = null;
	try {
		data = await r.json();
	} catch (e) {
		data = null;
	}
	return { status: r.status, ok: r.ok, data };
}

/* The server's reason in words, for a refusal shown to the user. */
function refusalText(r) {
	const why = r.data && r.data.error ? r.data.error : '';
	if (r.status === 0)
		return t('error_network');
	return why ? t('error_http_why', { status: r.status, why }) : t('error_http', { status: r.status });
}

function tOr(key, fallback) {
	return typeof S.T[key] === 'string' ? S.T[key] : fallback;
}

function areaNameOf(s) {
	if (s.area_name)
		return s.area_name[S.lang] || s.area_name.fi || s.area || '';
	const a = s.area ? S.areas.get(s.area) : null;
	return a ? nameOf(a) : s.area || '';
}

/* Where to go after signing in: ?next= when it is a path on this site
 * (never another origin: "//host" and "/\host" are refused), else the
 * municipality's own page or the national overview. */
function afterSignIn(s, next) {
	if (typeof next === 'string' && /^\/(?![/\\])/.test(next) && !/[\\\s]/.test(next) &&
		!next.startsWith('/signin'))
		return next;
	return s.role === 'municipality' && s.area ? link(`/municipality/${s.area}`) : link('/');
}

/* The header: who is signed in and "Sign out", or "Sign in". */
function renderAccount() {
	const box = document.getElementById('account');
	if (!box)
		return;
	const s = S.session;
	if (signedIn()) {
		const who = s.role === 'ministry' ? t('who_ministry')
			: t('who_municipality', { name: areaNameOf(s) });
		box.replaceChildren(
			h('span', { class: 'who' },
				/* "Hamina (municipality)" beside "Sign out" says it to
				 * the eye; a screen reader hears what it is */
				h('span', { class: 'sr-only' }, t('signed_in_as')), ' ',
				s.role === 'municipality' && s.area
					? h('a', { href: link(`/municipality/${s.area}`) }, who)
					: h('strong', null, who)),
			h('button', { type: 'button', class: 'signout', onclick: signOut }, t('signout_button')));
	} else if (PAGE === 'signin' || s.public === false) {
		/* the page itself is the sign-in form */
		box.replaceChildren();
	} else {
		const q = new URLSearchParams({ lang: S.lang, next: location.pathname + location.search });
		box.replaceChildren(h('a', { class: 'signin-link', href: `/signin?${q}` }, t('signin_link')));
	}
}

async function signOut(e) {
	const button = e.currentTarget;
	button.disabled = true;
	const r = await send('DELETE', '/api/v1/session');
	/* 401: the session had already ended; the page is public again */
	if (r.ok || r.status === 401) {
		location.reload();
		return;
	}
	button.disabled = false;
	setStatus(`${t('signout_failed')} ${refusalText(r)}`);
}

/*
 * The sign-in form: one labelled password field for the token. It posts
 * to /api/v1/session itself (a form the browser could send without the
 * script); the script sends it as JSON, says what went wrong in a live
 * region next to the field and moves focus back to the field, and on
 * success goes to next.
 */
function signinForm(next) {
	const msg = h('p', { class: 'form-msg', id: 'signin-msg', 'aria-live': 'assertive' });
	const input = h('input', {
		id: 'signin-token', name: 'token', type: 'password', required: true,
		autocomplete: 'current-password', spellcheck: 'false', autocapitalize: 'off',
		'aria-describedby': 'signin-token-hint',
	});
	const button = h('button', { type: 'submit', class: 'button' }, t('signin_button'));
	function fail(text) {
		input.setAttribute('aria-invalid', 'true');
		input.setAttribute('aria-describedby', 'signin-token-hint signin-msg');
		msg.textContent = text;
		msg.classList.add('is-error');
		button.disabled = false;
		input.focus();
	}
	async function onsubmit(e) {
		e.preventDefault();
		const token = input.value.trim();
		if (token === '') {
			fail(t('signin_empty'));
			return;
		}
		button.disabled = true;
		msg.classList.remove('is-error');
		msg.textContent = t('signin_busy');
		const r = await send('POST', '/api/v1/session', { json: { token } });
		if (r.ok && r.data && r.data.signed_in) {
			msg.textContent = t('signin_done');
			location.assign(afterSignIn(r.data, next));
			return;
		}
		fail(r.status === 401 ? t('signin_refused')
			: r.status === 429 ? t('signin_too_many') : refusalText(r));
	}
	return h('form', {
		class: 'card form signin', action: '/api/v1/session', method: 'post',
		novalidate: true, onsubmit,
	},
	h('div', { class: 'field' },
		h('label', { for: 'signin-token' }, t('signin_token_label')),
		h('p', { class: 'hint', id: 'signin-token-hint' }, t('signin_token_hint')),
		input),
	msg,
	h('div', { class: 'form-actions' }, button));
}

/* /signin, or any page while the public may not read and nobody is
 * signed in (the page's own figures would all be refused). */
function renderSignin() {
	const gate = PAGE !== 'signin';
	applyFrame(t('signin_title'), t(gate ? 'signin_lead_private' : 'signin_lead'));
	crumbs([
		{ text: t('crumb_finland'), href: link('/') },
		{ text: t('signin_title') },
	]);
	const content = document.getElementById('content');
	if (signedIn()) {
		content.replaceChildren(h('div', { class: 'card' },
			h('p', null, t('signin_already', {
				who: S.session.role === 'ministry' ? t('who_ministry')
					: t('who_municipality', { name: areaNameOf(S.session) }),
			})),
			h('p', null, h('a', { href: afterSignIn(S.session, params.get('next')) }, t('signin_continue')))));
		return;
	}
	content.replaceChildren(signinForm(gate ? location.pathname + location.search : params.get('next')));
}

/* ---- reporting: the municipality's form, CSV upload --------------------- */

/* A pause in typing before the figures are checked: each check is a POST
 * that counts against the token's submit_rate, like a submission. */
const CHECK_DELAY_MS = 600;
const PERIODS_OFFERED = 24;
const CSV_EXAMPLE = 'area,period,measure,value\n{area},{period},contacts,120\n{area},{period},staff_fte,2.5';

function periodAdd(p, n) {
	const [y, m] = p.split('-').map(Number);
	const k = y * 12 + m - 1 + n;
	return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
}

function decimalSep() {
	return S.lang === 'en' ? '.' : ',';
}

/* A typed figure as the document's number: "12,5" and "12.5" in Finnish
 * and Swedish, "1,234.5" in English, spaces as thousands separators.
 * What is no number goes as typed, so that the server's check names it
 * (not_number) as it would for a program's document; "" is no value. */
function parseFigure(text) {
	let s = text.trim().replace(/[\s\u00a0\u202f]/g, '').replace(/^[\u2212\u2013]/, '-');
	if (s === '')
		return undefined;
	if (S.lang === 'en')
		s = s.replace(/,(?=\d{3}(\D|$))/g, '');
	else
		s = s.replace(',', '.');
	return /^-?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : text.trim();
}

/* A number as one would type it in the page's language. */
function figureText(v) {
	return String(v).replace('.', decimalSep());
}

function boundText(v) {
	return formatNumber(v, Number.isInteger(v) ? 0 : 2);
}

/* The current values of a period, {measure -> value}, from the
 * figures' history (/api/v1/revisions: the municipality's own). */
async function heldValues(area, period) {
	const out = new Map();
	const list = await api('/api/v1/revisions', { area, period });
	for (const r of list)
		if (r.replaced === null && r.period === period && r.value !== null)
			out.set(r.measure, r.value);
	return out;
}

function reasonText(reason, m) {
	if (reason === 'out_of_range' && m)
		return t('field_out_of_range', { min: boundText(m.min), max: boundText(m.max) });
	return tOr(`reason_${reason}`, reason);
}

/* "contacts_remote <= contacts" with the figures' names. */
function ruleNode(rule) {
	const named = rule.replace(/[a-z_]+/g, (id) => (S.measures.has(id) ? nameOf(S.measures.get(id)) : id))
		.replace('<=', '≤').replace('>=', '≥');
	return h('span', null, named, ' ', h('code', { class: 'rule' }, rule));
}

function listOf(items) {
	return h('ul', { class: 'plain-list' }, items.map((x) => h('li', null, x)));
}

/* What a receipt or a check says about one document: {accepted,
 * rejected, violations} against the values sent. */
function outcomeTables(a, measures, captionOf) {
	const out = [];
	const acc = (a.accepted || []).filter((id) => S.measures.has(id));
	const rej = (a.rejected || []).filter((r) => r.reason !== 'missing');
	const missing = (a.rejected || []).filter((r) => r.reason === 'missing');
	if (acc.length > 0)
		out.push(dataTable({
			caption: captionOf('accepted'),
			columns: [
				{ label: t('col_measure'), cell: (id) => nameOf(S.measures.get(id)) },
				{ label: t('col_value'), num: true, cell: (id) => (id in measures ? valueNode(measures[id], S.measures.get(id).unit, false, true) : '–') },
			],
			rows: acc,
		}));
	if (rej.length > 0)
		out.push(dataTable({
			caption: captionOf('rejected'),
			columns: [
				{ label: t('col_measure'), cell: (r) => nameOf(S.measures.get(r.measure)) || r.measure },
				{ label: t('col_value'), cell: (r) => (r.measure in measures ? String(measures[r.measure]) : '–') },
				{ label: t('col_reason'), cell: (r) => h('span', { class: 'err' }, reasonText(r.reason, S.measures.get(r.measure))) },
			],
			rows: rej,
		}));
	if (missing.length > 0)
		out.push(h('p', { class: 'small' }, t(a.kind === 'revision' || a.kind === 'unchanged' ? 'receipt_missing_kept' : 'receipt_missing', {
			n: formatNumber(missing.length, 0),
		}), ' ', missing.map((r) => nameOf(S.measures.get(r.measure)) || r.measure).join(', '), '.'));
	if ((a.violations || []).length > 0)
		out.push(h('div', { class: 'violations' },
			h('p', null, h('strong', null, t('report_violations'))),
			listOf(a.violations.map(ruleNode))));
	return out;
}

/* The receipt of a real submission (or a dry run's answer, dry). */
function receiptNode(a, doc, onAgain) {
	const headId = nextId('receipt');
	const box = h('section', { class: 'card receipt', 'aria-labelledby': headId, tabindex: '-1' },
		h('h3', { id: headId },
			h('span', { class: 'ok-icon', 'aria-hidden': 'true' }, '✓'), ' ',
			tNodes('receipt_title', { month: periodNode(a.period) })),
		h('p', { class: 'receipt-kind' },
			h('strong', null, tOr(`kind_${a.kind}`, a.kind)), ' – ', tOr(`kind_${a.kind}_help`, '')),
		h('p', null, t('receipt_counts', {
			accepted: formatNumber((a.accepted || []).length, 0),
			rejected: formatNumber((a.rejected || []).filter((r) => r.reason !== 'missing').length, 0),
		})),
		outcomeTables(a, doc.measures, (what) => t(`receipt_${what}_caption`, { month: formatPeriod(a.period) })),
		h('p', { class: 'small muted' }, t('receipt_time', { time: formatTime(Date.now() / 1000) })),
		onAgain ? h('div', { class: 'form-actions' },
			h('button', { type: 'button', class: 'button button-secondary', onclick: onAgain }, t('report_again'))) : null);
	return box;
}

/*
 * The report form: one period's document (SPEC §4), every measure of the
 * catalog with its name, unit, bounds and the previous period's value;
 * figures already held for the period are filled in (a correction is a
 * revision). Each change is checked after a pause by the server itself
 * (POST /api/v1/submissions?dry_run=1, the same checks as a real
 * submission, nothing stored): a value it would reject is marked at its
 * field (aria-invalid, the reason in the field's description) before
 * anything is sent, and broken rules are listed. Submit sends the
 * document and shows the receipt.
 */
function reportForm(code, expected, onSubmitted) {
	const root = h('div', { class: 'report' });
	const last = periodAdd(periodOf(Date.now() / 1000), -1);
	const periods = [];
	for (let i = 0; i < PERIODS_OFFERED; i++)
		periods.push(periodAdd(last, -i));
	const initial = expected && periods.includes(expected) ? expected : last;
	let timer = null;
	let seq = 0;
	let lastCheck = null;

	const periodId = nextId('report-period');
	const periodSel = h('select', { id: periodId, name: 'period' },
		periods.map((p) => h('option', { value: p, selected: p === initial }, formatPeriod(p))));
	const heldNote = h('p', { class: 'note', id: `${periodId}-note` });
	periodSel.setAttribute('aria-describedby', `${periodId}-note`);
	const fields = S.cat.measures.map((m) => {
		const id = `m-${m.id}`;
		const input = h('input', {
			id, name: m.id, type: 'text', inputmode: 'decimal', autocomplete: 'off',
			spellcheck: 'false', 'aria-describedby': `${id}-hint`,
			oninput: () => schedule(),
		});
		const prev = h('span', { class: 'prev' });
		const hint = h('p', { class: 'hint', id: `${id}-hint` },
			h('span', null, m.unit === '0/1' ? t('unit_yes_no') : unitText(m.unit)),
			h('span', null, t('field_bounds', { min: boundText(m.min), max: boundText(m.max) })),
			prev);
		const err = h('p', { class: 'field-error', id: `${id}-err` });
		const el = h('div', { class: 'field', 'data-measure': m.id },
			h('label', { for: id }, nameOf(m)), hint, input, err);
		return { m, id, input, prev, err, el };
	});
	const checkMsg = h('p', { class: 'check-msg', 'aria-live': 'polite' });
	const violBox = h('div', { class: 'violations', 'aria-live': 'polite' });
	const formMsg = h('p', { class: 'form-msg', 'aria-live': 'assertive', tabindex: '-1' });
	const submitBtn = h('button', { type: 'submit', class: 'button' }, t('report_submit'));

	function setError(f, text) {
		f.input.setAttribute('aria-invalid', 'true');
		f.input.setAttribute('aria-describedby', `${f.id}-hint ${f.id}-err`);
		f.err.replaceChildren(h('span', { 'aria-hidden': 'true' }, '✕ '), text);
		f.el.classList.add('has-error');
	}

	function clearError(f) {
		f.input.removeAttribute('aria-invalid');
		f.input.setAttribute('aria-describedby', `${f.id}-hint`);
		f.err.replaceChildren();
		f.el.classList.remove('has-error');
	}

	function documentNow() {
		const measures = {};
		for (const f of fields) {
			const v = parseFigure(f.input.value);
			if (v !== undefined)
				measures[f.m.id] = v;
		}
		return { municipality: code, period: periodSel.value, measures };
	}

	function schedule() {
		clearTimeout(timer);
		timer = setTimeout(check, CHECK_DELAY_MS);
	}

	function showCheck(doc, r) {
		formMsg.textContent = '';
		formMsg.classList.remove('is-error');
		if (!(r.status === 200 && r.data)) {
			for (const f of fields)
				clearError(f);
			violBox.replaceChildren();
			checkMsg.textContent = '';
			formMsg.textContent = `${t('report_check_failed')} ${refusalText(r)}`;
			formMsg.classList.add('is-error');
			return;
		}
		const rejected = new Map((r.data.rejected || []).map((x) => [x.measure, x.reason]));
		let nOk = 0;
		let nBad = 0;
		for (const f of fields) {
			const sent = f.m.id in doc.measures;
			const why = rejected.get(f.m.id);
			if (sent && why && why !== 'missing') {
				setError(f, reasonText(why, f.m));
				nBad += 1;
			} else {
				clearError(f);
				if (sent)
					nOk += 1;
			}
		}
		const viol = r.data.violations || [];
		violBox.replaceChildren(...(viol.length > 0 ? [
			h('p', null, h('strong', null, t('report_violations'))),
			listOf(viol.map(ruleNode)),
		] : []));
		checkMsg.textContent = [
			t('report_check_summary', {
				ok: formatNumber(nOk, 0), bad: formatNumber(nBad, 0),
				empty: formatNumber(fields.length - nOk - nBad, 0),
			}),
			/* what sending would do, once nothing is left to correct */
			nBad === 0 ? tOr(`kind_would_${r.data.kind}`, '') : '',
		].filter(Boolean).join(' ');
	}

	/* Checks the document as it is now; an answer to an older one
	 * (typing went on meanwhile) is dropped. */
	async function check() {
		clearTimeout(timer);
		timer = null;
		const doc = documentNow();
		const my = ++seq;
		if (Object.keys(doc.measures).length === 0) {
			for (const f of fields)
				clearError(f);
			violBox.replaceChildren();
			checkMsg.textContent = t('report_check_empty');
			return { doc, r: null };
		}
		/* the same document is not checked twice (a field typed and
		 * restored, a submit right after a check) */
		const key = JSON.stringify(doc);
		let r;
		if (lastCheck && lastCheck.key === key) {
			r = lastCheck.r;
		} else {
			r = await send('POST', '/api/v1/submissions', { query: { dry_run: 1 }, json: doc });
			if (r.status === 200)
				lastCheck = { key, r };
		}
		if (my === seq)
			showCheck(doc, r);
		return { doc, r, current: my === seq };
	}

	function failForm(text, focus) {
		formMsg.textContent = text;
		formMsg.classList.add('is-error');
		(focus || formMsg).focus();
	}

	async function onsubmit(e) {
		e.preventDefault();
		submitBtn.disabled = true;
		try {
			const { doc, r } = await check();
			if (r === null) {
				failForm(t('report_empty'), fields[0].input);
				return;
			}
			if (r.status !== 200)
				return failForm(`${t('report_check_failed')} ${refusalText(r)}`);
			const bad = fields.filter((f) => f.input.getAttribute('aria-invalid') === 'true');
			if (bad.length > 0) {
				failForm(t('report_fix_first', { n: formatNumber(bad.length, 0) }), bad[0].input);
				return;
			}
			const sent = await send('POST', '/api/v1/submissions', { json: doc });
			lastCheck = null;
			if (sent.status !== 202 || !sent.data) {
				failForm(`${t('report_refused')} ${refusalText(sent)}`);
				return;
			}
			const rc = receiptNode(sent.data, doc, () => {
				root.replaceChildren(form);
				load(periodSel.value).then(() => periodSel.focus());
			});
			root.replaceChildren(rc);
			rc.focus();
			if (onSubmitted)
				onSubmitted(sent.data);
		} finally {
			submitBtn.disabled = false;
		}
	}

	/* The period's held figures into the fields, the previous one's
	 * beside them. */
	async function load(period) {
		const prevPeriod = periodAdd(period, -1);
		let held = new Map();
		let prev = new Map();
		try {
			[held, prev] = await Promise.all([heldValues(code, period), heldValues(code, prevPeriod)]);
		} catch (e) {
			formMsg.textContent = `${t('report_prev_failed')} ${e.message}`;
		}
		for (const f of fields) {
			clearError(f);
			f.input.value = held.has(f.m.id) ? figureText(held.get(f.m.id)) : '';
			f.prev.replaceChildren(...(prev.has(f.m.id)
				? tNodes('field_prev', {
					month: periodNode(prevPeriod, 'short'),
					value: h('span', { class: 'value' }, f.m.unit === '0/1' ? `${formatValue(prev.get(f.m.id), f.m.unit)} (${prev.get(f.m.id)})` : formatValue(prev.get(f.m.id), f.m.unit)),
				})
				: tNodes('field_prev_none', { month: periodNode(prevPeriod, 'short') })));
		}
		heldNote.textContent = held.size > 0 ? t('report_held', { n: formatNumber(held.size, 0) })
			: period < (expected || last) ? t('report_late_note') : t('report_new_note');
		violBox.replaceChildren();
		checkMsg.textContent = '';
		if (held.size > 0)
			await check();
	}

	periodSel.addEventListener('change', () => load(periodSel.value));
	const form = h('form', { class: 'form report-form', novalidate: true, onsubmit },
		h('div', { class: 'field field-period' },
			h('label', { for: periodId }, t('report_period')), periodSel, heldNote),
		h('fieldset', { class: 'measures' },
			h('legend', null, t('report_figures')),
			h('div', { class: 'field-grid' }, fields.map((f) => f.el))),
		violBox, checkMsg, formMsg,
		h('div', { class: 'form-actions' }, submitBtn));
	root.append(form);
	return { el: root, ready: load(initial) };
}

/* The CSV upload: rows of the import format for the municipality's own
 * figures, all stored or none; "Check" sends it with dry_run=1. */
function uploadForm(code, onSubmitted) {
	const id = nextId('csv');
	const input = h('input', {
		type: 'file', id, name: 'file', accept: '.csv,text/csv',
		'aria-describedby': `${id}-hint`,
	});
	const out = h('div', { class: 'upload-result', 'aria-live': 'polite' });
	const example = t('upload_example_intro');
	const sample = fillVars(CSV_EXAMPLE, { area: code, period: periodAdd(periodOf(Date.now() / 1000), -1) });
	const checkBtn = h('button', { type: 'button', class: 'button button-secondary', onclick: () => go(true) }, t('upload_check'));
	const sendBtn = h('button', { type: 'submit', class: 'button' }, t('upload_send'));

	async function go(dry) {
		const file = input.files && input.files[0];
		if (!file) {
			out.replaceChildren(h('p', { class: 'form-msg is-error' }, t('upload_choose')));
			input.focus();
			return;
		}
		checkBtn.disabled = true;
		sendBtn.disabled = true;
		try {
			const text = await file.text();
			const r = await send('POST', '/api/v1/submissions', {
				query: dry ? { dry_run: 1 } : undefined, text, type: 'text/csv; charset=utf-8',
			});
			if ((r.status === 202 || (dry && r.status === 200)) && r.data) {
				out.replaceChildren(uploadReceipt(r.data, file.name, dry));
				out.querySelector('.receipt').focus();
				if (!dry && onSubmitted)
					onSubmitted(r.data);
			} else {
				out.replaceChildren(h('div', { class: 'alert alert-bad upload-error', tabindex: '-1' },
					h('p', null, h('strong', null, t(dry ? 'upload_check_refused' : 'upload_refused', { file: file.name }))),
					h('p', null, refusalText(r))));
				out.firstChild.focus();
			}
		} finally {
			checkBtn.disabled = false;
			sendBtn.disabled = false;
		}
	}

	return h('form', {
		class: 'form upload-form', novalidate: true,
		onsubmit: (e) => {
			e.preventDefault();
			go(false);
		},
	},
	h('div', { class: 'field' },
		h('label', { for: id }, t('upload_label')),
		h('div', { class: 'hint hint-block', id: `${id}-hint` },
			h('p', null, t('upload_hint')),
			h('p', null, example),
			h('pre', { class: 'example' }, sample)),
		input),
	h('div', { class: 'form-actions' }, sendBtn, checkBtn),
	out);
}

function fillVars(s, vars) {
	return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

function uploadReceipt(a, fileName, dry) {
	const headId = nextId('upload');
	const periods = a.periods || [];
	const box = h('section', { class: `card receipt${dry ? ' is-dry' : ''}`, 'aria-labelledby': headId, tabindex: '-1' },
		h('h3', { id: headId },
			h('span', { class: 'ok-icon', 'aria-hidden': 'true' }, '✓'), ' ',
			t(dry ? 'upload_checked_title' : 'upload_done_title', {
				file: fileName, rows: formatNumber(a.rows || 0, 0),
			})),
		h('p', null, t(dry ? 'upload_checked_help' : 'upload_done_help', { n: formatNumber(periods.length, 0) })),
		periods.length > 0 ? dataTable({
			caption: t('upload_periods_caption', { file: fileName }),
			columns: [
				{ label: t('col_month'), cell: (p) => periodNode(p.period) },
				{ label: t('col_kind'), cell: (p) => tOr(`kind_${p.kind}`, p.kind || '–') },
				{ label: t('col_accepted'), num: true, cell: (p) => formatNumber((p.accepted || []).length, 0) },
				{ label: t('col_rejected'), cell: (p) => ((p.rejected || []).length === 0 ? '–'
					: p.rejected.map((r) => `${nameOf(S.measures.get(r.measure)) || r.measure}: ${reasonText(r.reason, S.measures.get(r.measure))}`).join('; ')) },
				{ label: t('col_violations'), cell: (p) => ((p.violations || []).length === 0 ? '–' : listOf(p.violations.map(ruleNode))) },
			],
			rows: periods,
		}) : null);
	return box;
}

/* ---- the municipality's record: activity and flags ---------------------- */

function timeNode(sec) {
	if (!sec)
		return t('never');
	return h('time', { datetime: new Date(sec * 1000).toISOString() }, formatTime(sec));
}

function measureName(id) {
	return nameOf(S.measures.get(id)) || id;
}

function measureValue(id, v) {
	const m = S.measures.get(id);
	return valueNode(v, m ? m.unit : '', false, true);
}

/* Every value a figure had, as changes: for each (period, measure) with
 * more than one value, each later value with the one it replaced. */
function revisionChanges(list) {
	const groups = new Map();
	for (const r of list || []) {
		const k = `${r.period}|${r.measure}`;
		if (!groups.has(k))
			groups.set(k, []);
		groups.get(k).push(r);
	}
	const out = [];
	for (const g of groups.values()) {
		g.sort((a, b) => a.received - b.received);
		for (let i = 1; i < g.length; i++)
			out.push({ ...g[i], old: g[i - 1].value });
	}
	return out.sort((a, b) => b.received - a.received);
}

function zText(z) {
	if (z === null || z === undefined || !Number.isFinite(z))
		return t('z_infinite');
	return formatNumber(z, 1);
}

/* One flag: the figure, what is usual for it, and its confirmation: a
 * form for the municipality itself, the comment for everyone else. */
function flagItem(f, canConfirm, onConfirmed) {
	const headId = nextId('flag');
	const li = h('li', { class: 'card flag', 'aria-labelledby': headId },
		h('h4', { id: headId }, measureName(f.measure), ', ', periodNode(f.period)),
		h('p', null, tNodes(Number.isFinite(f.z) ? 'flag_values' : 'flag_values_flat', {
			value: measureValue(f.measure, f.value),
			median: measureValue(f.measure, f.median),
			z: zText(f.z),
		})),
		h('p', { class: 'small muted' }, t('flag_raised', { time: formatTime(f.raised) })));
	if (f.confirmed) {
		li.classList.add('is-confirmed');
		li.append(h('p', { class: 'flag-comment' },
			h('strong', null, t('flag_confirmed', { time: formatTime(f.confirmed) })), ' ',
			h('q', null, f.comment || '')));
		return li;
	}
	if (!canConfirm) {
		li.append(h('p', null, h('span', { class: 'badge badge-late' }, t('flag_open'))));
		return li;
	}
	const id = nextId('flag-comment');
	const text = h('textarea', {
		id, name: 'comment', rows: 3, maxlength: 500, required: true,
		'aria-describedby': `${id}-hint`,
	});
	const msg = h('p', { class: 'form-msg', id: `${id}-msg`, 'aria-live': 'assertive' });
	const button = h('button', { type: 'submit', class: 'button' }, t('flag_confirm_button'));
	const form = h('form', {
		class: 'form flag-form', novalidate: true,
		onsubmit: async (e) => {
			e.preventDefault();
			const comment = text.value.trim();
			const fail = (s) => {
				msg.textContent = s;
				msg.classList.add('is-error');
				text.setAttribute('aria-invalid', 'true');
				text.setAttribute('aria-describedby', `${id}-hint ${id}-msg`);
				text.focus();
			};
			if (comment === '')
				return fail(t('flag_comment_empty'));
			button.disabled = true;
			const r = await send('POST', '/api/v1/flags', {
				json: { area: f.area, measure: f.measure, period: f.period, comment },
			});
			button.disabled = false;
			if (!r.ok)
				return fail(`${t('flag_confirm_failed')} ${refusalText(r)}`);
			onConfirmed(t('flag_confirm_done', { name: measureName(f.measure), month: formatPeriod(f.period) }));
			return null;
		},
	},
	h('div', { class: 'field' },
		h('label', { for: id }, t('flag_comment_label')),
		h('p', { class: 'hint', id: `${id}-hint` }, t('flag_comment_hint')),
		text),
	msg,
	h('div', { class: 'form-actions' }, button));
	li.append(h('details', { class: 'flag-confirm' },
		h('summary', null, t('flag_confirm_open')), form));
	return li;
}

/*
 * The municipality's record for itself or the ministry
 * (/api/v1/activity): submissions and polls with their outcomes, values
 * rejected and why, rule violations, revisions (old → new, when, how)
 * and outlier flags. reload() draws it again (after a submission).
 */
function activityBlock(code, canConfirm) {
	const box = h('div', { class: 'activity', 'aria-busy': 'true' });
	const live = h('p', { class: 'sr-only', 'aria-live': 'polite' });

	function part(titleKey, rows, table) {
		const id = nextId('act');
		return h('section', { class: 'activity-part', 'aria-labelledby': id },
			h('h3', { id }, t(titleKey), ' ', h('span', { class: 'count' }, `(${formatNumber(rows.length, 0)})`)),
			rows.length > 0 ? table() : h('p', { class: 'muted' }, t('activity_none')));
	}

	async function reload(announce) {
		box.setAttribute('aria-busy', 'true');
		let a;
		try {
			a = await api('/api/v1/activity', { area: code, limit: 50, lang: S.lang });
		} catch (e) {
			box.replaceChildren(h('div', { class: 'alert alert-warn' },
				h('p', null, t('activity_failed')), h('p', { class: 'small' }, e.message)));
			box.setAttribute('aria-busy', 'false');
			return;
		}
		const flags = a.flags || [];
		const subs = a.submissions || [];
		const polls = a.polls || [];
		const rejs = a.rejections || [];
		const viol = a.violations || [];
		const revs = revisionChanges(a.revisions);
		const flagList = () => h('ul', { class: 'flags' }, flags.map((f) => flagItem({ area: code, ...f }, canConfirm,
			(text) => reload(text))));
		box.replaceChildren(
			part('activity_flags', flags, flagList),
			part('activity_submissions', subs, () => dataTable({
				caption: t('activity_submissions_caption'),
				columns: [
					{ label: t('col_time'), cell: (s) => timeNode(s.time) },
					{ label: t('col_outcome'), cell: (s) => h('span', { class: s.status >= 400 ? 'err' : null }, `${tOr(`outcome_${s.outcome}`, s.outcome || '')} (${s.status})`) },
					{ label: t('col_kind'), cell: (s) => (s.kind ? tOr(`kind_${s.kind}`, s.kind) : '–') },
					{ label: t('col_detail'), cell: (s) => h('span', { class: 'detail' }, s.detail || '–') },
				],
				rows: subs,
			})),
			part('activity_polls', polls, () => dataTable({
				caption: t('activity_polls_caption'),
				columns: [
					{ label: t('col_time'), cell: (p) => timeNode(p.time) },
					{ label: t('col_result'), cell: (p) => (p.ok ? okMark(t('poll_ok')) : h('span', { class: 'err' }, '✕ ', t('poll_failed'))) },
					{ label: t('col_http'), num: true, cell: (p) => (p.http_status ? String(p.http_status) : '–') },
					{ label: t('col_last_error'), cell: (p) => (p.error ? h('span', { class: 'err' }, p.error) : '–') },
					{ label: t('col_latency'), num: true, cell: (p) => (p.latency_ms === null || p.latency_ms === undefined ? '–' : `${formatNumber(p.latency_ms, 0)} ms`) },
				],
				rows: polls,
			})),
			part('activity_rejections', rejs, () => dataTable({
				caption: t('activity_rejections_caption'),
				columns: [
					{ label: t('col_measure'), cell: (r) => measureName(r.measure) },
					{ label: t('col_month'), cell: (r) => periodNode(r.period, 'short') },
					{ label: t('col_value'), cell: (r) => (r.value === null || r.value === undefined ? '–' : String(r.value)) },
					{ label: t('col_reason'), cell: (r) => h('span', { class: 'err' }, reasonText(r.reason, S.measures.get(r.measure))) },
					{ label: t('col_time'), cell: (r) => timeNode(r.time) },
				],
				rows: rejs,
			})),
			part('activity_violations', viol, () => dataTable({
				caption: t('activity_violations_caption'),
				columns: [
					{ label: t('col_rule'), cell: (v) => ruleNode(v.rule) },
					{ label: t('col_month'), cell: (v) => periodNode(v.period, 'short') },
					{ label: t('col_time'), cell: (v) => timeNode(v.time) },
				],
				rows: viol,
			})),
			part('activity_revisions', revs, () => dataTable({
				caption: t('activity_revisions_caption'),
				columns: [
					{ label: t('col_measure'), cell: (r) => measureName(r.measure) },
					{ label: t('col_month'), cell: (r) => periodNode(r.period, 'short') },
					{ label: t('col_change'), cell: (r) => h('span', { class: 'change' }, measureValue(r.measure, r.old), h('span', { 'aria-hidden': 'true' }, ' → '), h('span', { class: 'sr-only' }, ` ${t('changed_to')} `), measureValue(r.measure, r.value)) },
					{ label: t('col_time'), cell: (r) => timeNode(r.received) },
					{ label: t('col_source'), cell: (r) => tOr(`source_${r.source}`, r.source || '–') },
				],
				rows: revs,
			})),
			live);
		box.setAttribute('aria-busy', 'false');
		if (typeof announce === 'string') {
			live.textContent = announce;
			const h3 = box.querySelector('h3');
			if (h3) {
				h3.setAttribute('tabindex', '-1');
				h3.focus();
			}
		}
	}
	return { el: box, reload };
}

function okMark(text) {
	return h('span', { class: 'ok-mark' }, h('span', { 'aria-hidden': 'true' }, '✓ '), text);
}

function flagAreaName(f) {
	if (typeof f.area_name === 'string' && f.area_name !== '')
		return f.area_name;
	if (f.area_name && typeof f.area_name === 'object')
		return nameOf({ name: f.area_name });
	return nameOf(S.areas.get(f.area)) || f.area;
}

/* The ministry's list of open outlier flags (/api/v1/health "outliers"). */
function outliersTable(list) {
	if (list.length === 0)
		return okNote(t('no_outliers'));
	return dataTable({
		caption: t('outliers_caption', { n: formatNumber(list.length, 0) }),
		sortable: true,
		columns: [
			{ label: t('col_municipality'), sort: flagAreaName, cell: (f) => h('a', { href: link(`/municipality/${f.area}`) }, flagAreaName(f)) },
			{ label: t('col_measure'), sort: (f) => measureName(f.measure), cell: (f) => measureName(f.measure) },
			{ label: t('col_month'), sort: (f) => f.period, cell: (f) => periodNode(f.period, 'short') },
			{
				label: t('col_value_usual'), num: true,
				cell: (f) => h('span', null, measureValue(f.measure, f.value),
					h('span', { class: 'usual' }, tNodes('usual_value', { value: measureValue(f.measure, f.median) }))),
			},
			{ label: t('col_z'), num: true, sort: (f) => (Number.isFinite(f.z) ? Math.abs(f.z) : Infinity), cell: (f) => zText(f.z) },
			{ label: t('col_raised'), sort: (f) => f.raised, cell: (f) => timeNode(f.raised) },
			{ label: t('col_flag_status'), cell: (f) => (f.confirmed
				? h('span', null, okMark(t('flag_confirmed_short')), ' ', h('q', null, f.comment || ''))
				: h('span', { class: 'badge badge-late' }, t('flag_open'))) },
		],
		rows: list,
	});
}

/* ---- start -------------------------------------------------------------- */

function remember(lang) {
	try {
		localStorage.setItem(STORE_KEY, lang);
	} catch (e) {
		/* storage may be disabled: the cookie and ?lang= remain */
	}
	document.cookie = `lang=${lang}; path=/; max-age=31536000; samesite=lax`;
}

/* ?lang= first (and remembered), then the remembered choice, then what the
 * server chose from Accept-Language. */
function chooseLang() {
	const q = params.get('lang');
	if (LANGS.includes(q)) {
		remember(q);
		return q;
	}
	let stored = null;
	try {
		stored = localStorage.getItem(STORE_KEY);
	} catch (e) {
		stored = null;
	}
	if (LANGS.includes(stored))
		return stored;
	const c = document.cookie.match(/(?:^|;\s*)lang=(fi|sv|en)\b/);
	if (c)
		return c[1];
	const l = document.documentElement.lang;
	return LANGS.includes(l) ? l : 'fi';
}

async function start() {
	S.lang = chooseLang();
	const [T, session] = await Promise.all([
		fetch(body.dataset[`i18n${S.lang[0].toUpperCase()}${S.lang[1]}`]).then((r) => r.json()),
		loadSession(),
	]);
	S.T = T;
	S.session = session;
	/* with public = no and nobody signed in every read would be refused:
	 * the page is the sign-in form (SPEC §8) */
	if (PAGE === 'signin' || (session.public === false && !session.signed_in)) {
		renderAccount();
		renderSignin();
		setStatus('');
		body.classList.add('is-ready');
		return;
	}
	const cat = await api('/api/v1/catalog');
	S.cat = cat;
	for (const a of cat.areas)
		S.areas.set(a.code, a);
	for (const i of cat.indicators)
		S.indicators.set(i.id, i);
	for (const m of cat.measures)
		S.measures.set(m.id, m);
	setStatus(t('loading'));
	renderAccount();
	if (PAGE === 'region')
		await renderRegion(AREA);
	else if (PAGE === 'municipality')
		await renderMunicipality(AREA);
	else if (PAGE === 'health')
		await renderHealth();
	else
		await renderOverview();
	setStatus(t('loaded_at', { time: formatTime(Date.now() / 1000) }));
	body.classList.add('is-ready');
}

/* The tables behind the charts are the printed report's numbers. */
const closedBeforePrint = [];
window.addEventListener('beforeprint', () => {
	for (const d of document.querySelectorAll('details:not([open])')) {
		closedBeforePrint.push(d);
		d.open = true;
	}
});
window.addEventListener('afterprint', () => {
	for (const d of closedBeforePrint.splice(0))
		d.open = false;
});

start().catch(showError);
