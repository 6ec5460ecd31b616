#!/bin/bash
# /api/v1/data end to end (SPEC §6, §7, issue 9): two years of generated
# history (fakemuni --history) for every municipality imported, with one
# small count planted (KU005's contacts in the expected period P is 3),
# then the real daemon (no endpoints) asked from outside:
# - JSON and CSV shapes: the columns, one row per (area, indicator,
#   period) in the cube's order, the names of what the answer holds, the
#   question as resolved; CRLF, a header, the file named;
# - pandas reads both CSV dialects (plain; excel-fi with ';', a decimal
#   comma and the byte-order mark) into the same table as the JSON;
# - one number: a region's row equals /api/v1/series?step=month and
#   /api/v1/latest for that period, to the byte;
# - suppression: the planted count (and the indicators built on it) is
#   withheld from the public (flag suppressed, empty value) and shown to
#   a ministry token and to KU005's own token, in JSON and CSV; JSON-stat
#   and XLSX answer 200 with their types (tests/integration/74_formats.sh
#   reads their cells);
# - 400 naming the parameter, 404 for unknown codes, the 100,000-cell
#   limit (every indicator of every municipality for 37 months is
#   102,564 cells) and the 66,528-cell answer (24 months) in full;
# - ETags: the same question the same tag (a 304 with it), another view
#   or dialect another; public = no answers 401 without a token.
. "$(dirname "$0")/lib.sh"

need curl jq
# Debian's python3 has pandas; a python3 earlier on PATH (pyenv, a
# virtualenv) may not
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import pandas' 2>/dev/null; then
		PY=$p
		break
	fi
done

P=$(expected_period)
first=$(period_add "$P" -23)
p1=$(period_add "$P" -1)
N_MUNIS=$(($(wc -l <"$SRC/config/municipalities.csv") - 1))
N_REGIONS=$(($(wc -l <"$SRC/config/regions.csv") - 1))
N_IND=$(jq '.indicators | length' "$SRC/config/measures.json")
COLUMNS="area,area_name,region,indicator,period,value,numerator,denominator,reporting,expected,flag"

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=300 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$first" "$P" >"$T/all.csv" ||
	{ not_ok "history generated"; exit 1; }
awk -F, -v P="$P" 'NR == 1 { print; next }
	$1 == "KU005" && $2 == P && $3 == "contacts" { $4 = 3 }
	$1 == "KU005" && $2 == P && $3 == "contacts_remote" { $4 = 1 }
	{ print }' OFS=, "$T/all.csv" >"$T/h.csv"
check_eq "KU005's small count planted" \
	"$(grep -c "^KU005,$P,contacts,3\$" "$T/h.csv")" 1
ctl import "$T/h.csv" >/dev/null || { not_ok "history imported"; exit 1; }
MIN=$(ctl token create --ministry 2>/dev/null)
OWN=$(ctl token create KU005 2>/dev/null)
[ -n "$MIN" ] && [ -n "$OWN" ] || { not_ok "tokens created"; exit 1; }
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
header() { awk -F': ' -v h="$1" 'tolower($1) == h { sub("\r", "", $2); print $2 }' "$2"; }
mapi() { api "$1" "$2" -H "Authorization: Bearer $MIN"; }

# --- JSON: every indicator of every region, 24 months ---
Q="indicator=*&level=region&period=LAST_24_MONTHS"
check_eq "regions JSON: 200 JSON" "$(api "/api/v1/data?$Q" "$T/r.json")" \
	"200 application/json; charset=utf-8"
check_eq "regions JSON: the columns" "$(jq -r '.columns | join(",")' "$T/r.json")" "$COLUMNS"
check_eq "regions JSON: $N_REGIONS regions x $N_IND indicators x 24 months" \
	"$(jq '.rows | length' "$T/r.json")" "$((N_REGIONS * N_IND * 24))"
check_eq "regions JSON: 4,104 rows for the shipped catalog" "$(jq '.rows | length' "$T/r.json")" 4104
check_eq "regions JSON: every row 11 fields" \
	"$(jq '[.rows[] | length] | unique | map(tostring) | join(",")' -r "$T/r.json")" 11
