/*
 * jsonstat.mjs: kuntamon's JSON-stat as the reference library reads it,
 * held to the JSON rows of the same question.
 *
 *   node jsonstat.mjs DATA.jsonstat DATA.json
 *
 * jsonstat-toolkit reads the dataset; its dimensions must be indicator,
 * area and period (roles metric, geo, time) with the categories the rows
 * name, in the rows' order, labelled with the rows' names and the
 * indicators' units; every cell Data({indicator, area, period}) must be
 * the row's value, and a row without one (withheld or missing) a null
 * cell whose status is the row's flag. Prints one "ok NAME" or "not ok
 * NAME (why)" line per check; exits 1 if any failed, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import JSONstat from 'jsonstat-toolkit';

let nFailed = 0;

function check(name, cond, why) {
	if (cond) {
		console.log(`ok ${name}`);
	} else {
		nFailed += 1;
		console.log(`not ok ${name}${why ? ` (${why})` : ''}`);
	}
}

function same(a, b) {
	return JSON.stringify(a) === JSON.stringify(b);
}

/* The distinct values of a column, in the order the rows first name them. */
function distinct(rows, col) {
	const seen = new Set();
	const out = [];
	for (const r of rows) {
		if (!seen.has(r[col])) {
			seen.add(r[col]);
			out.push(r[col]);
		}
	}
	return out;
}

if (process.argv.length !== 4) {
	console.error('usage: node jsonstat.mjs DATA.jsonstat DATA.json');
	process.exit(2);
}
const [, , statPath, jsonPath] = process.argv;
const raw = JSON.parse(readFileSync(statPath, 'utf8'));
const ds = JSONstat(raw);
const table = JSON.parse(readFileSync(jsonPath, 'utf8'));
const col = Object.fromEntries(table.columns.map((c, i) => [c, i]));
const rows = table.rows;

check('jsonstat class dataset, version 2.0',
      ds.class === 'dataset' && raw.version === '2.0',
      `class ${ds.class}, version ${raw.version}`);
check('jsonstat ids indicator, area, period',
      same(ds.id, ['indicator', 'area', 'period']), JSON.stringify(ds.id));
check('jsonstat roles',
      same(ds.role.metric, ['indicator']) && same(ds.role.geo, ['area']) &&
          same(ds.role.time, ['period']),
      JSON.stringify(ds.role));
check('jsonstat updated is ISO 8601 UTC',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ds.updated), ds.updated);

const want = {
	indicator: distinct(rows, col.indicator),
	area: distinct(rows, col.area),
	period: distinct(rows, col.period),
};
for (const dim of ['indicator', 'area', 'period']) {
	const d = ds.Dimension(dim);
	check(`jsonstat dimension ${dim}: the rows' ${want[dim].length} categories in order`,
	      d !== null && same(d.id, want[dim]),
	      d === null ? 'absent' : `${d.id.slice(0, 5)}...`);
}
check('jsonstat size is the rows',
      ds.n === rows.length && same(ds.size, [want.indicator.length,
                                             want.area.length,
                                             want.period.length]),
      `n ${ds.n}, rows ${rows.length}`);

/* names: the areas' as the rows give them, the indicators' and units as
 * the JSON's "indicators" */
const area = ds.Dimension('area');
const badArea = rows.find((r) => area.Category(r[col.area]).label !== r[col.area_name]);
check('jsonstat area labels are the rows\' names', badArea === undefined,
      badArea && `${badArea[col.area]}: ${area.Category(badArea[col.area]).label}`);
const indicator = ds.Dimension('indicator');
const badItem = want.indicator.find((id) => {
	const c = indicator.Category(id);
	const meta = (table.indicators || {})[id];
	return c === null || c.unit === null || typeof c.unit.label !== 'string' ||
	       !Number.isInteger(c.unit.decimals) ||
	       (meta && (meta.name !== c.label || meta.unit !== c.unit.label));
});
check('jsonstat indicators: labels, units and decimals', badItem === undefined,
      badItem && JSON.stringify(indicator.Category(badItem)));

/* every cell */
let nBad = 0;
let firstBad = '';
let nWithheld = 0;
for (const r of rows) {
	const cell = ds.Data({
		indicator: r[col.indicator],
		area: r[col.area],
		period: r[col.period],
	});
	const v = r[col.value];
	const flag = r[col.flag];
	let good;
	if (v === null) {
		good = cell !== null && cell.value === null &&
		       typeof flag === 'string' && flag !== '' && cell.status === flag;
		if (flag === 'suppressed')
			nWithheld += 1;
	} else {
		good = cell !== null && cell.value === v &&
		       (cell.status === null || cell.status === undefined);
	}
	if (!good) {
		nBad += 1;
		if (firstBad === '')
			firstBad = `${r[col.area]} ${r[col.indicator]} ${r[col.period]}: ` +
			           `row ${JSON.stringify([v, flag])}, cell ${JSON.stringify(cell)}`;
	}
}
check(`jsonstat every cell equals its row (${rows.length} cells, ${nWithheld} withheld)`,
      nBad === 0, `${nBad} differ; first ${firstBad}`);
process.exit(nFailed === 0 ? 0 : 1);
