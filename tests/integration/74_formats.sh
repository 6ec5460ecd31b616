#!/bin/bash
# /api/v1/data in the analysts' formats (SPEC §6, §7, issue 9), read by
# the libraries analysts and tool makers use: 24 months of history for
# Uusimaa's municipalities imported (one small count planted: KU235's
# contacts in p1 is 3; nothing at all from KU091 in P), the daemon started,
# and one question asked as JSON, JSON-stat and XLSX, anonymously and with
# a ministry token:
# - jsonstat-toolkit reads the JSON-stat (tests/clients/jsonstat.mjs): the
#   dataset's dimensions are indicator, area and period and every cell
#   equals the JSON's row, a null one with the row's flag as its status;
# - openpyxl (and pandas) read the XLSX (tests/clients/xlsx.py): three
#   sheets, every data cell equal to the JSON's row;
# - suppression holds in every format: the planted count's cells are
#   withheld from the public (null and "suppressed" in the JSON and the
#   JSON-stat, empty and flagged in the XLSX and the CSV) and shown to the
#   ministry;
# - `kuntamonctl export --data` gives the ministry's answer without the
#   daemon: the same bytes as JSON, CSV and excel-fi CSV, the same
#   JSON-stat but for its "updated" time, the same workbook as openpyxl
#   reads it (zip entries carry the time they were made); a workbook is
#   refused on a terminal; bad flags are exit 2.
#
# Without node and the npm packages (tests/clients: npm ci), or Python's
# openpyxl and pandas (Debian's python3-openpyxl python3-pandas), the
# clients' part prints "skip" with the reason; under CI it must run.
. "$(dirname "$0")/lib.sh"

need curl jq

CLIENTS=$SRC/tests/clients
NODE_MISSING=
if ! command -v node >/dev/null; then
	NODE_MISSING="no node: apt-get install nodejs"
elif [ ! -f "$CLIENTS/node_modules/jsonstat-toolkit/package.json" ]; then
	NODE_MISSING="npm packages missing: (cd tests/clients && npm ci)"
fi
# Debian's python3 has the packages; a python3 earlier on PATH (pyenv,
# a virtualenv) may not
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import openpyxl, pandas' 2>/dev/null; then
		PY=$p
		break
	fi
done
PY_MISSING=
[ -n "$PY" ] || PY_MISSING="no python3 with openpyxl and pandas: apt-get install python3-openpyxl python3-pandas"
# client_missing NAME WHY: a skip, or under CI a failure
client_missing() {
	if [ -n "${CI:-}" ]; then
		not_ok "$1 ($2; CI must run this)"
	else
		skip "$1 ($2)"
	fi
}

P=$(expected_period)
p1=$(period_add "$P" -1)
first=$(period_add "$P" -23)
Q="level=municipality&region=MK01&indicator=*&period=LAST_24_MONTHS&lang=fi"

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=300 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

# Uusimaa's municipalities, 24 months to P, with KU235's p1 contacts
# (and remote contacts, kept below it) small, and KU091 silent in P
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$first" "$P" >"$T/all.csv" ||
	{ not_ok "history generated"; exit 1; }
awk -F, -v munis="$SRC/config/municipalities.csv" -v p1="$p1" -v P="$P" '
	BEGIN { while ((getline l < munis) > 0) { split(l, f, ","); if (f[4] == "01") uusimaa["KU" f[1]] = 1 } }
	NR == 1 { print; next }
	!($1 in uusimaa) { next }
	$1 == "KU091" && $2 == P { next }
	$1 == "KU235" && $2 == p1 && $3 == "contacts" { $4 = 3 }
	$1 == "KU235" && $2 == p1 && $3 == "contacts_remote" { $4 = 1 }
	{ print }' OFS=, "$T/all.csv" >"$T/h.csv"