check_eq "regions JSON: the question as resolved" "$(jq -r .query "$T/r.json")" \
	"indicator=$(jq -r '[.indicators[].id] | join(",")' "$SRC/config/measures.json")&level=region&period=$first..$P&lang=fi"
check_eq "regions JSON: cube order (areas, indicators, periods oldest first)" \
	"$(jq -r '[.rows[0][0,3,4], .rows[23][4], .rows[24][3], .rows[216][0]] | join(" ")' "$T/r.json")" \
	"MK01 gp_coverage $first $P remote_coverage MK02"
check_eq "regions JSON: a region's region is its own code" \
	"$(jq -r '[.rows[] | select(.[0] != .[2])] | length' "$T/r.json")" 0
check_eq "regions JSON: numbers are numbers, reporting and expected counts" \
	"$(jq -r '[.rows[] | [(.[5] | type), (.[8] | type), (.[9] | type)] | join("/")] | unique | join(" ")' "$T/r.json")" \
	"number/number/number"
check_eq "regions JSON: the names of the areas" \
	"$(jq -r '[(.areas | length), .areas.MK01] | join(" ")' "$T/r.json")" "$N_REGIONS Uusimaa"
check_eq "regions JSON: the names and units of the indicators" \
	"$(jq -r '[(.indicators | length), .indicators.gp_coverage.unit, (.indicators.gp_coverage.name | length > 0)] | join(" ")' "$T/r.json")" \
	"$N_IND % true"
api "/api/v1/data?$Q&lang=sv" "$T/rsv.json" >/dev/null
check_eq "lang=sv: Swedish names" "$(jq -r '.areas.MK01' "$T/rsv.json")" Nyland
api "/api/v1/data?indicator=gp_open&period=$P" "$T/sss.json" >/dev/null
check_eq "the defaults: the country; its region empty (null)" \
	"$(jq -r '.rows[0] | [.[0], .[1], (.[2] | tostring), .[4], .[9]] | join(" ")' "$T/sss.json")" \
	"SSS Koko maa null $P $N_MUNIS"
api "/api/v1/data?indicator=gp_open" "$T/def.json" >/dev/null
check_eq "the defaults: the last 12 months to $P" \
	"$(jq -r '[(.rows | length), .rows[0][4], .rows[-1][4]] | join(" ")' "$T/def.json")" \
	"12 $(period_add "$P" -11) $P"
api "/api/v1/data?indicator=contacts,gp_open&area=MK01:children,KU005,KU091&period=$p1..$P" "$T/mix.json" >/dev/null
N_MK01=$(awk -F, 'NR > 1 && $4 == "01"' "$SRC/config/municipalities.csv" | wc -l)
check_eq "an area list: MK01's municipalities and KU005, KU091 dropped as a duplicate" \
	"$(jq -r '[(.rows | length), (.rows | map(.[0]) | unique | length), .rows[-1][0], .query] | join(" ")' "$T/mix.json")" \
	"$(((N_MK01 + 1) * 2 * 2)) $((N_MK01 + 1)) KU005 indicator=contacts,gp_open&area=MK01:children,KU005&period=$p1..$P&lang=fi"
check_eq "a municipality's region column is its region" \
	"$(jq -r '[.rows[] | select(.[0] == "KU005") | .[2]] | unique | join(",")' "$T/mix.json")" MK14

# --- CSV ---
check_eq "regions CSV: 200 text/csv" "$(api "/api/v1/data.csv?$Q" "$T/r.csv")" \
	"200 text/csv; charset=utf-8"
check_eq "regions CSV: named as a file" "$(header content-disposition "$T/r.csv.h")" \
	'attachment; filename="kuntamon_data.csv"'
check_eq "regions CSV: the header" "$(head -n 1 "$T/r.csv" | tr -d '\r')" "$COLUMNS"
check_eq "regions CSV: a line per row, each ending CRLF" \
	"$(wc -l <"$T/r.csv") $(grep -c $'\r$' "$T/r.csv")" "4105 4105"
