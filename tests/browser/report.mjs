/*
 * report.mjs: signing in and reporting in the browser (SPEC §8), in
 * headless Chromium against running daemons (run.sh starts them). Prints
 * one "ok NAME" / "not ok NAME (why)" / "skip NAME (why)" line per check
 * and exits 1 if any failed.
 *
 * Environment: BASE (a daemon with public = yes), BASE_PRIVATE (one with
 * public = no), OUT (screenshots), CHROMIUM, MUNI (a municipality that
 * reports by submission, with history), MUNI_TOKEN (its token),
 * MINISTRY_TOKEN, PRIVATE_TOKEN (a ministry token of BASE_PRIVATE).
 *
 * What a visitor does is done as a visitor would: signing in by keyboard
 * alone, typing into the form, choosing a file. Every page is watched for
 * console errors, page errors, failed requests and HTTP errors (a refused
 * sign-in's 401 is expected where a check provokes it); axe-core is
 * evaluated through the DevTools protocol, so the pages' strict
 * Content-Security-Policy stays as it is in use.
 */
import { writeFileSync } from 'node:fs';
import { LOCALES, READY_MS, assert, axe, browser, check, fill, finish, i18n, newPage, ready } from './lib.mjs';

const BASE = process.env.BASE;
const BASE_PRIVATE = process.env.BASE_PRIVATE;
const OUT = process.env.OUT || '.';
const MUNI = process.env.MUNI;
const MUNI_TOKEN = process.env.MUNI_TOKEN;
const MINISTRY_TOKEN = process.env.MINISTRY_TOKEN;
const PRIVATE_TOKEN = process.env.PRIVATE_TOKEN;

/* Signs the context in through the API (the cookie is the context's). */
async function signInApi(context, base, token) {
	const r = await context.request.post(`${base}/api/v1/session`, { data: { token } });
	assert(r.status() === 200, `POST /api/v1/session: HTTP ${r.status()}`);
	return r.json();
}

async function tabTo(page, pred, limit) {
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate(pred))
			return i + 1;
	}
	throw new Error(`not reached in ${limit} presses of Tab`);
}

async function session(page) {
	return page.evaluate(async () => (await fetch('/api/v1/session', { cache: 'no-store' })).json());
}

const catalog = await (await fetch(`${BASE}/api/v1/catalog`)).json();
const muniName = catalog.areas.find((a) => a.code === MUNI).name;
const health = await (await fetch(`${BASE}/api/v1/health`)).json();
const EXPECTED = health.expected_period;
console.log(`# municipality ${MUNI} (${muniName.en}), expected period ${EXPECTED}`);

/* ---- the header and the sign-in page ------------------------------------ */

for (const lang of Object.keys(LOCALES)) {
	await check(`sign-in page (${lang}): labelled token field, header link, no errors`, async () => {
		const L = i18n[lang];
		const { context, page, problems } = await newPage(1280, { lang });
		await page.goto(`${BASE}/municipality/${MUNI}?lang=${lang}`);
		await ready(page);
		const link = page.locator('#account a.signin-link');
		assert(await link.innerText() === L.signin_link, `header link says "${await link.innerText()}"`);
		const href = await link.getAttribute('href');
		assert(new URLSearchParams(href.split('?')[1]).get('next').startsWith(`/municipality/${MUNI}`), `link ${href} does not lead back`);
		await page.goto(`${BASE}/signin?lang=${lang}`);
		await ready(page);
		assert(await page.locator('h1').innerText() === L.signin_title, 'heading');
		const field = page.getByLabel(L.signin_token_label, { exact: true });
		assert(await field.getAttribute('type') === 'password', 'the token field is no password field');
		assert(await field.getAttribute('autocomplete') === 'current-password', 'autocomplete');
		assert(problems.length === 0, problems.join('; '));
		await context.close();
	});
}

