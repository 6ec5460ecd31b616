/*
 * check.mjs: the dashboard in headless Chromium against a running daemon
 * (run.sh starts it). Prints one "ok NAME" or "not ok NAME (why)" line per
 * check and exits 1 if any failed.
 *
 * Environment: BASE (http://127.0.0.1:PORT), OUT (screenshots), CHROMIUM,
 * ROLES (tests/demo-roles.sh output), FAKEMUNI and FAKEMUNI_CONF (to learn
 * a municipality's true figures), PERIOD (the latest period imported).
 *
 * Every page is loaded in a fresh context and watched for console errors,
 * page errors, failed requests and HTTP errors; "ready" is the script's
 * body.is-ready plus every image decoded. axe-core is evaluated through
 * the DevTools protocol, which the page's Content-Security-Policy does not
 * govern, so the policy stays as strict under test as in use.
 *
 * SPEC §6 "one number per (area, indicator, period)": a headline card's
 * period and value are checked against its chart's table row, the chart
 * card, /api/v1/latest and /api/v1/series, for the country and a region;
 * every table of figures against the CSV its download link gives.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LOCALES, READY_MS, assert, axe, browser, check, fill, finish, i18n, newPage, ready } from './lib.mjs';

const BASE = process.env.BASE;
const OUT = process.env.OUT || '.';
const WIDTHS = [360, 1280];

async function getJson(path) {
	const r = await fetch(BASE + path);
	assert(r.ok, `${path}: HTTP ${r.status}`);
	return r.json();
}

async function openAllDetails(page) {
	await page.evaluate(() => {
		for (const d of document.querySelectorAll('details'))
			d.open = true;
	});
}

/* ---- the data the pages are checked against ---------------------------- */

const catalog = await getJson('/api/v1/catalog');
const areas = new Map(catalog.areas.map((a) => [a.code, a]));
const roles = new Map(readFileSync(process.env.ROLES, 'utf8').trim().split('\n')
	.map((l) => l.split(' ')));
const countIds = catalog.measures.filter((m) => m.is_count).map((m) => m.id);
const codeOf = (role) => [...roles].find(([, r]) => r === role)[0];

/* A municipality that reported counts below 5 in PERIOD: the smallest
 * on-time ones first, their figures from fakemuni itself. */
function smallCounts() {
	const small = catalog.areas
		.filter((a) => a.level === 'municipality' && roles.get(a.code) === 'ok')
		.sort((a, b) => a.pop_fl - b.pop_fl)
		.slice(0, 30);
	for (const a of small) {
		const doc = JSON.parse(execFileSync(process.env.FAKEMUNI,
			['-c', process.env.FAKEMUNI_CONF, '--print', a.code, process.env.PERIOD],
			{ encoding: 'utf8' }));
		const low = countIds.filter((id) => doc.measures[id] < 5);
		if (low.length > 0)
			return { code: a.code, low, doc };
	}
	throw new Error('no municipality with counts below 5');
}

const late = codeOf('late');
const region = areas.get(late).region;
const small = smallCounts();
const pages = [
	{ name: 'overview', path: '/' },
	{ name: 'region', path: `/region/${region}` },
	{ name: 'municipality', path: `/municipality/${small.code}` },
	{ name: 'health', path: '/health' },
];
console.log(`# region ${region}, municipality ${small.code} (counts below 5: ${small.low.join(' ')})`);

/* ---- every page, at phone and desktop width ----------------------------- */

for (const p of pages) {
	for (const width of WIDTHS) {
		/* the phone in Finnish, the desktop in English */
		const { context, page, problems } = await newPage(width,
			{ lang: width < 600 ? 'fi' : 'en' });
		let loaded = false;
		await check(`${p.name} ${width}px: loads with no console errors or failed requests`, async () => {
			await page.goto(BASE + p.path, { waitUntil: 'load' });
			await ready(page);
			loaded = true;
			assert(problems.length === 0, problems.join('; '));
		});
		if (!loaded) {
			await context.close();
			continue;
		}
		await check(`${p.name} ${width}px: every chart image loads`, async () => {
			const bad = await page.evaluate(() => [...document.images]
				.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src));
			assert(bad.length === 0, `not loaded: ${bad.join(' ')}`);
			if (p.name !== 'health') {
				const n = await page.locator('figure.chart img').count();
				assert(n > 0, 'no chart on the page');
			}
		});
		await check(`${p.name} ${width}px: no horizontal scrolling of the page`, async () => {
			const w = await page.evaluate(() => document.documentElement.scrollWidth);
			assert(w <= width, `page is ${w} px wide`);
		});
		await page.screenshot({ path: `${OUT}/${p.name}-${width}.png`, fullPage: true });
		if (p.name === 'overview' && width === 1280) {
			/* the README's picture: headline figures, map and ranking */
			const box = await page.locator('.regions').boundingBox();
			await page.screenshot({
				path: `${OUT}/overview-1280-top.png`,
				fullPage: true,
				clip: { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + 24) },
			});
		}
		await check(`${p.name} ${width}px: axe-core finds no WCAG 2.1 AA violation`, async () => {
			await openAllDetails(page);
			const v = await axe(page);
			assert(v.length === 0, v.join('; '));
		});
		await context.close();
	}
}

/* ---- keyboard alone: national -> region -> municipality ---------------- */