check_eq "regions CSV: the first row" "$(sed -n 2p "$T/r.csv" | cut -d, -f1-5)" \
	"MK01,Uusimaa,MK01,gp_coverage,$first"
api "/api/v1/data.csv?$Q&dialect=excel-fi" "$T/r.fi.csv" >/dev/null
check_eq "excel-fi: the byte-order mark, then ';'" "$(head -c 8 "$T/r.fi.csv" | od -An -tx1 | tr -d ' \n')" \
	"efbbbf617265613b"
check_eq "excel-fi: decimal commas, no points in numbers" \
	"$(tail -n +2 "$T/r.fi.csv" | cut -d';' -f6-8 | grep -c '[0-9]\.[0-9]') $(tail -n +2 "$T/r.fi.csv" | cut -d';' -f6 | grep -c ',')" \
	"0 $(tail -n +2 "$T/r.csv" | awk -F, '$6 ~ /\./' | wc -l)"

if [ -z "$PY" ]; then
	if [ -n "${CI:-}" ]; then not_ok "pandas (no python3 with pandas; CI must run this)"; else skip "pandas: no python3 with pandas (apt-get install python3-pandas)"; fi
else
	# read_csv both dialects: the same table, and the JSON's values.
	# pandas' default float parser may miss by an ulp (its "high"
	# converter); float_precision="round_trip" reads every digit exactly
	"$PY" - "$T/r.csv" "$T/r.fi.csv" "$T/r.json" >"$T/pandas.out" 2>&1 <<'EOF'
import json, sys
import pandas as pd
args = dict(keep_default_na=False, na_values=[""])
fi_args = dict(sep=";", decimal=",", encoding="utf-8-sig", **args)
plain = pd.read_csv(sys.argv[1], **args)
fi = pd.read_csv(sys.argv[2], **fi_args)
exact = pd.read_csv(sys.argv[1], float_precision="round_trip", **args)
fi_exact = pd.read_csv(sys.argv[2], float_precision="round_trip", **fi_args)
doc = json.load(open(sys.argv[3]))
print("shape", plain.shape[0], plain.shape[1], fi.shape[0], fi.shape[1])
print("columns", ",".join(plain.columns) == ",".join(doc["columns"]),
      ",".join(fi.columns) == ",".join(doc["columns"]))
print("dialects equal", plain.equals(fi), exact.equals(fi_exact))
def differ(table, tolerance):
    bad = 0
    for i, row in enumerate(doc["rows"]):
        for c in (5, 6, 7, 8, 9):
            want, got = row[c], table.iat[i, c]
            if (want is None) != pd.isna(got):
                bad += 1
            elif want is not None and abs(float(got) - want) > tolerance * abs(want):
                bad += 1
        if table.iat[i, 0] != row[0] or table.iat[i, 4] != row[4]:
            bad += 1
    return bad
print("values like the JSON", differ(exact, 0), differ(fi_exact, 0),
      differ(plain, 1e-15), differ(fi, 1e-15))
print("types", plain["value"].dtype, plain["reporting"].dtype)
EOF
	check_eq "pandas: both dialects $((N_REGIONS * N_IND * 24)) x 11" \
		"$(grep ^shape "$T/pandas.out")" "shape 4104 11 4104 11"
	check_eq "pandas: the columns" "$(grep ^columns "$T/pandas.out")" "columns True True"
	check_eq "pandas: excel-fi reads as the same table (default and round_trip parsers)" \
		"$(grep '^dialects' "$T/pandas.out")" "dialects equal True True"
	check_eq "pandas: every value, count and code equals the JSON's (round_trip exactly, default within 1e-15)" \
		"$(grep '^values' "$T/pandas.out")" "values like the JSON 0 0 0 0"
	check_eq "pandas: numbers as numbers" "$(grep '^types' "$T/pandas.out")" "types float64 int64"
	grep -q '^shape' "$T/pandas.out" || cat "$T/pandas.out"
fi