await check('sign-in page: axe-core finds no WCAG 2.1 AA violation (empty, and with an error shown)', async () => {
	const { context, page } = await newPage(1280, { lang: 'en', allowed: [[401, /\/api\/v1\/session$/]] });
	await page.goto(`${BASE}/signin?lang=en`);
	await ready(page);
	let v = await axe(page);
	assert(v.length === 0, v.join('; '));
	await page.locator('#signin-token').fill('km_not_a_token');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.getElementById('signin-msg').classList.contains('is-error'));
	v = await axe(page);
	assert(v.length === 0, `with the error: ${v.join('; ')}`);
	await page.screenshot({ path: `${OUT}/signin-error-1280.png`, fullPage: true });
	await context.close();
});

await check('sign in by keyboard alone: a wrong token is announced, the right one goes back to the page', async () => {
	const { context, page, problems } = await newPage(1280, { lang: 'en', allowed: [[401, /\/api\/v1\/session$/]] });
	const L = i18n.en;
	await page.goto(`${BASE}/municipality/${MUNI}?lang=en`);
	await ready(page);
	await tabTo(page, () => document.activeElement.matches('a.signin-link'), 40);
	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.pathname === '/signin');
	await ready(page);
	await tabTo(page, () => document.activeElement.id === 'signin-token', 40);
	await page.keyboard.type('km_wrong_token_wrong_token_wrong_token_wrong1');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.getElementById('signin-msg').classList.contains('is-error'));
	const msg = page.locator('#signin-msg');
	assert(await msg.getAttribute('aria-live') === 'assertive', 'the message is not in a live region');
	assert(await msg.innerText() === L.signin_refused, `message "${await msg.innerText()}"`);
	const st = await page.evaluate(() => ({
		focus: document.activeElement.id,
		invalid: document.getElementById('signin-token').getAttribute('aria-invalid'),
		desc: document.getElementById('signin-token').getAttribute('aria-describedby'),
	}));
	assert(st.focus === 'signin-token' && st.invalid === 'true' && st.desc.includes('signin-msg'),
		`after the refusal: ${JSON.stringify(st)}`);
	await page.keyboard.press('Control+A');
	await page.keyboard.type(MUNI_TOKEN);
	await page.keyboard.press('Enter');
	await page.waitForURL((u) => u.pathname === `/municipality/${MUNI}`, { timeout: READY_MS });
	await ready(page);
	const who = await page.locator('#account .who').innerText();
	assert(who.includes(muniName.en), `the header says "${who}"`);
	assert(await page.locator('#account button.signout').innerText() === L.signout_button, 'no sign-out button');
	const s = await session(page);
	assert(s.signed_in && s.area === MUNI, `session ${JSON.stringify(s)}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

/* ---- the report form ----------------------------------------------------- */

/* The form signed in as MUNI; every POST the page sends is recorded. */
async function formPage(width, lang) {
	const p = await newPage(width, { lang });
	await signInApi(p.context, BASE, MUNI_TOKEN);
	p.posts = [];
	p.page.on('request', (r) => {
		if (r.method() === 'POST')
			p.posts.push(r.url());
	});
	await p.page.goto(`${BASE}/municipality/${MUNI}?lang=${lang}`);
	await ready(p.page);
	return p;
}

const measure = catalog.measures.find((m) => m.id === 'gp_hours');
let submittedAt = 0;

await check('report form: every measure with its name, unit, bounds and last month\'s value; the expected period chosen', async () => {
	const { context, page, problems } = await formPage(1280, 'en');
	const form = page.locator('form.report-form');
	assert(await form.count() === 1, 'no report form');
	assert(await page.locator('select[name="period"]').inputValue() === EXPECTED, 'the expected period is not chosen');
	for (const m of catalog.measures) {
		const input = page.getByLabel(m.name.en, { exact: true });
		assert(await input.count() === 1, `no field labelled "${m.name.en}"`);
		const hint = await page.locator(`#m-${m.id}-hint`).innerText();
		assert(hint.includes(fill(i18n.en.field_bounds, { min: m.min.toLocaleString('en-GB'), max: m.max.toLocaleString('en-GB') })),
			`${m.id}: hint "${hint}" has no bounds`);
		assert(await input.getAttribute('aria-describedby') === `m-${m.id}-hint`, `${m.id}: not described by its hint`);
	}
	/* last month's value, from the figures' history */
	const prevPeriod = (() => {
		const [y, mo] = EXPECTED.split('-').map(Number);
		const k = y * 12 + mo - 2;
		return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
	})();
	const rev = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${prevPeriod}&measure=staff_fte`);
	const cur = rev.find((r) => r.replaced === null);
	const hint = await page.locator('#m-staff_fte-hint .prev').innerText();
	assert(cur && hint.includes(new Intl.NumberFormat('en-GB', { minimumFractionDigits: Number.isInteger(cur.value) ? 0 : 2, maximumFractionDigits: 2 }).format(cur.value)),
		`staff_fte: "${hint}" does not show ${prevPeriod}'s ${cur && cur.value}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