/* Tabs until the focused element matches pred; at most limit presses. */
async function tabTo(page, pred, limit) {
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate(pred))
			return i + 1;
	}
	throw new Error(`not reached in ${limit} presses of Tab`);
}

await check('keyboard: skip link first, then national → region → municipality', async () => {
	const { context, page, problems } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/`);
	await ready(page);
	await page.keyboard.press('Tab');
	const first = await page.evaluate(() => document.activeElement.className);
	assert(first === 'skip', `first Tab focuses "${first}", not the skip link`);
	const onVisibleFocus = await page.evaluate(() => {
		const s = getComputedStyle(document.activeElement);
		return document.activeElement.getBoundingClientRect().top >= 0 && s.visibility !== 'hidden';
	});
	assert(onVisibleFocus, 'the skip link is not visible when focused');
	await page.keyboard.press('Enter');
	await tabTo(page, () => /\/region\/MK\d\d/.test(document.activeElement.getAttribute('href') || ''), 200);
	const target = await page.evaluate(() => document.activeElement.getAttribute('href'));
	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.pathname.startsWith('/region/'));
	await ready(page);
	assert(new URL(page.url()).pathname === target.split('?')[0], `went to ${page.url()}, not ${target}`);
	await tabTo(page, () => /\/municipality\/KU\d\d\d/.test(document.activeElement.getAttribute('href') || ''), 300);
	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.pathname.startsWith('/municipality/'));
	await ready(page);
	const code = new URL(page.url()).pathname.split('/')[2];
	const h1 = await page.locator('h1').innerText();
	assert(h1 === areas.get(code).name.en, `heading "${h1}" is not ${areas.get(code).name.en}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

await check('keyboard: chart tables open from the keyboard', async () => {
	const { context, page } = await newPage(1280);
	await page.goto(`${BASE}/region/${region}`);
	await ready(page);
	await tabTo(page, () => document.activeElement.tagName === 'SUMMARY', 200);
	await page.keyboard.press('Enter');
	const open = await page.evaluate(() => document.activeElement.parentElement.open);
	assert(open, 'Enter on the summary did not open the table');
	const rows = await page.evaluate(() => document.activeElement.parentElement.querySelectorAll('tbody tr').length);
	assert(rows > 0, 'the table has no rows');
	await context.close();
});

/* ---- languages ---------------------------------------------------------- */

function monthName(lang, period) {
	const [y, m] = period.split('-').map(Number);
	return new Intl.DateTimeFormat(LOCALES[lang], { year: 'numeric', month: 'long', timeZone: 'UTC' })
		.format(new Date(Date.UTC(y, m - 1, 1)));
}

async function languageState(page) {
	return page.evaluate(() => ({
		lang: document.documentElement.lang,
		h1: document.querySelector('h1').innerText,
		nav: document.getElementById('nav-health').innerText,
		kpi: document.querySelector('.kpi-value').innerText,
		meta: document.querySelector('.kpi-meta') ? document.querySelector('.kpi-meta').innerText : '',
		title: document.title,
	}));
}

await check('language: switch fi → sv → en changes texts, numbers and dates', async () => {
	const { context, page, problems } = await newPage(1280, { lang: 'fi' });
	await page.goto(`${BASE}/`);
	await ready(page);
	const period = (await getJson('/api/v1/latest?indicator=gp_coverage&level=country'))[0].period;
	const want = {
		fi: { decimal: /\d,\d/ },
		sv: { decimal: /\d,\d/ },
		en: { decimal: /\d\.\d/ },
	};
	for (const lang of ['fi', 'sv', 'en']) {
		if (lang !== 'fi') {
			await Promise.all([
				page.waitForURL((u) => u.searchParams.get('lang') === lang),
				page.locator(`a[data-lang="${lang}"]`).click(),
			]);
			await ready(page);
		}
		const s = await languageState(page);
		assert(s.lang === lang, `html lang is ${s.lang}, not ${lang}`);
		assert(s.h1 === i18n[lang].overview_title, `${lang}: heading "${s.h1}"`);
		assert(s.nav === i18n[lang].nav_health, `${lang}: navigation "${s.nav}"`);
		assert(s.title.includes(i18n[lang].site_name), `${lang}: title "${s.title}"`);
		assert(want[lang].decimal.test(s.kpi), `${lang}: number "${s.kpi}"`);
		assert(s.meta.includes(monthName(lang, period)), `${lang}: date "${s.meta}", want "${monthName(lang, period)}"`);
	}
	/* remembered: the next page without ?lang= stays English */
	await page.goto(`${BASE}/health`);
	await ready(page);
	const s = await languageState(page);
	assert(s.lang === 'en' && s.h1 === i18n.en.health_title, `not remembered: ${s.lang} "${s.h1}"`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

await check('language: default from Accept-Language (sv-FI)', async () => {
	const { context, page } = await newPage(1280, { lang: 'sv' });
	const r = await page.goto(`${BASE}/region/${region}`);
	const html = await r.text();
	assert(/<html lang="sv">/.test(html), 'the server did not render Swedish');
	await ready(page);
	const s = await page.evaluate(() => [document.documentElement.lang, document.querySelector('h1').innerText]);
	assert(s[0] === 'sv' && s[1] === areas.get(region).name.sv, `got ${s.join(' ')}`);
	await context.close();
});

/* ---- suppression -------------------------------------------------------- */

await check(`suppressed: counts below 5 of ${small.code} never appear (${small.low.join(', ')})`, async () => {
	const m = areas.get(small.code);
	for (const id of small.low) {
		const list = await getJson(`/api/v1/latest?indicator=${id}&level=municipality&region=${m.region}`);
		const row = list.find((x) => x.area === small.code);
		assert(row && row.value === null && row.suppressed === true,
			`the API gives ${id} = ${row && row.value} to the public`);
	}
	const { context, page } = await newPage(1280);
	await page.goto(`${BASE}/municipality/${small.code}`);
	await ready(page);
	await openAllDetails(page);
	const shown = await page.evaluate((ids) => ids.map((id) => {
		const card = document.querySelector(`[data-id="${id}"]`);
		if (!card)
			return { id, missing: true };
		return {
			id,
			latest: card.querySelector('.latest').innerText,
			cells: [...card.querySelectorAll('tbody td')].map((td) => td.innerText),
		};
	}), countIds);
	for (const s of shown) {
		assert(!s.missing, `no card for ${s.id}`);
		for (const text of [s.latest, ...s.cells]) {
			if (text.includes('< 5'))
				continue;
			const nums = (text.match(/\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?/g) || [])
				.map((x) => Number(x.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.')));
			/* periods ("Oct 2026") hold years, never counts below 5 */
			const low = nums.filter((n) => n < 5);
			assert(low.length === 0, `${s.id} shows "${text}"`);
		}
	}
	for (const id of small.low) {
		const s = shown.find((x) => x.id === id);
		assert(s.latest.includes('< 5'), `${id}: latest "${s.latest}" is not "< 5"`);
	}
	await context.close();
});

/* ---- one number per (area, indicator, period) --------------------------- */

const HEADLINE = ['gp_coverage', 'outreach_reach', 'staff_per_1000', 'reporting_rate']
	.filter((id) => catalog.indicators.some((i) => i.id === id));

/* What the page shows for id: the headline card's period, value and "N of
 * M"; the chart card's period and value above the chart; the row of the
 * chart's table for the card's period; the bar of that period (the
 * reporting rate is drawn by the page). And, fetched from the page's
 * origin, /api/v1/latest's row and /api/v1/series' point for that period,
 * with the API's value formatted as the page formats it. */
async function shownFigures(page, area, level, ids) {
	return page.evaluate(async ({ area, level, ids }) => {
		const valueText = (el) => {
			if (!el)
				return null;
			const v = el.querySelector('.suppressed, .nodata, .value');
			const c = (v || el).cloneNode(true);
			c.querySelectorAll('.unit, .sr-only').forEach((x) => x.remove());
			return c.textContent.replace(/\s+/g, ' ').trim();
		};
		const lang = document.documentElement.lang;
		const loc = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' }[lang];
		const format = (v, unit) => {
			if (unit === '%')
				return new Intl.NumberFormat(loc, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v / 100);
			const a = Math.abs(v);
			const d = Number.isInteger(v) ? 0 : a < 10 ? 2 : a < 100 ? 1 : 0;
			return new Intl.NumberFormat(loc, { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
		};
		const get = async (path) => {
			const r = await fetch(path, { headers: { Accept: 'application/json' } });
			if (!r.ok)
				throw new Error(`${path}: HTTP ${r.status}`);
			return r.json();
		};
		const cat = await get('/api/v1/catalog');
		const out = [];
		for (const id of ids) {
			const unit = cat.indicators.find((i) => i.id === id).unit;
			const kpi = document.querySelector(`[data-kpi="${id}"]`);
			const card = document.querySelector(`.chart-card[data-id="${id}"]`);
			const kpiTime = kpi && kpi.querySelector('.kpi-period time');
			const period = kpiTime ? kpiTime.getAttribute('datetime') : null;
			const metas = kpi ? [...kpi.querySelectorAll('.kpi-meta')].map((m) => m.innerText.trim()) : [];
			const latestTime = card && card.querySelector('.latest time');
			let row = null;
			if (card && period)
				for (const tr of card.querySelectorAll('tbody tr')) {
					const tm = tr.querySelector('th time');
					if (tm && tm.getAttribute('datetime') === period)
						row = tr;
				}
			const tds = row ? [...row.querySelectorAll('td')] : [];
			const bar = card && period ? [...card.querySelectorAll('.bar-slot')]
				.map((b) => b.title).find((x) => x.startsWith(new Intl.DateTimeFormat(loc, { year: 'numeric', month: 'short', timeZone: 'UTC' })
					.format(new Date(`${period}-01T00:00:00Z`)) + ':')) : undefined;
			const latest = (await get(`/api/v1/latest?indicator=${id}&level=${level}`)).find((x) => x.area === area);
			const ser = period ? await get(`/api/v1/series?area=${area}&indicator=${id}&start=${period}&end=${period}`) : null;
			const expectText = (r) => (r.suppressed ? '< 5' : r.value === null ? '–' : format(r.value, unit));
			out.push({
				id,
				period,
				periodText: kpiTime ? kpiTime.innerText.trim() : null,
				kpiValue: valueText(kpi && kpi.querySelector('.kpi-value')),
				kpiReported: metas[1] || null,
				cardPeriod: latestTime ? latestTime.getAttribute('datetime') : null,
				cardValue: valueText(card && card.querySelector('.latest strong')),
				rowFound: row !== null,
				rowValue: valueText(tds[0]),
				rowReported: tds[1] ? tds[1].innerText.trim() : null,
				bar,
				latest,
				latestText: latest ? expectText(latest) : null,
				series: ser && {
					step: ser.step,
					n: ser.points.length,
					period: ser.periods && ser.periods[0],
					value: ser.points[0] ? ser.points[0][1] : undefined,
					reported: ser.reported && ser.reported[0],
					expected: ser.expected,
				},
			});
		}
		return out;
	}, { area, level, ids });
}

const plain = (s) => String(s).replace(/[\s\u00a0\u202f]+/g, ' ').trim();

async function checkHeadline(name, path, area, level, lang) {
	await check(`${name}: each headline's period and value equal its chart's table row, /api/v1/latest and /api/v1/series (${lang})`, async () => {
		const { context, page, problems } = await newPage(1280, { lang });
		await page.goto(`${BASE}${path}?lang=${lang}`);
		await ready(page);
		await openAllDetails(page);
		const nf = new Intl.NumberFormat(LOCALES[lang]);
		const figs = await shownFigures(page, area, level, HEADLINE);
		assert(figs.length === 4, `${figs.length} headline indicators`);
		for (const f of figs) {
			const l = f.latest;
			assert(l, `${f.id}: /api/v1/latest has no row for ${area}`);
			assert(f.period === l.period, `${f.id}: the card says ${f.period}, /api/v1/latest ${l.period}`);
			assert(f.periodText === monthName(lang, l.period), `${f.id}: the card's period "${f.periodText}", want "${monthName(lang, l.period)}"`);
			assert(plain(f.kpiValue) === plain(f.latestText), `${f.id}: the card shows "${f.kpiValue}", /api/v1/latest ${l.value} ("${f.latestText}")`);
			const rep = fill(i18n[lang].reporting_of, { n: nf.format(l.reporting), m: nf.format(l.expected) });
			assert(plain(f.kpiReported) === plain(rep), `${f.id}: the card says "${f.kpiReported}", want "${rep}"`);
			assert(f.rowFound, `${f.id}: the chart's table has no row for ${l.period}`);
			assert(f.rowValue === f.kpiValue, `${f.id} ${l.period}: the card shows "${f.kpiValue}", the chart's table "${f.rowValue}"`);
			const nOfM = fill(i18n[lang].n_of_m, { n: nf.format(l.reporting), m: nf.format(l.expected) });
			assert(plain(f.rowReported) === plain(nOfM), `${f.id} ${l.period}: the table says "${f.rowReported}" reported, want "${nOfM}"`);
			assert(f.cardPeriod === l.period && f.cardValue === f.kpiValue,
				`${f.id}: above the chart ${f.cardPeriod} "${f.cardValue}", the card ${l.period} "${f.kpiValue}"`);
			const s = f.series;
			assert(s.step === 'month' && s.n === 1 && s.period === l.period,
				`${f.id}: /api/v1/series for ${l.period} gives step ${s.step}, ${s.n} points, period ${s.period}`);
			/* one number: the same double, printed the same way */
			assert(s.value === l.value,
				`${f.id} ${l.period}: /api/v1/series gives ${s.value}, /api/v1/latest ${l.value}`);
			assert(s.reported === l.reporting && s.expected === l.expected,
				`${f.id} ${l.period}: /api/v1/series says ${s.reported} of ${s.expected}, /api/v1/latest ${l.reporting} of ${l.expected}`);
			if (f.id === 'reporting_rate') {
				assert(f.bar !== undefined, `reporting_rate: no bar for ${l.period}`);
				assert(plain(f.bar).endsWith(plain(`: ${f.kpiValue}`)), `reporting_rate: the bar says "${f.bar}", the card "${f.kpiValue}"`);
			}
		}
		assert(problems.length === 0, problems.join('; '));
		await context.close();
	});
}

const countryCode = catalog.areas.find((a) => a.level === 'country').code;
await checkHeadline('overview', '/', countryCode, 'country', 'fi');
await checkHeadline('overview', '/', countryCode, 'country', 'en');
await checkHeadline(`region ${region}`, `/region/${region}`, region, 'region', 'sv');

/* A card, tile or table row that shows a figure names its period as
 * <time datetime="YYYY-MM">; a region's or the country's chart table says
 * how many municipalities reported each month. */
for (const p of pages.filter((x) => x.name !== 'health')) {
	await check(`${p.name}: every card, tile and table row with a figure shows its period`, async () => {
		const { context, page } = await newPage(1280, { lang: 'en' });
		await page.goto(BASE + p.path);
		await ready(page);
		await openAllDetails(page);
		const res = await page.evaluate(() => {
			const bad = [];
			let n = 0;
			const shows = (el) => el.querySelector('.value, .suppressed') !== null;
			const hasPeriod = (el) => [...el.querySelectorAll('time')]
				.some((tm) => /^\d{4}-\d{2}$/.test(tm.getAttribute('datetime') || '') && tm.innerText.trim() !== '');
			const where = (el) => {
				const owner = el.closest('[data-id], [data-kpi]');
				return owner ? owner.dataset.id || owner.dataset.kpi : el.className || el.tagName;
			};
			for (const el of document.querySelectorAll('.kpi, .chart-card .latest, .tile, table.data tbody tr')) {
				if (!shows(el))
					continue;
				n += 1;
				if (!hasPeriod(el))
					bad.push(`${where(el)}: "${el.innerText.replace(/\s+/g, ' ').slice(0, 60)}"`);
			}
			return { bad, n };
		});
		assert(res.n > 0, 'no figures found');
		assert(res.bad.length === 0, `${res.bad.length} without a period: ${res.bad.slice(0, 3).join('; ')}`);
		if (p.name !== 'municipality') {
			const re = new RegExp(`^${i18n.en.n_of_m.replace('{n}', '[\\d,]+').replace('{m}', '[\\d,]+')}$`);
			const missing = await page.evaluate((src) => {
				const r = new RegExp(src);
				return [...document.querySelectorAll('.chart-card tbody tr')]
					.filter((tr) => ![...tr.querySelectorAll('td')].some((td) => r.test(td.innerText.trim())))
					.map((tr) => tr.innerText.replace(/\s+/g, ' '));
			}, re.source);
			assert(missing.length === 0, `chart table rows without "N of M": ${missing.slice(0, 3).join('; ')}`);
		}
		await context.close();
	});
}

/* ---- downloads: every table of figures, as CSV, CSV for Excel and XLSX -- */

/*
 * Under each table that shows figures, three links to /api/v1/data. Each
 * is fetched from the page's origin (its cookies and access) and read back
 * against the table: the CSV has one row per (area, indicator, month) for
 * the table's areas and indicators, every month from the first shown to
 * the last (a chart's table: exactly its rows), and each figure shown is
 * that row's value formatted as the page formats it ("< 5" where the row
 * is suppressed, "–" where it has none). The Excel dialect is the same
 * rows with a byte-order mark, ';' and a decimal comma; the XLSX a zip.
 */
const DATA_COLUMNS = ['area', 'area_name', 'region', 'indicator', 'period', 'value',
	'numerator', 'denominator', 'reporting', 'expected', 'flag'];
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const TABLE_INDICATORS = ['gp_coverage', 'outreach_reach', 'staff_per_1000'];
const units = new Map([...catalog.indicators, ...catalog.measures].map((x) => [x.id, x.unit]));

/* RFC 4180: quoted fields may hold the separator, quotes and line ends. */
function parseCsv(text, sep) {
	const rows = [];
	let row = [];
	let field = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				field += '"';
				i += 1;
			} else if (c === '"') {
				quoted = false;
			} else {
				field += c;
			}
		} else if (c === '"') {
			quoted = true;
		} else if (c === sep) {
			row.push(field);
			field = '';
		} else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n')
				i += 1;
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
		} else {
			field += c;
		}
	}
	if (field !== '' || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

function monthsBetween(first, last) {
	const out = [];
	let [y, m] = first.split('-').map(Number);
	const [ly, lm] = last.split('-').map(Number);
	while (y < ly || (y === ly && m <= lm)) {
		out.push(`${y}-${String(m).padStart(2, '0')}`);
		m += 1;
		if (m > 12) {
			m = 1;
			y += 1;
		}
	}
	return out;
}

/* The page's tables of figures, each with its download links and, for
 * every figure it shows, the (area, indicator, month) the row and column
 * say it is: a chart's table (the card's indicator, the page's area, the
 * row's month), the regions' ranking (the picker's indicator, the row's
 * region and month) and a region's municipalities (the row's
 * municipality and month, the column's indicator). */
async function shownTables(page, area, labels) {
	return page.evaluate(({ area, labels, tableIds }) => {
		const text = (el) => {
			if (!el)
				return null;
			const v = el.querySelector('.suppressed, .nodata, .value');
			const c = (v || el).cloneNode(true);
			c.querySelectorAll('.unit, .sr-only').forEach((x) => x.remove());
			return c.textContent.replace(/\s+/g, ' ').trim();
		};
		const monthOf = (el) => {
			const tm = el && el.querySelector('time');
			return tm ? tm.getAttribute('datetime') : null;
		};
		const out = [];
		for (const table of document.querySelectorAll('table.data')) {
			/* a chart's table, or any other with a figure in it (not the
			 * rejected values' or rule violations' tables) */
			if (!table.closest('.chart-card') && !table.querySelector('tbody .value, tbody .suppressed'))
				continue;
			const caption = table.caption.textContent.trim();
			const wrap = table.closest('.table-wrap');
			const dl = wrap.nextElementSibling && wrap.nextElementSibling.matches('.downloads')
				? wrap.nextElementSibling : null;
			const links = dl ? [...dl.querySelectorAll('a')].map((a) => {
				const r = a.getBoundingClientRect();
				const visible = a.cloneNode(true);
				visible.querySelectorAll('.sr-only').forEach((x) => x.remove());
				return {
					href: a.getAttribute('href'),
					download: a.getAttribute('download'),
					visible: visible.textContent.trim(),
					name: a.textContent.replace(/\s+/g, ' ').trim(),
					right: r.right,
				};
			}) : [];
			const heads = [...table.tHead.rows[0].cells].map((c) => c.innerText.trim());
			const rows = [...table.tBodies[0].rows].map((tr) => [...tr.cells]);
			const cells = [];
			const areas = [];
			let ids = [];
			let kind;
			const card = table.closest('.chart-card');
			if (card) {
				kind = `chart ${card.dataset.id}`;
				ids = [card.dataset.id];
				areas.push(area);
				for (const r of rows)
					cells.push({ area, id: card.dataset.id, period: monthOf(r[0]), text: text(r[1]) });
			} else if (heads.includes(labels.col_region)) {
				kind = 'ranking';
				const id = document.querySelector('.picker select').value;
				ids = [id];
				const iv = heads.indexOf(labels.col_value);
				const ip = heads.indexOf(labels.col_period);
				for (const r of rows) {
					const a = r[1].querySelector('a');
					const code = a.getAttribute('href').match(/\/region\/(MK\d\d)/)[1];
					areas.push(code);
					cells.push({ area: code, id, period: monthOf(r[ip]), text: text(r[iv]), name: a.textContent.trim() });
				}
			} else if (heads.includes(labels.col_municipality)) {
				kind = 'municipalities';
				ids = tableIds.filter((id) => heads.includes(labels[`col_${id}`]));
				const ip = heads.indexOf(labels.col_period);
				for (const r of rows) {
					const a = r[0].querySelector('a');
					const code = a.getAttribute('href').match(/\/municipality\/(KU\d\d\d)/)[1];
					areas.push(code);
					for (const id of ids)
						cells.push({
							area: code, id, period: monthOf(r[ip]),
							text: text(r[heads.indexOf(labels[`col_${id}`])]),
							name: a.textContent.trim(),
						});
				}
			} else {
				kind = `unknown table "${caption}"`;
			}
			out.push({ caption, kind, links, hasDownloads: dl !== null, areas, ids, cells, nRows: rows.length });
		}
		return out;
	}, { area, labels, tableIds: TABLE_INDICATORS });
}

/* A link's answer, fetched from the page: status, headers, the first
 * bytes and the body as UTF-8 with any byte-order mark kept. */
async function fetchFromPage(page, href) {
	return page.evaluate(async (u) => {
		const r = await fetch(u);
		const buf = new Uint8Array(await r.arrayBuffer());
		return {
			status: r.status,
			type: r.headers.get('content-type') || '',
			head: [...buf.slice(0, 4)],
			size: buf.length,
			text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(buf),
		};
	}, href);
}

/* Values as the page shows them: the app's rules (percent with one
 * decimal, yes/no for 0/1 and for whether a guidance point is open in the
 * municipalities' table, else 0-2 decimals by size), in the page's
 * language. */
async function formatInPage(page, items, yesNo) {
	return page.evaluate(({ items, yesNo }) => {
		const loc = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' }[document.documentElement.lang];
		return items.map(({ v, unit, isOpenColumn }) => {
			if (isOpenColumn)
				return v > 0 ? yesNo.yes : yesNo.no;
			if (unit === '%')
				return new Intl.NumberFormat(loc, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v / 100);
			if (unit === '0/1')
				return v >= 0.5 ? yesNo.yes : yesNo.no;
			const a = Math.abs(v);
			const d = Number.isInteger(v) ? 0 : a < 10 ? 2 : a < 100 ? 1 : 0;
			return new Intl.NumberFormat(loc, { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
		});
	}, { items, yesNo });
}

async function checkDownloads(p, area, lang, width) {
	const L = i18n[lang];
	await check(`${p.name} ${width}px (${lang}): every table of figures has CSV, Excel-CSV and XLSX links whose rows are the table's`, async () => {
		const { context, page, problems } = await newPage(width, { lang });
		await page.goto(`${BASE}${p.path}?lang=${lang}`);
		await ready(page);
		await openAllDetails(page);
		const tables = await shownTables(page, area, L);
		assert(tables.length > 0, 'no table of figures on the page');
		let nCells = 0;
		for (const tb of tables) {
			const where = `${tb.kind} "${tb.caption}"`;
			assert(!tb.kind.startsWith('unknown'), `${where}: a table of figures this check does not know`);
			assert(tb.hasDownloads, `${where}: no download links under it`);
			assert(tb.links.length === 3, `${where}: ${tb.links.length} links`);
			const [csv, excel, xlsx] = tb.links;
			assert(csv.visible === L.download_csv && excel.visible === L.download_csv_excel_fi && xlsx.visible === L.download_xlsx,
				`${where}: links say ${tb.links.map((l) => `"${l.visible}"`).join(', ')}`);
			for (const l of tb.links) {
				assert(l.name.includes(tb.caption), `${where}: the link "${l.name}" does not name the table`);
				assert(l.download && l.download.endsWith(l.href.startsWith('/api/v1/data.xlsx') ? '.xlsx' : '.csv'),
					`${where}: ${l.href} has download="${l.download}"`);
				assert(l.right <= width, `${where}: the link "${l.visible}" ends at ${Math.round(l.right)} px`);
			}
			assert(csv.href.startsWith('/api/v1/data.csv?') && !csv.href.includes('dialect='), `${where}: CSV link ${csv.href}`);
			assert(excel.href.startsWith('/api/v1/data.csv?') && excel.href.includes('dialect=excel-fi'), `${where}: Excel link ${excel.href}`);
			assert(xlsx.href.startsWith('/api/v1/data.xlsx?'), `${where}: XLSX link ${xlsx.href}`);
			assert(new URLSearchParams(csv.href.split('?')[1]).get('lang') === lang, `${where}: ${csv.href} is not in ${lang}`);

			const got = await fetchFromPage(page, csv.href);
			assert(got.status === 200, `${where}: ${csv.href}: HTTP ${got.status}`);
			assert(/^text\/csv/.test(got.type), `${where}: ${csv.href}: Content-Type ${got.type}`);
			const [header, ...rows] = parseCsv(got.text, ',');
			assert(header.join(',') === DATA_COLUMNS.join(','), `${where}: CSV header ${header.join(',')}`);
			const col = Object.fromEntries(DATA_COLUMNS.map((c, i) => [c, i]));
			const byKey = new Map(rows.map((r) => [`${r[col.area]}|${r[col.indicator]}|${r[col.period]}`, r]));
			assert(byKey.size === rows.length, `${where}: ${rows.length} rows, ${byKey.size} distinct`);
			const periods = tb.cells.map((c) => c.period).filter(Boolean).sort();
			const months = monthsBetween(periods[0], periods[periods.length - 1]);
			if (tb.kind.startsWith('chart'))
				assert(months.length === tb.nRows, `${where}: ${tb.nRows} rows shown over ${months.length} months`);
			const want = tb.areas.length * tb.ids.length * months.length;
			assert(rows.length === want,
				`${where}: ${rows.length} CSV rows, want ${tb.areas.length} areas × ${tb.ids.length} indicators × ${months.length} months = ${want}`);
			for (const a of tb.areas)
				for (const id of tb.ids)
					for (const m of months)
						assert(byKey.has(`${a}|${id}|${m}`), `${where}: no CSV row for ${a} ${id} ${m}`);

			/* each figure shown is its row's value */
			const shown = tb.cells.filter((c) => c.period);
			const items = shown.map((c) => {
				const r = byKey.get(`${c.area}|${c.id}|${c.period}`);
				return { v: Number(r[col.value]), unit: units.get(c.id), isOpenColumn: tb.kind === 'municipalities' && c.id === 'gp_coverage' };
			});
			const texts = await formatInPage(page, items, { yes: L.yes, no: L.no });
			shown.forEach((c, i) => {
				const r = byKey.get(`${c.area}|${c.id}|${c.period}`);
				const want1 = r[col.flag] === 'suppressed' ? '< 5' : r[col.value] === '' ? '–' : texts[i];
				assert(plain(c.text) === plain(want1),
					`${where}: ${c.area} ${c.id} ${c.period} shows "${c.text}", the CSV ${r[col.value] || r[col.flag]} ("${want1}")`);
				if (c.name)
					assert(r[col.area_name] === c.name, `${where}: ${c.area} is "${c.name}" on the page, "${r[col.area_name]}" in the CSV`);
			});
			nCells += shown.length;

			/* Excel: the same rows, ';' and a decimal comma after a BOM */
			const ex = await fetchFromPage(page, excel.href);
			assert(ex.status === 200, `${where}: ${excel.href}: HTTP ${ex.status}`);
			assert(ex.head[0] === 0xef && ex.head[1] === 0xbb && ex.head[2] === 0xbf, `${where}: ${excel.href}: no UTF-8 byte-order mark`);
			const [exHeader, ...exRows] = parseCsv(ex.text.slice(1), ';');
			assert(exHeader.join(',') === DATA_COLUMNS.join(','), `${where}: Excel CSV header ${exHeader.join(';')}`);
			assert(exRows.length === rows.length, `${where}: Excel CSV has ${exRows.length} rows, the CSV ${rows.length}`);
			exRows.forEach((r, i) => {
				assert(r[col.value] === rows[i][col.value].replace('.', ','),
					`${where}: Excel CSV row ${i + 1} value "${r[col.value]}", the CSV "${rows[i][col.value]}"`);
			});

			const xl = await fetchFromPage(page, xlsx.href);
			assert(xl.status === 200, `${where}: ${xlsx.href}: HTTP ${xl.status}`);
			assert(xl.type.startsWith(XLSX_TYPE), `${where}: ${xlsx.href}: Content-Type ${xl.type}`);
			assert(xl.head.join() === [0x50, 0x4b, 0x03, 0x04].join(), `${where}: ${xlsx.href} is not a zip`);
		}
		const nEmpty = await page.locator('.chart-card:not(:has(table))').count();
		console.log(`# ${p.name} (${lang}): ${tables.length} tables, ${nCells} figures read back from their CSV; ${nEmpty} charts with no figures in the range`);
		assert(problems.length === 0, problems.join('; '));
		await context.close();
	});
}

await checkDownloads(pages[0], countryCode, 'en', 1280);
await checkDownloads(pages[1], region, 'fi', 360);
await checkDownloads(pages[2], small.code, 'sv', 1280);

await check('downloads: a link is reached with Tab and Enter downloads the table\'s CSV', async () => {
	const { context, page, problems } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/region/${region}?lang=en`);
	await ready(page);
	await tabTo(page, () => document.activeElement.matches('.downloads a'), 300);
	const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
	assert(href.startsWith('/api/v1/data.csv?') && href.includes(`area=${region}:children`),
		`the first link reached is ${href}`);
	const [download] = await Promise.all([page.waitForEvent('download', { timeout: READY_MS }),
		page.keyboard.press('Enter')]);
	assert(/\.csv$/.test(download.suggestedFilename()), `saved as ${download.suggestedFilename()}`);
	const text = readFileSync(await download.path(), 'utf8');
	const nMunis = catalog.areas.filter((a) => a.level === 'municipality' && a.region === region).length;
	const rows = parseCsv(text, ',').slice(1);
	const areasIn = new Set(rows.map((r) => r[0]));
	assert(areasIn.size === nMunis, `the file has ${areasIn.size} municipalities, ${region} has ${nMunis}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

/* The links as they look, at phone and desktop width: under the ranking,
 * under a chart's table and under the region's municipalities. */
for (const width of WIDTHS) {
	const lang = width < 600 ? 'fi' : 'en';
	const { context, page } = await newPage(width, { lang });
	await page.goto(`${BASE}/?lang=${lang}`);
	await ready(page);
	await page.locator('.regions').screenshot({ path: `${OUT}/downloads-overview-${width}.png` });
	await page.goto(`${BASE}/region/${region}?lang=${lang}`);
	await ready(page);
	await page.locator('.chart-card details').first().evaluate((d) => {
		d.open = true;
	});
	await page.locator('.chart-card').first().screenshot({ path: `${OUT}/downloads-chart-${width}.png` });
	/* the end of the municipalities' table and the links under it, in
	 * the page's coordinates */
	const box = await page.evaluate(() => {
		const r = [...document.querySelectorAll('.table-wrap + .downloads')].pop()
			.getBoundingClientRect();
		return { y: r.top + window.scrollY, height: r.height };
	});
	await page.screenshot({
		path: `${OUT}/downloads-region-${width}.png`,
		fullPage: true,
		clip: { x: 0, y: Math.max(0, box.y - 320), width, height: box.height + 360 },
	});
	await context.close();
}

/* ---- the region's table, the range picker, collection health ------------ */

await check('region: municipalities table sorts by status, statuses shown as text', async () => {
	const { context, page } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/region/${region}`);
	await ready(page);
	const table = page.locator('table', { hasText: i18n.en.col_status }).last();
	const header = table.locator('th', { hasText: i18n.en.col_status });
	await header.locator('button').click();
	const sort = await header.getAttribute('aria-sort');
	assert(sort === 'ascending' || sort === 'descending', `aria-sort ${sort}`);
	const text = await table.innerText();
	assert(text.includes(i18n.en.status_late), `the late municipality ${late} is not shown as late`);
	assert(text.includes(areas.get(late).name.en), `${late} is missing`);
	await context.close();
});

await check('range picker: 1 y redraws charts and tables for one year', async () => {
	const { context, page, problems } = await newPage(1280);
	await page.goto(`${BASE}/region/${region}`);
	await ready(page);
	await page.locator('.segmented label').first().click();
	await page.waitForFunction(() => [...document.querySelectorAll('figure.chart img')]
		.every((i) => i.src.includes('start=-1y')), null, { timeout: READY_MS });
	await ready(page);
	assert(new URL(page.url()).searchParams.get('range') === '1y', 'range not kept in the URL');
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

await check('health: failing and never-seen interfaces listed with their errors', async () => {
	const { context, page } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/health`);
	await ready(page);
	const text = await page.locator('main').innerText();
	for (const role of ['failing_503', 'never_seen', 'late']) {
		const code = codeOf(role);
		assert(text.includes(areas.get(code).name.en), `${role} ${code} not listed`);
	}
	assert(text.includes('HTTP 503'), 'no HTTP 503 error shown');
	await context.close();
});

await check('municipality: rule violations are shown', async () => {
	const code = codeOf('violation');
	const { context, page } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/municipality/${code}`);
	await ready(page);
	const text = await page.locator('main').innerText();
	assert(text.includes('contacts_remote <= contacts'), `no violation shown for ${code}`);
	await context.close();
});

/* The rejected values of the latest documents, with their reasons
 * (/api/v1/health?area= gives them). */
await check('municipality: rejected values are shown with the reason', async () => {
	const code = codeOf('rejects_range');
	const health = await getJson(`/api/v1/health?area=${code}`);
	assert(health.rejections.some((r) => r.measure === 'gp_hours' && r.reason === 'out_of_range'),
		`/api/v1/health?area=${code} lists no out_of_range gp_hours`);
	const { context, page } = await newPage(1280, { lang: 'en' });
	await page.goto(`${BASE}/municipality/${code}`);
	await ready(page);
	const text = await page.locator('main').innerText();
	const name = catalog.measures.find((m) => m.id === 'gp_hours').name.en;
	assert(text.includes(name) && text.includes(i18n.en.reason_out_of_range),
		`no rejected gp_hours shown for ${code}`);
	await context.close();
});

await check('unknown region and municipality codes: 404', async () => {
	for (const path of ['/region/MK99', '/municipality/KU999', '/region/KU091', '/municipality/MK01']) {
		const r = await fetch(BASE + path);
		assert(r.status === 404, `${path}: HTTP ${r.status}`);
	}
});

/* ---- print -------------------------------------------------------------- */

await check('print: a clean one-region report', async () => {
	const { context, page } = await newPage(1280);
	await page.goto(`${BASE}/region/${region}`);
	await ready(page);
	await page.emulateMedia({ media: 'print' });
	const hidden = await page.evaluate(() => ['.lang', '.main-nav', '.controls', '.skip', '.downloads']
		.every((s) => [...document.querySelectorAll(s)].every((e) => e.offsetParent === null)));
	assert(hidden, 'navigation or controls are printed');
	const tablesShown = await page.evaluate(() => [...document.querySelectorAll('details table')]
		.every((t) => t.getBoundingClientRect().height > 0));
	assert(tablesShown, 'the tables behind the charts are not printed');
	await page.screenshot({ path: `${OUT}/region-print.png`, fullPage: true });
	await page.pdf({ path: `${OUT}/region-print.pdf`, format: 'A4', printBackground: true });
	await context.close();
});

await finish();