# --- one number: data, series and latest for a region's period ---
for ind in outreach_reach contacts_per_1000 gp_coverage; do
	api "/api/v1/data.csv?indicator=$ind&area=MK01&period=$P" "$T/one.csv" >/dev/null
	api "/api/v1/series.csv?area=MK01&indicator=$ind&start=$P&end=$P&step=month" "$T/one.s.csv" >/dev/null
	api "/api/v1/latest?indicator=$ind&level=region" "$T/one.l.json" >/dev/null
	d=$(sed -n 2p "$T/one.csv" | cut -d, -f6)
	s=$(sed -n 2p "$T/one.s.csv" | tr -d '\r' | cut -d, -f2)
	# latest's value as the bytes it printed (jq would reprint it)
	l=$(grep -o '"area":"MK01"[^}]*' "$T/one.l.json" | grep -o '"value":[^,]*' | cut -d: -f2)
	lp=$(jq -r '.[] | select(.area == "MK01") | .period' "$T/one.l.json")
	check_eq "one number: MK01 $ind in $P, data = series = latest" "$d $lp" "$s $P"
	check_eq "one number: MK01 $ind, latest's bytes" "$l" "$d"
	check "one number: MK01 $ind is a number ($d)" test -n "$d"
	jv=$(api "/api/v1/data?indicator=$ind&area=MK01&period=$P" "$T/one.json" >/dev/null
		grep -o "\"$P\",[^,]*" "$T/one.json" | cut -d, -f2)
	check_eq "one number: MK01 $ind, the JSON's bytes" "$jv" "$d"
done

# --- suppression: KU005's contacts in P is 3 ---
SQ="indicator=contacts,contacts_per_1000,gp_coverage&area=KU005,MK14&period=$P"
api "/api/v1/data?$SQ" "$T/s.anon.json" >/dev/null
mapi "/api/v1/data?$SQ" "$T/s.min.json" >/dev/null
api "/api/v1/data?$SQ" "$T/s.own.json" -H "Authorization: Bearer $OWN" >/dev/null
row() { jq -c --arg a "$2" --arg i "$3" '.rows[] | select(.[0] == $a and .[3] == $i) | [.[5], .[6], .[10]]' "$1"; }
check_eq "public: KU005's small count withheld (null, suppressed)" \
	"$(row "$T/s.anon.json" KU005 contacts)" '[null,null,"suppressed"]'
check_eq "public: an indicator built on it withheld" \
	"$(row "$T/s.anon.json" KU005 contacts_per_1000)" '[null,null,"suppressed"]'
check_eq "public: an indicator without counts shown" \
	"$(row "$T/s.anon.json" KU005 gp_coverage | jq -r '.[2]')" null
check_eq "ministry: the count shown" "$(row "$T/s.min.json" KU005 contacts)" '[3,3,null]'
check_eq "KU005's own token: its count shown" "$(row "$T/s.own.json" KU005 contacts)" '[3,3,null]'
api "/api/v1/data.csv?$SQ" "$T/s.anon.csv" >/dev/null
mapi "/api/v1/data.csv?$SQ" "$T/s.min.csv" >/dev/null
check_eq "public CSV: empty value, flag suppressed" \
	"$(grep "^KU005,[^,]*,MK14,contacts," "$T/s.anon.csv" | tr -d '\r' | cut -d, -f6-)" ",,,1,1,suppressed"
check_eq "ministry CSV: the value" \
	"$(grep "^KU005,[^,]*,MK14,contacts," "$T/s.min.csv" | tr -d '\r' | cut -d, -f6-)" "3,3,,1,1,"
api "/api/v1/data.csv?$SQ&dialect=excel-fi" "$T/s.anon.fi.csv" >/dev/null
check_eq "public excel-fi: empty value, flag suppressed" \
	"$(grep "^KU005;[^;]*;MK14;contacts;" "$T/s.anon.fi.csv" | tr -d '\r' | cut -d';' -f6-)" ";;;1;1;suppressed"
check_eq "public CSV: the indicator built on it empty too" \
	"$(grep "^KU005,[^,]*,MK14,contacts_per_1000," "$T/s.anon.csv" | tr -d '\r' | cut -d, -f6-8,11)" ",,,suppressed"