await check('report form: an out-of-range value is marked at its field before anything is sent; submit shows the receipt', async () => {
	const { context, page, problems, posts } = await formPage(1280, 'en');
	const input = page.locator('#m-gp_hours');
	await input.fill('');
	await input.pressSequentially('500');
	await page.waitForFunction(() => document.getElementById('m-gp_hours').getAttribute('aria-invalid') === 'true',
		null, { timeout: READY_MS });
	const err = await page.locator('#m-gp_hours-err').innerText();
	const want = fill(i18n.en.field_out_of_range, { min: '0', max: '168' });
	assert(err.includes(want), `the field says "${err}", want "${want}"`);
	const desc = await input.getAttribute('aria-describedby');
	assert(desc.split(' ').includes('m-gp_hours-err'), `aria-describedby "${desc}"`);
	assert(posts.length > 0 && posts.every((u) => u.includes('dry_run=1')), `POSTs before sending: ${posts.join(' ')}`);
	let v = await axe(page, 'form.report-form');
	assert(v.length === 0, `form with an error: ${v.join('; ')}`);
	await page.locator('form.report-form').screenshot({ path: `${OUT}/report-form-error-1280.png` });

	/* sending with the error: refused here, focus on the field */
	await page.getByRole('button', { name: i18n.en.report_submit }).click();
	await page.waitForFunction(() => document.activeElement.id === 'm-gp_hours', null, { timeout: READY_MS });
	assert(posts.every((u) => u.includes('dry_run=1')), 'the document was sent with an error in it');

	/* corrected: a changed value makes a revision */
	await input.fill('');
	await input.pressSequentially('37.5');
	await page.locator('#m-contacts').fill('');
	await page.locator('#m-contacts').pressSequentially('777');
	await page.waitForFunction(() => document.getElementById('m-gp_hours').getAttribute('aria-invalid') === null,
		null, { timeout: READY_MS });
	const [answer] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/submissions$/.test(r.url()), { timeout: READY_MS }),
		page.getByRole('button', { name: i18n.en.report_submit }).click(),
	]);
	await page.waitForSelector('.receipt', { timeout: READY_MS });
	submittedAt = Date.now() / 1000;
	const got = await answer.json();
	assert(answer.status() === 202, `the submission: HTTP ${answer.status()}`);
	/* the month is held and a later one too: the server says late */
	assert(['late', 'revision'].includes(got.kind), `kind ${got.kind}`);
	const realPosts = posts.filter((u) => !u.includes('dry_run'));
	assert(realPosts.length === 1, `${realPosts.length} real submissions`);
	const receipt = page.locator('.receipt');
	const text = await receipt.innerText();
	assert(await page.evaluate(() => document.activeElement.classList.contains('receipt')), 'focus is not on the receipt');
	assert(text.includes(`${i18n.en[`kind_${got.kind}`]} – ${i18n.en[`kind_${got.kind}_help`]}`),
		`the receipt does not say ${got.kind}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
	assert(text.includes(measure.name.en) && text.includes('37.5'), 'the receipt does not list gp_hours 37.5');
	v = await axe(page, '.receipt');
	assert(v.length === 0, `receipt: ${v.join('; ')}`);
	/* stored: the figure's history has it */
	const rev = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${EXPECTED}&measure=gp_hours`);
	assert(rev.find((r) => r.replaced === null).value === 37.5, `gp_hours ${EXPECTED} is ${JSON.stringify(rev[0])}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

/* The form (with an inline error) and the receipt at phone and desktop
 * width, in Finnish on the phone. */
for (const width of [360, 1280]) {
	await check(`report form and receipt ${width}px: screenshots, no horizontal scrolling`, async () => {
		const lang = width < 600 ? 'fi' : 'en';
		const { context, page, problems } = await formPage(width, lang);
		const w0 = await page.evaluate(() => document.documentElement.scrollWidth);
		assert(w0 <= width, `the page is ${w0} px wide`);
		const input = page.locator('#m-gp_hours');
		await input.fill('');
		await input.pressSequentially('500');
		await page.waitForFunction(() => document.getElementById('m-gp_hours').getAttribute('aria-invalid') === 'true',
			null, { timeout: READY_MS });
		const sec = page.locator('section.block', { has: page.locator('form.report-form') });
		await sec.screenshot({ path: `${OUT}/report-form-${width}.png` });
		if (width > 1000) {
			/* the README's picture: the form's top, an error at a field */
			const box = await page.evaluate(() => {
				const top = document.querySelector('form.report-form').closest('section').getBoundingClientRect();
				const end = document.querySelector('[data-measure="contacts_remote"]').getBoundingClientRect();
				return { y: top.top + window.scrollY - 12, bottom: end.bottom + window.scrollY + 16 };
			});
			await page.screenshot({
				path: `${OUT}/report-form-${width}-top.png`, fullPage: true,
				clip: { x: 0, y: box.y, width, height: Math.ceil(box.bottom - box.y) },
			});
		}
		await input.fill('');
		await input.pressSequentially('38');
		await page.waitForFunction(() => document.getElementById('m-gp_hours').getAttribute('aria-invalid') === null,
			null, { timeout: READY_MS });
		await page.getByRole('button', { name: i18n[lang].report_submit }).click();
		await page.waitForSelector('.receipt', { timeout: READY_MS });
		const w1 = await page.evaluate(() => document.documentElement.scrollWidth);
		assert(w1 <= width, `with the receipt the page is ${w1} px wide`);
		await page.locator('.receipt').screenshot({ path: `${OUT}/report-receipt-${width}.png` });
		assert(problems.length === 0, problems.join('; '));
		await context.close();
	});
}

await check('municipality page: the submission is in its record with its kind', async () => {
	const { context, page, problems } = await formPage(1280, 'en');
	const part = page.locator('.activity-part', { has: page.getByRole('heading', { name: i18n.en.activity_submissions }) });
	assert(await part.count() === 1, 'no submissions in the record');
	const first = await part.locator('tbody tr').first().innerText();
	assert(['late', 'revision', 'unchanged'].some((k) => first.includes(i18n.en[`kind_${k}`])) && first.includes(i18n.en.outcome_accepted),
		`newest submission: "${first}"`);
	const times = await part.locator('tbody tr time').evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('datetime')) / 1000));
	assert(times.some((x) => Math.abs(x - submittedAt) < 120), `no submission near ${new Date(submittedAt * 1000).toISOString()}`);
	const revs = page.locator('.activity-part', { has: page.getByRole('heading', { name: i18n.en.activity_revisions }) });
	const rt = await revs.innerText();
	assert(rt.includes(measure.name.en) && rt.includes('→'), 'the revision of gp_hours is not listed old → new');
	const v = await axe(page, '.activity');
	assert(v.length === 0, `record: ${v.join('; ')}`);
	await page.screenshot({ path: `${OUT}/municipality-signed-in-1280.png`, fullPage: true });
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

/* ---- CSV upload ------------------------------------------------------------ */

await check('CSV upload: "Check only" stores nothing; a good file is stored and its receipt shown; one for another municipality is refused whole', async () => {
	const { context, page, problems } = await formPage(1280, 'en');
	const other = catalog.areas.find((a) => a.level === 'municipality' && a.code !== MUNI).code;
	const good = `${OUT}/upload-good.csv`;
	const bad = `${OUT}/upload-bad.csv`;
	writeFileSync(good, `area,period,measure,value\n${MUNI},${EXPECTED},outreach_events,41\n${MUNI},${EXPECTED},gp_languages,7\n`);
	writeFileSync(bad, `area,period,measure,value\n${MUNI},${EXPECTED},outreach_events,42\n${other},${EXPECTED},outreach_events,43\n`);
	const file = page.getByLabel(i18n.en.upload_label, { exact: true });
	await file.setInputFiles(good);
	/* "Check only": the same answer, nothing stored */
	const before = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${EXPECTED}&measure=outreach_events`);
	await page.getByRole('button', { name: i18n.en.upload_check, exact: true }).click();
	await page.waitForSelector('.upload-result .receipt.is-dry', { timeout: READY_MS });
	const dry = await page.locator('.upload-result').innerText();
	assert(dry.includes(fill(i18n.en.upload_checked_title, { file: 'upload-good.csv', rows: 2 })), `check: ${dry.slice(0, 200)}`);
	const after = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${EXPECTED}&measure=outreach_events`);
	assert(JSON.stringify(after) === JSON.stringify(before), 'the check stored something');
	await page.getByRole('button', { name: i18n.en.upload_send, exact: true }).click();
	await page.waitForSelector('.upload-result .receipt:not(.is-dry)', { timeout: READY_MS });
	const text = await page.locator('.upload-result').innerText();
	assert(text.includes(fill(i18n.en.upload_done_title, { file: 'upload-good.csv', rows: 2 })), `receipt: ${text.slice(0, 200)}`);
	let v = await axe(page, '.upload-form');
	assert(v.length === 0, `upload receipt: ${v.join('; ')}`);
	await page.locator('.upload-form').screenshot({ path: `${OUT}/upload-receipt-1280.png` });
	const rev = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${EXPECTED}&measure=outreach_events`);
	assert(rev.find((r) => r.replaced === null).value === 41, 'outreach_events not stored');

	problems.length = 0;
	await file.setInputFiles(bad);
	await page.getByRole('button', { name: i18n.en.upload_send, exact: true }).click();
	await page.waitForSelector('.upload-result .upload-error', { timeout: READY_MS });
	const err = await page.locator('.upload-error').innerText();
	assert(err.includes(fill(i18n.en.upload_refused, { file: 'upload-bad.csv' })) && err.includes('403'), `error: ${err}`);
	assert(problems.every((p) => p.includes('HTTP 403')), problems.join('; '));
	v = await axe(page, '.upload-form');
	assert(v.length === 0, `upload error: ${v.join('; ')}`);
	const rev2 = await page.evaluate(async (q) => (await fetch(`/api/v1/revisions?${q}`)).json(),
		`area=${MUNI}&period=${EXPECTED}&measure=outreach_events`);
	assert(rev2.find((r) => r.replaced === null).value === 41, 'a row of the refused file was stored');
	await context.close();
});

