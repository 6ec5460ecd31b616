/*
 * lib.mjs: what check.mjs and report.mjs share: one headless Chromium,
 * fresh pages watched for problems, the "ok" / "not ok" / "skip" lines,
 * waiting for a page to be ready, axe-core, and the languages' texts.
 *
 * axe-core is evaluated through the DevTools protocol, which the pages'
 * Content-Security-Policy does not govern, so the policy stays as strict
 * under test as in use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const READY_MS = 30000;
export const LOCALES = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

/* the dashboard's texts, by language */
export const i18n = {};
for (const l of Object.keys(LOCALES))
	i18n[l] = JSON.parse(readFileSync(new URL(`../../dashboard/assets/i18n/${l}.json`, import.meta.url), 'utf8'));
export const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

let nFailed = 0;

export function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

/* Runs one check: "ok NAME", "skip NAME (why)" when fn returns
 * "skip why", or "not ok NAME (its error's first line)". */
export async function check(name, fn) {
	try {
		const r = await fn();
		if (typeof r === 'string' && r.startsWith('skip'))
			console.log(`skip ${name} (${r.slice(5)})`);
		else
			console.log(`ok ${name}`);
	} catch (e) {
		nFailed += 1;
		console.log(`not ok ${name} (${String(e && e.message ? e.message : e).split('\n')[0].slice(0, 300)})`);
	}
}

export const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-dev-shm-usage', '--font-render-hinting=none'],
});

/* Closes the browser; the exit status says whether any check failed. */
export async function finish() {
	await browser.close();
	process.exit(nFailed > 0 ? 1 : 0);
}

/* A fresh context (no cookie) and page, width × 900, in lang (a key of
 * LOCALES), recording every problem a visitor would not see but a
 * developer must: console errors, uncaught exceptions, failed requests,
 * HTTP errors; but the (status, URL pattern) pairs in allowed, which a
 * check provokes on purpose. */
export async function newPage(width, { lang = 'fi', allowed = [] } = {}) {
	const context = await browser.newContext({
		viewport: { width, height: 900 },
		locale: LOCALES[lang],
		reducedMotion: 'reduce',
	});
	const page = await context.newPage();
	const problems = [];
	page.on('console', (m) => {
		/* Chromium logs each HTTP error itself; those are judged below */
		if (m.type() === 'error' && !/Failed to load resource/.test(m.text()))
			problems.push(`console: ${m.text()}`);
	});
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) => {
		const why = r.failure() ? r.failure().errorText : '';
		/* a navigation away cancels what the old page still loaded */
		if (why !== 'net::ERR_ABORTED')
			problems.push(`request failed: ${r.url()} ${why}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400 && !allowed.some(([s, re]) => s === r.status() && re.test(r.url())))
			problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
	});
	return { context, page, problems };
}

/* Ready: the script's body.is-ready (an error shown is thrown), the
 * network idle and every image decoded. */
export async function ready(page) {
	await page.waitForSelector('body.is-ready, [role="alert"]', { timeout: READY_MS });
	const alert = await page.$('[role="alert"]');
	if (alert)
		throw new Error(`the page shows an error: ${(await alert.innerText()).replace(/\s+/g, ' ')}`);
	await page.waitForLoadState('networkidle', { timeout: READY_MS });
	await page.waitForFunction(() => [...document.images].every((i) => i.complete),
		null, { timeout: READY_MS });
}

/* axe-core's WCAG 2.1 AA violations on the page, or within the element
 * include selects, one line each. */
export async function axe(page, include) {
	await page.evaluate(AXE);
	const res = await page.evaluate(({ tags, sel }) => window.axe.run(sel ? { include: [sel] } : document, {
		runOnly: { type: 'tag', values: tags },
		resultTypes: ['violations'],
	}), { tags: WCAG, sel: include || null });
	return res.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes[0].target.join(' ')})`);
}