# the whole country of municipalities, as the public: every withheld row
# empty, and some (the history's own small counts) besides KU005's
api "/api/v1/data.csv?indicator=contacts&level=municipality&period=$P" "$T/s.all.csv" >/dev/null
check_eq "public: every suppressed row has empty numbers" \
	"$(tr -d '\r' <"$T/s.all.csv" | awk -F, '$11 == "suppressed" && ($6 != "" || $7 != "" || $8 != "")' | wc -l)" 0
check "public: KU005 among the suppressed rows" \
	sh -c "tr -d '\r' <'$T/s.all.csv' | grep -q '^KU005,.*,suppressed\$'"
check "public: no shown count below 5" \
	sh -c "! tr -d '\r' <'$T/s.all.csv' | awk -F, 'NR > 1 && \$6 != \"\" && \$6 < 5' | grep -q ."
for f in jsonstat xlsx; do
	st=$(api "/api/v1/data.$f?$SQ" "$T/s.$f" | cut -d' ' -f1)
	check_eq "public .$f: 200, named as a file" "$st $(header content-disposition "$T/s.$f.h")" \
		"200 attachment; filename=\"kuntamon_data.$f\""
done
check_eq "public JSON-stat: KU005's withheld cells" \
	"$(jq -r '[.status | to_entries[] | .value] | map(select(. == "suppressed")) | length' "$T/s.jsonstat")" 2
check "XLSX: a zip" sh -c "head -c 2 '$T/s.xlsx' | grep -q PK"

# --- ETags ---
etag() { header etag "$1.h"; }
api "/api/v1/data?$SQ" "$T/e1.json" >/dev/null
api "/api/v1/data.csv?$SQ" "$T/e.csv" >/dev/null
api "/api/v1/data.csv?$SQ&dialect=excel-fi" "$T/e.fi.csv" >/dev/null
check "ETag: set" test -n "$(etag "$T/e1.json")"
check_eq "ETag: the same question, the same tag" "$(etag "$T/e1.json")" "$(etag "$T/s.anon.json")"
check "ETag: the ministry's view another tag" test "$(etag "$T/s.min.json")" != "$(etag "$T/s.anon.json")"
check "ETag: CSV and JSON differ, so do the dialects" \
	test "$(etag "$T/e.csv")" != "$(etag "$T/e1.json")" -a "$(etag "$T/e.csv")" != "$(etag "$T/e.fi.csv")"
check "ETag: the same for anyone where nothing could be withheld" \
	sh -c "[ \"\$(curl -s -D - -o /dev/null '$URL/api/v1/data?indicator=gp_coverage&area=KU005' | tr -d '\r' | grep -i '^etag')\" = \
	\"\$(curl -s -D - -o /dev/null -H 'Authorization: Bearer $MIN' '$URL/api/v1/data?indicator=gp_coverage&area=KU005' | tr -d '\r' | grep -i '^etag')\" ]"
check_eq "ETag: If-None-Match with it is a 304 (server.c)" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $(etag "$T/e.csv")" "$URL/api/v1/data.csv?$SQ")" 304