ctl import "$T/h.csv" >/dev/null || { not_ok "history imported"; exit 1; }
MIN=$(ctl token create --ministry 2>/dev/null)
[ -n "$MIN" ] || { not_ok "ministry token created"; exit 1; }
start_daemon "$T/k.conf" || exit 1
URL=http://127.0.0.1:$D_PORT

# api PATH OUT [CURL ARGS]: body to OUT, prints "STATUS CONTENT-TYPE"
api() {
	_p=$1 _o=$2
	shift 2
	curl -s --max-time 60 -o "$_o" -D "$_o.h" "$@" "$URL$_p" >/dev/null
	printf '%s %s\n' "$(awk 'NR == 1 { print $2 }' "$_o.h")" \
		"$(awk -F': ' 'tolower($1) == "content-type" { sub("\r", "", $2); print $2 }' "$_o.h")"
}
XLSX_TYPE=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
for who in anon ministry; do
	auth=()
	[ "$who" = ministry ] && auth=(-H "Authorization: Bearer $MIN")
	check_eq "$who: JSON 200" "$(api "/api/v1/data?$Q" "$T/$who.json" "${auth[@]}" | cut -d' ' -f1)" 200
	check_eq "$who: JSON-stat 200, JSON" \
		"$(api "/api/v1/data.jsonstat?$Q" "$T/$who.jsonstat" "${auth[@]}" | cut -d';' -f1)" \
		"200 application/json"
	check_eq "$who: XLSX 200, its type" \
		"$(api "/api/v1/data.xlsx?$Q" "$T/$who.xlsx" "${auth[@]}")" "200 $XLSX_TYPE"
	check_eq "$who: CSV 200" "$(api "/api/v1/data.csv?$Q" "$T/$who.csv" "${auth[@]}" | cut -d' ' -f1)" 200
	check_eq "$who: excel-fi CSV 200" \
		"$(api "/api/v1/data.csv?$Q&dialect=excel-fi" "$T/$who.excel-fi" "${auth[@]}" | cut -d' ' -f1)" 200
done
N=$(jq '.rows | length' "$T/ministry.json")
N_MUNIS=$(awk -F, 'NR > 1 && $4 == "01"' "$SRC/config/municipalities.csv" | wc -l)
check_eq "the table: Uusimaa's municipalities x 9 indicators x 24 months" \
	"$N" "$((N_MUNIS * 9 * 24))"
check "a zip (PK) each" sh -c "head -c 2 '$T/anon.xlsx' | grep -q PK && head -c 2 '$T/ministry.xlsx' | grep -q PK"

# --- the clients ---
for who in anon ministry; do
	if [ -n "$NODE_MISSING" ]; then
		client_missing "jsonstat-toolkit reads the $who JSON-stat" "$NODE_MISSING"
	else
		node "$CLIENTS/jsonstat.mjs" "$T/$who.jsonstat" "$T/$who.json" >"$T/$who.js.out" 2>&1
		s=$?
		sed "s/^\(not \)\{0,1\}ok /&$who: /" "$T/$who.js.out"
		grep -q '^not ok' "$T/$who.js.out" && N_FAILED=$((N_FAILED + 1))
		check_eq "$who: jsonstat.mjs exit 0" "$s" 0
	fi
	if [ -n "$PY_MISSING" ]; then
		client_missing "openpyxl reads the $who XLSX" "$PY_MISSING"
	else
		"$PY" "$CLIENTS/xlsx.py" "$T/$who.xlsx" "$T/$who.json" >"$T/$who.py.out" 2>&1
		s=$?
		sed "s/^\(not \)\{0,1\}ok /&$who: /" "$T/$who.py.out"
		grep -q '^not ok' "$T/$who.py.out" && N_FAILED=$((N_FAILED + 1))
		check_eq "$who: xlsx.py exit 0" "$s" 0
	fi
done

