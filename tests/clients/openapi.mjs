/*
 * openapi.mjs: kuntamon's OpenAPI document as a tool maker's library reads
 * it, and, with --live, the daemon that serves it held to what it says.
 *
 *   node openapi.mjs DOC [--live BASE]
 *
 * DOC is a file or an http(s) URL (the daemon's /api/v1/openapi.json).
 * @apidevtools/swagger-parser validates it as OpenAPI 3 (structure,
 * references, path parameters, unique operation ids). With --live, every
 * GET operation is asked of the daemon at BASE with its documented
 * examples (path parameters and required query parameters): the answer
 * must be 200 with a documented content type, a JSON body must match its
 * schema (ajv, the validator swagger-parser itself uses), HEAD must give
 * the same status, a documented ETag must be there and a 304 must follow
 * If-None-Match; without its required parameters an operation must
 * answer a documented 400 with {"error"}, and without a token an
 * operation that needs one a documented 401. A token for those comes from
 * the environment (KUNTAMON_TOKEN), never the command line.
 *
 * Prints one "ok NAME" or "not ok NAME (why)" line per check; exits 1 if
 * any failed, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import SwaggerParser from '@apidevtools/swagger-parser';

const require = createRequire(import.meta.url);
/* swagger-parser's own ajv, so that no second copy is needed */
const Ajv = createRequire(require.resolve('@apidevtools/swagger-parser'))('ajv').default;
const TIMEOUT_MS = 20000;

let nFailed = 0;

function ok(name) {
	console.log(`ok ${name}`);
}

function notOk(name, why) {
	nFailed += 1;
	console.log(`not ok ${name}${why ? ` (${why})` : ''}`);
}

function check(name, cond, why) {
	if (cond)
		ok(name);
	else
		notOk(name, why);
	return cond;
}

function usage() {
	console.error('usage: node openapi.mjs DOC [--live BASE]');
	process.exit(2);
}

async function load(where) {
	if (/^https?:\/\//.test(where)) {
		const r = await fetch(where, { signal: AbortSignal.timeout(TIMEOUT_MS) });
		if (r.status !== 200)
			throw new Error(`GET ${where}: ${r.status}`);
		return r.text();
	}
	return readFileSync(where, 'utf8');
}

/* A parameter's value for a request: its example, else its default, else
 * its first choice. */
function sample(p) {
	if (p.example !== undefined)
		return String(p.example);
	if (p.schema && p.schema.default !== undefined)
		return String(p.schema.default);
	if (p.schema && p.schema.enum)
		return String(p.schema.enum[0]);
	return undefined;
}

/* The URL of op at path, its path parameters and (with withQuery) its
 * required query parameters filled with samples; null if one has none. */
function urlOf(base, path, op, withQuery) {
	const params = op.parameters || [];
	let missing = false;
	const filled = path.replace(/\{([^}]+)\}/g, (_, name) => {
		const p = params.find((q) => q.in === 'path' && q.name === name);
		const v = p && sample(p);
		if (v === undefined)
			missing = true;
		return encodeURIComponent(v ?? '');
	});
	const qs = new URLSearchParams();
	if (withQuery)
		for (const p of params)
			if (p.in === 'query' && p.required) {
				const v = sample(p);
				if (v === undefined)
					missing = true;
				qs.set(p.name, v ?? '');
			}
	if (missing)
		return null;
	const q = qs.toString();
	return base + filled + (q ? `?${q}` : '');
}

function mediaType(contentType) {
	return (contentType || '').split(';')[0].trim().toLowerCase();
}

/* Whether security lets an anonymous reader call the operation. */
function isAnonymousAllowed(op, doc) {
	const sec = op.security ?? doc.security ?? [];
	return sec.length === 0 || sec.some((s) => Object.keys(s).length === 0);
}

async function request(url, method, headers) {
	return fetch(url, {
		method,
		headers,
		redirect: 'manual',
		signal: AbortSignal.timeout(TIMEOUT_MS),
	});
}

/* Validates body against schema; the errors as one line, or ''. */
function schemaErrors(ajv, schema, body) {
	const validate = ajv.compile(schema);
	if (validate(body))
		return '';
	return ajv.errorsText(validate.errors.slice(0, 3));
}