/* ---- outliers: confirmed by the municipality, seen by the ministry -------- */

await check('outlier: flagged on the municipality\'s page, confirmed with a comment; the ministry sees it on /health', async () => {
	/* a far value for the latest month held */
	const ctx = await browser.newContext();
	await signInApi(ctx, BASE, MUNI_TOKEN);
	const probe = await ctx.request.get(`${BASE}/api/v1/flags?area=${MUNI}`);
	if (probe.status() === 404) {
		await ctx.close();
		return 'skip no /api/v1/flags in this daemon';
	}
	const s = (await (await ctx.request.get(`${BASE}/api/v1/session`)).json());
	const last = (await (await ctx.request.get(`${BASE}/api/v1/revisions?area=${MUNI}&measure=contacts`)).json())
		.filter((r) => r.replaced === null).map((r) => r.period).sort().pop();
	const r = await ctx.request.post(`${BASE}/api/v1/submissions`, {
		headers: { 'X-CSRF-Token': s.csrf },
		data: { municipality: MUNI, period: last, measures: { contacts: 999999 } },
	});
	assert(r.status() === 202, `far value: HTTP ${r.status()}`);
	await ctx.close();

	const { context, page, problems } = await formPage(1280, 'en');
	const flag = page.locator('li.flag', { hasText: catalog.measures.find((m) => m.id === 'contacts').name.en });
	assert(await flag.count() >= 1, 'no flag for contacts on the page');
	await flag.first().locator('summary').click();
	const comment = 'A one-off outreach campaign in the month.';
	await flag.first().getByLabel(i18n.en.flag_comment_label).fill(comment);
	await flag.first().getByRole('button', { name: i18n.en.flag_confirm_button }).click();
	await page.waitForFunction((c) => [...document.querySelectorAll('li.flag.is-confirmed q')].some((q) => q.textContent === c),
		comment, { timeout: READY_MS });
	const v = await axe(page, '.activity');
	assert(v.length === 0, `record with a flag: ${v.join('; ')}`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();

	const m = await newPage(1280, { lang: 'en' });
	await signInApi(m.context, BASE, MINISTRY_TOKEN);
	await m.page.goto(`${BASE}/health?lang=en`);
	await ready(m.page);
	const sec = m.page.locator('section.block', { has: m.page.getByRole('heading', { name: i18n.en.outliers_title, exact: true }) });
	assert(await sec.count() === 1, 'no outliers on /health for the ministry');
	const text = await sec.innerText();
	assert(text.includes(muniName.en) && text.includes(comment), 'the flag and its comment are not listed');
	const v2 = await axe(m.page, 'main');
	assert(v2.length === 0, `health with outliers: ${v2.join('; ')}`);
	await m.page.screenshot({ path: `${OUT}/health-ministry-1280.png`, fullPage: true });
	assert(m.problems.length === 0, m.problems.join('; '));
	await m.context.close();

	/* the ministry on the municipality's page: its record and the
	 * comment, no form (the municipality reports and confirms) */
	const m2 = await newPage(1280, { lang: 'en' });
	await signInApi(m2.context, BASE, MINISTRY_TOKEN);
	await m2.page.goto(`${BASE}/municipality/${MUNI}?lang=en`);
	await ready(m2.page);
	assert(await m2.page.locator('form.report-form, form.upload-form, form.flag-form').count() === 0,
		'the ministry is offered a form');
	const qs = await m2.page.locator('li.flag.is-confirmed q').allInnerTexts();
	assert(qs.some((q) => q.includes(comment)), 'the ministry does not see the comment');
	assert(m2.problems.length === 0, m2.problems.join('; '));
	await m2.context.close();

	const pub = await newPage(1280, { lang: 'en' });
	await pub.page.goto(`${BASE}/health?lang=en`);
	await ready(pub.page);
	assert(await pub.page.getByRole('heading', { name: i18n.en.outliers_title, exact: true }).count() === 0,
		'the public sees the outliers');
	await pub.context.close();
	return null;
});

/* ---- sign out -------------------------------------------------------------- */

await check('sign out: the header offers sign-in again and the session is gone', async () => {
	const { context, page, problems } = await formPage(1280, 'en');
	await page.locator('#account button.signout').focus();
	await page.keyboard.press('Enter');
	await page.waitForSelector('#account a.signin-link', { timeout: READY_MS });
	await ready(page);
	const s = await session(page);
	assert(!s.signed_in, `still signed in: ${JSON.stringify(s)}`);
	assert(await page.locator('form.report-form').count() === 0, 'the form is still shown');
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

/* ---- public = no ----------------------------------------------------------- */

await check('public = no: any page is the sign-in form; signing in shows the page', async () => {
	const { context, page, problems } = await newPage(1280, { lang: 'fi' });
	await page.goto(`${BASE_PRIVATE}/region/MK01`);
	await ready(page);
	assert(await page.locator('h1').innerText() === i18n.fi.signin_title, 'no sign-in heading');
	assert(await page.locator('.lead').innerText() === i18n.fi.signin_lead_private, 'the page does not say why');
	const v = await axe(page);
	assert(v.length === 0, v.join('; '));
	await page.screenshot({ path: `${OUT}/signin-private-1280.png`, fullPage: true });
	await tabTo(page, () => document.activeElement.id === 'signin-token', 40);
	await page.keyboard.type(PRIVATE_TOKEN);
	await page.keyboard.press('Enter');
	await page.waitForSelector('.kpis', { timeout: READY_MS });
	await ready(page);
	assert(new URL(page.url()).pathname === '/region/MK01', `went to ${page.url()}`);
	const who = await page.locator('#account .who').innerText();
	assert(who.includes(i18n.fi.who_ministry), `the header says "${who}"`);
	assert(problems.length === 0, problems.join('; '));
	await context.close();
});

await finish();