# --- suppression in every format: KU235's contacts_per_1000 in p1 ---
jqe() { jq -e "$@" >/dev/null; }
# row_of FILE: the JSON row of the planted cell
row_of() {
	jq -c --arg p "$p1" '.rows[] | select(.[0] == "KU235" and .[3] == "contacts_per_1000" and .[4] == $p)' "$1"
}
check_eq "anon JSON: the small count's indicator withheld" \
	"$(row_of "$T/anon.json" | jq -c '[.[5], .[6], .[7], .[10]]')" '[null,null,null,"suppressed"]'
check "ministry JSON: the same cell shown (3 contacts)" \
	jqe --arg p "$p1" '.rows[] | select(.[0] == "KU235" and .[3] == "contacts_per_1000" and .[4] == $p) | .[5] != null and .[6] == 3 and .[10] == null' "$T/ministry.json"
check "anon JSON: some cells withheld, none of them with a value" \
	jqe '[.rows[] | select(.[10] == "suppressed")] | length > 0 and all(.[5] == null and .[6] == null and .[7] == null)' "$T/anon.json"
check_eq "ministry JSON: nothing withheld" \
	"$(jq '[.rows[] | select(.[10] == "suppressed")] | length' "$T/ministry.json")" 0
# (its reporting_rate is a known 0: it was expected and did not report)
check "KU091's $P is missing, its reporting_rate 0" \
	jqe --arg p "$P" '[.rows[] | select(.[0] == "KU091" and .[4] == $p)] | length == 9 and
		all(if .[3] == "reporting_rate" then .[5] == 0 and .[10] == null
		    else .[10] == "missing" and .[5] == null end)' "$T/ministry.json"
# stat_cell FILE: "VALUE STATUS" of the planted cell in a JSON-stat file
stat_cell() {
	jq -r --arg p "$p1" '
		((.dimension.indicator.category.index.contacts_per_1000 * .size[1] +
		  .dimension.area.category.index.KU235) * .size[2] +
		 .dimension.period.category.index[$p]) as $i
		| "\(.value[$i]) \(.status[($i | tostring)] // "none")"' "$1"
}
check_eq "anon JSON-stat: the cell null, status suppressed" "$(stat_cell "$T/anon.jsonstat")" "null suppressed"
m=$(stat_cell "$T/ministry.jsonstat")
check "ministry JSON-stat: the cell has a value, no status ($m)" \
	test "${m%% *}" != null -a "${m#* }" = none
check_eq "anon JSON-stat: as many suppressed statuses as JSON rows" \
	"$(jq '[.status[] | select(. == "suppressed")] | length' "$T/anon.jsonstat")" \
	"$(jq '[.rows[] | select(.[10] == "suppressed")] | length' "$T/anon.json")"
check_eq "anon CSV: the cell's fields empty, flagged" \
	"$(awk -F, -v p="$p1" '$1 == "KU235" && $4 == "contacts_per_1000" && $5 == p { print $6 "|" $7 "|" $8 "|" $11 }' "$T/anon.csv" | tr -d '\r')" \
	"|||suppressed"
if [ -n "$PY" ]; then
	# xlsx_cell FILE: [value, numerator, denominator, flag] of the cell
	xlsx_cell() {
		"$PY" -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["data"]
for r in ws.iter_rows(min_row=2, values_only=True):
    if r[0] == "KU235" and r[3] == "contacts_per_1000" and r[4] == sys.argv[2]:
        print(repr([r[5], r[6], r[7], r[10]]))' "$1" "$p1"
	}
	check_eq "anon XLSX: the cell empty and flagged" "$(xlsx_cell "$T/anon.xlsx")" "[None, None, None, 'suppressed']"
	m=$(xlsx_cell "$T/ministry.xlsx")
	shown() { [[ $1 == "["[0-9]*", 3, "[0-9]*", None]" ]]; }
	check "ministry XLSX: the cell has its numbers ($m)" shown "$m"
fi