# --- bad questions ---
bad() { # NAME QUERY STATUS WORD [PATH]
	st=$(api "${5:-/api/v1/data}?$2" "$T/bad.json" | cut -d' ' -f1)
	if [ "$st" = "$3" ] && jq -e --arg w "$4" '.error | contains($w)' "$T/bad.json" >/dev/null 2>&1; then
		ok "$1 ($st $(cat "$T/bad.json"))"
	else
		not_ok "$1 (got $st $(cat "$T/bad.json"))"
	fi
}
bad "no indicator: 400" "area=SSS" 400 "parameter indicator"
bad "an empty indicator item: 400" "indicator=gp_open,,contacts" 400 "parameter indicator"
bad "a malformed indicator: 400" "indicator=GP%20open" 400 "parameter indicator"
bad "a malformed area: 400" "indicator=gp_open&area=..%2Fetc" 400 "parameter area"
bad "children of a municipality: 400" "indicator=gp_open&area=KU091:children" 400 "parameter area"
bad "area= with level=: 400" "indicator=gp_open&area=SSS&level=region" 400 "parameter level"
bad "a bad level: 400" "indicator=gp_open&level=county" 400 "parameter level"
bad "region= without level=municipality: 400" "indicator=gp_open&level=region&region=MK01" 400 "parameter region"
bad "region= not a region: 400" "indicator=gp_open&level=municipality&region=KU091" 400 "parameter region"
bad "a bad period: 400" "indicator=gp_open&period=2026-13" 400 "parameter period"
bad "a range backwards: 400" "indicator=gp_open&period=$P..$first" 400 "parameter period"
bad "LAST_121_MONTHS: 400" "indicator=gp_open&period=LAST_121_MONTHS" 400 "parameter period"
bad "LAST_0_MONTHS: 400" "indicator=gp_open&period=LAST_0_MONTHS" 400 "parameter period"
bad "a bad lang: 400" "indicator=gp_open&lang=de" 400 "parameter lang"
bad "a bad dialect: 400" "indicator=gp_open&dialect=excel" 400 "parameter dialect" /api/v1/data.csv
bad "an unknown area: 404" "indicator=gp_open&area=SSS,KU999" 404 "KU999"
bad "an unknown indicator: 404" "indicator=gp_open,nope" 404 "nope"
bad "an unknown region: 404" "indicator=gp_open&level=municipality&region=MK99" 404 "MK99"
bad "CSV errors are JSON: 404" "indicator=nope" 404 "nope" /api/v1/data.csv
bad "XLSX errors are JSON: 400" "indicator=gp_open&period=x" 400 "parameter period" /api/v1/data.xlsx

# --- the limit, and the largest answer the issue names ---
bad "every indicator of every municipality for 37 months: 400 naming the limit" \
	"indicator=*&level=municipality&period=LAST_37_MONTHS" 400 "100000"
check_eq "  ... its cells counted: $N_MUNIS x $N_IND x 37" \
	"$(jq -r '.error' "$T/bad.json" | grep -o '= [0-9]*,' | tr -d '=, ')" "$((N_MUNIS * N_IND * 37))"
bad "a long range of one area over the limit: 400" \
	"indicator=*&area=SSS&period=1970-01..9999-12" 400 "100000"
BIG="indicator=*&level=municipality&period=LAST_24_MONTHS"
check_eq "all municipalities x $N_IND indicators x 24 months as CSV: 200" \
	"$(api "/api/v1/data.csv?$BIG" "$T/big.csv" | cut -d' ' -f1)" 200
check_eq "  ... 66,528 rows and the header" "$(wc -l <"$T/big.csv")" "$((66528 + 1))"
check_eq "  ... $N_MUNIS x $N_IND x 24 of them" "$((N_MUNIS * N_IND * 24))" 66528
check_eq "  ... as JSON: 66,528 rows" \
	"$(api "/api/v1/data?$BIG" "$T/big.json" >/dev/null; jq '.rows | length' "$T/big.json")" 66528
check_eq "  ... every municipality, each row once" \
	"$(tail -n +2 "$T/big.csv" | cut -d, -f1,4,5 | sort -u | wc -l) $(tail -n +2 "$T/big.csv" | cut -d, -f1 | sort -u | wc -l)" \
	"66528 $N_MUNIS"

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# --- public = no: a token is needed ---
INTERVAL=300 write_conf "$T/k2.conf" "[server]" "public = no"
start_daemon "$T/k2.conf" || exit 1
URL=http://127.0.0.1:$D_PORT
for f in "" .csv .xlsx .jsonstat; do
	check_eq "public = no: /api/v1/data$f without a token: 401" \
		"$(api "/api/v1/data$f?indicator=gp_open" "$T/p.json" | cut -d' ' -f1) $(jq -r 'has("error")' "$T/p.json")" "401 true"
done
check_eq "public = no: with the ministry's token: 200" \
	"$(mapi "/api/v1/data?indicator=gp_open" "$T/p.json" | cut -d' ' -f1)" 200
stop_daemon
check_eq "SIGTERM: exit 0 (public = no)" "$D_STATUS" 0
exit 0