async function checkOperation(base, doc, ajv, path, op, token) {
	const name = `GET ${path}`;
	const url = urlOf(base, path, op, true);
	const needsToken = !isAnonymousAllowed(op, doc);
	const auth = needsToken && token ? { Authorization: `Bearer ${token}` } : {};

	if (!check(`${name}: every parameter it needs has an example`, url !== null))
		return;
	if (needsToken && !token) {
		console.log(`skip ${name}: needs a token (KUNTAMON_TOKEN not set)`);
	} else {
		const r = await request(url, 'GET', auth);
		const bytes = Buffer.from(await r.arrayBuffer());
		const doc200 = op.responses['200'];
		if (!check(`${name}: 200 with its examples`, r.status === 200 && doc200,
		    `${r.status} ${bytes.toString('utf8', 0, 200)}`))
			return;
		const type = mediaType(r.headers.get('content-type'));
		const types = Object.keys(doc200.content || {});
		check(`${name}: content type ${type} is documented`,
		    types.some((t) => mediaType(t) === type), `documented: ${types.join(', ')}`);
		const media = (doc200.content || {})[types.find((t) => mediaType(t) === type)];
		if (type === 'application/json' && media && media.schema) {
			let body;
			try {
				body = JSON.parse(bytes.toString('utf8'));
			} catch (e) {
				notOk(`${name}: JSON body`, e.message);
			}
			if (body !== undefined) {
				const errs = schemaErrors(ajv, media.schema, body);
				check(`${name}: the body matches its schema`, errs === '', errs);
			}
		}
		const head = await request(url, 'HEAD', auth);
		const headBody = Buffer.from(await head.arrayBuffer());
		check(`HEAD ${path}: 200 without a body`, head.status === 200 && headBody.length === 0,
		    `${head.status}, ${headBody.length} bytes`);
		if (doc200.headers && doc200.headers.ETag) {
			const etag = r.headers.get('etag');
			if (check(`${name}: carries its documented ETag`, !!etag)) {
				const again = await request(url, 'GET', { ...auth, 'If-None-Match': etag });
				await again.arrayBuffer();
				check(`${name}: 304 for its own ETag`,
				    again.status === 304 && op.responses['304'] !== undefined,
				    `${again.status}${op.responses['304'] ? '' : ', 304 undocumented'}`);
			}
		}
	}
	const required = (op.parameters || []).filter((p) => p.in === 'query' && p.required);
	if (required.length > 0 && (!needsToken || token)) {
		const bare = urlOf(base, path, op, false);
		const r = await request(bare, 'GET', auth);
		const text = await r.text();
		let body = null;
		try {
			body = JSON.parse(text);
		} catch {
			/* checked below */
		}
		check(`${name}: without ${required.map((p) => p.name).join(', ')}: a documented 400 {"error"}`,
		    r.status === 400 && op.responses['400'] !== undefined &&
		    mediaType(r.headers.get('content-type')) === 'application/json' &&
		    body !== null && typeof body.error === 'string',
		    `${r.status} ${text.slice(0, 120)}`);
	}
	if (needsToken) {
		const r = await request(url, 'GET', {});
		const text = await r.text();
		check(`${name}: without a token: a documented 401 {"error"}`,
		    r.status === 401 && op.responses['401'] !== undefined && text.includes('"error"'),
		    `${r.status} ${text.slice(0, 120)}`);
	}
}