# --- kuntamonctl export --data: the ministry's answer from the files ---
X=(export --data --level municipality --region MK01 --indicator '*' --period LAST_24_MONTHS --lang fi)
ctl "${X[@]}" --format json >"$T/x.json"
check "export --data json: the API's bytes" cmp -s "$T/x.json" "$T/ministry.json"
ctl "${X[@]}" --format csv >"$T/x.csv"
check "export --data csv: the API's bytes" cmp -s "$T/x.csv" "$T/ministry.csv"
ctl "${X[@]}" >"$T/x.default"
check "export --data: CSV by default" cmp -s "$T/x.default" "$T/ministry.csv"
ctl "${X[@]}" --format excel-fi >"$T/x.excel-fi"
check "export --data excel-fi: the API's bytes" cmp -s "$T/x.excel-fi" "$T/ministry.excel-fi"
ctl "${X[@]}" --format jsonstat --output "$T/x.jsonstat"
check "export --data jsonstat: the API's but for updated" \
	cmp -s <(jq -S 'del(.updated)' "$T/x.jsonstat") <(jq -S 'del(.updated)' "$T/ministry.jsonstat")
ctl "${X[@]}" --format xlsx --output "$T/x.xlsx"
s=$?
check_eq "export --data xlsx --output: exit 0" "$s" 0
if [ -n "$PY_MISSING" ]; then
	client_missing "openpyxl reads the exported XLSX" "$PY_MISSING"
else
	"$PY" "$CLIENTS/xlsx.py" "$T/x.xlsx" "$T/ministry.json" >"$T/x.py.out" 2>&1
	s=$?
	sed "s/^\(not \)\{0,1\}ok /&export: /" "$T/x.py.out"
	grep -q '^not ok' "$T/x.py.out" && N_FAILED=$((N_FAILED + 1))
	check_eq "export: xlsx.py exit 0 against the API's JSON" "$s" 0
	check "export: the same data sheet as the API's workbook" "$PY" -c '
import sys, openpyxl
a, b = (list(openpyxl.load_workbook(f, read_only=True)["data"].iter_rows(values_only=True)) for f in sys.argv[1:])
sys.exit(0 if a == b and len(a) > 1 else 1)' "$T/x.xlsx" "$T/ministry.xlsx"
fi
if command -v script >/dev/null; then
	script -qec "'$B/kuntamonctl' -c '$T/k.conf' export --data --indicator gp_coverage --format xlsx" /dev/null >"$T/tty.out" 2>&1
	s=$?
	check "export --data xlsx to a terminal: refused, exit 2 ($(head -n 1 "$T/tty.out" | tr -d '\r'))" \
		sh -c "[ $s -eq 2 ] && ! grep -q PK '$T/tty.out'"
else
	skip "xlsx to a terminal (no script(1))"
fi
ctl export --data --format json >/dev/null 2>&1; s=$?
check_eq "export --data without --indicator: exit 2" "$s" 2
ctl export --data --indicator '*' --format xml >/dev/null 2>&1; s=$?
check_eq "export --data --format xml: exit 2" "$s" 2
ctl export --data --indicator '*' --period LAST_999_MONTHS >/dev/null 2>"$T/err"; s=$?
check "export --data --period LAST_999_MONTHS: exit 2 naming --period ($(cat "$T/err"))" \
	sh -c "[ $s -eq 2 ] && grep -q -- '--period' '$T/err'"
ctl export --data --indicator nope >/dev/null 2>"$T/err"; s=$?
check "export --data of an unknown indicator: exit 2 ($(cat "$T/err"))" \
	sh -c "[ $s -eq 2 ] && grep -q nope '$T/err'"
ctl export --data --indicator '*' --start -1y >/dev/null 2>&1; s=$?
check_eq "export --data --start (a series' flag): exit 2" "$s" 2
ctl export --area MK01 --indicator gp_coverage --format json >"$T/series.json"; s=$?
check "the series mode still works" sh -c "[ $s -eq 0 ] && jq -e '.points | length > 0' '$T/series.json' >/dev/null"

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
[ "$N_FAILED" -eq 0 ]