/* Operations other than GET: without a token, a documented 401. */
async function checkWrite(base, doc, path, method, op) {
	const url = urlOf(base, path, op, true);
	const r = await request(url, method.toUpperCase(), { 'Content-Type': 'application/json' });
	const text = await r.text();
	const wanted = isAnonymousAllowed(op, doc) ? null : '401';
	if (wanted === null) {
		console.log(`skip ${method.toUpperCase()} ${path}: open to anyone, not sent`);
		return;
	}
	check(`${method.toUpperCase()} ${path}: without a token: a documented 401 {"error"}`,
	    String(r.status) === wanted && op.responses[wanted] !== undefined && text.includes('"error"'),
	    `${r.status} ${text.slice(0, 120)}`);
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/* Every object schema below node whose required names lack a property. */
function missingRequired(node, where, out) {
	if (Array.isArray(node)) {
		node.forEach((v, i) => missingRequired(v, `${where}/${i}`, out));
		return out;
	}
	if (node === null || typeof node !== 'object')
		return out;
	if (Array.isArray(node.required) && node.properties)
		for (const r of node.required)
			if (!(r in node.properties))
				out.push(`${where}: ${r}`);
	for (const [k, v] of Object.entries(node))
		missingRequired(v, `${where}/${k}`, out);
	return out;
}

/* What swagger-parser checks of Swagger 2.0 but not yet of OpenAPI 3:
 * path templates and path parameters agree, operation ids are unique,
 * required properties exist. doc is not dereferenced: parameters may be
 * $refs into components. */
function checkSpec(doc) {
	const param = (p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p);
	const ids = new Map();
	const bad = [];
	let n = 0;
	for (const [path, item] of Object.entries(doc.paths)) {
		const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
		for (const method of METHODS) {
			const op = item[method];
			if (!op)
				continue;
			n++;
			const inPath = [...(item.parameters || []), ...(op.parameters || [])]
				.map(param).filter((p) => p && p.in === 'path');
			for (const name of names)
				if (!inPath.some((p) => p.name === name && p.required === true))
					bad.push(`${method} ${path}: no required path parameter ${name}`);
			for (const p of inPath)
				if (!names.includes(p.name))
					bad.push(`${method} ${path}: path parameter ${p.name} not in the path`);
			if (!op.operationId)
				bad.push(`${method} ${path}: no operationId`);
			else if (ids.has(op.operationId))
				bad.push(`${method} ${path}: operationId ${op.operationId} also at ${ids.get(op.operationId)}`);
			else
				ids.set(op.operationId, `${method} ${path}`);
		}
	}
	check(`openapi: ${n} operations, path parameters as their paths name them, unique operationIds`,
	    n > 0 && bad.length === 0, bad.slice(0, 3).join('; '));
	const missing = missingRequired(doc, '#', []);
	check('openapi: every required property is defined', missing.length === 0,
	    missing.slice(0, 3).join('; '));
}

async function main() {
	const args = process.argv.slice(2);
	let where = null;
	let base = null;
	for (let i = 0; i < args.length; i++) {
		if (args[i] === '--live' && i + 1 < args.length)
			base = args[++i].replace(/\/+$/, '');
		else if (where === null && !args[i].startsWith('--'))
			where = args[i];
		else
			usage();
	}
	if (where === null)
		usage();

	let text;
	let doc;
	try {
		text = await load(where);
		doc = JSON.parse(text);
		ok(`openapi: ${where} is JSON`);
	} catch (e) {
		notOk(`openapi: ${where} is JSON`, e.message);
		return;
	}
	check('openapi: an OpenAPI 3 document', /^3\.\d+\.\d+$/.test(doc.openapi || ''), doc.openapi);
	try {
		await SwaggerParser.validate(structuredClone(doc));
		ok('openapi: swagger-parser validates it');
	} catch (e) {
		notOk('openapi: swagger-parser validates it', String(e.message).replace(/\s+/g, ' ').slice(0, 400));
		return;
	}
	checkSpec(doc);
	if (base === null)
		return;

	const deref = await SwaggerParser.dereference(structuredClone(doc));
	const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
	const token = process.env.KUNTAMON_TOKEN || '';
	for (const [path, item] of Object.entries(deref.paths)) {
		for (const [method, op] of Object.entries(item)) {
			if (method === 'get')
				await checkOperation(base, deref, ajv, path, op, token);
			else if (['post', 'put', 'delete', 'patch'].includes(method))
				await checkWrite(base, deref, path, method, op);
		}
	}
}

main().then(() => process.exit(nFailed > 0 ? 1 : 0), (e) => {
	notOk('openapi.mjs', e && e.stack ? e.stack.split('\n')[0] : String(e));
	process.exit(1);
});
