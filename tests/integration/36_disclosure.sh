#!/bin/bash
# Disclosure control end to end (SPEC §7 v2, figures/figure.h): no
# difference of public figures reveals a withheld count, in any format.
#
# Imported with kuntamonctl: contacts for every municipality of Uusimaa
# (MK01) and Varsinais-Suomi (MK02) in three months (p2, p1, P), distinct
# and far from 5; in P besides:
# - KU235 (Kauniainen, MK01) has 3 contacts, and MK02's third
#   municipality 4;
# - Etelä-Pohjanmaa (MK14) has two municipalities reporting, 55 and 40.
# By the rule, the public then sees in P neither KU235 nor MK02's 4; nor
# MK02's smallest other member (its partner: MK02's total is public, and
# minus its public members it must hold two withheld figures); nor MK14
# (two behind it) and its 40 (its smallest: else MK14's total could be
# added up from its members); nor MK01's total (the country's partner of
# MK14: the first public region after it, wrapping past the regions that
# did not report). Nothing else is withheld, the country's total is shown.
#
# Asked as the public for P: /api/v1/data as JSON, CSV, JSON-stat and XLSX
# (area=SSS,SSS:children and each region with its children, contacts and
# contacts_per_1000), /api/v1/series?step=month per area, /api/v1/latest
# per level. Checked:
# - the withheld cells are the rule's above, and the same in every format;
# - every difference of public figures (a region minus its public
#   municipalities; the country minus its public regions, and minus the
#   public members of its withheld ones too) is none of the withheld
#   municipalities' true counts (from the CSV), and is 0 or at least 5;
#   a withheld region always has a withheld member; every public aggregate
#   stands on three or more;
# - a ministry token sees every cell: the imported counts and their sums;
# - the public chart of MK01's contacts draws p2 and p1 but not P, where
#   the ministry's draws all three.
. "$(dirname "$0")/lib.sh"

need curl jq awk
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import openpyxl' 2>/dev/null; then
		PY=$p
		break
	fi
done

P=$(expected_period)
p1=$(period_add "$P" -1)
p2=$(period_add "$P" -2)
MUNIS=$SRC/config/municipalities.csv
munis_of() { awk -F, -v r="$1" 'NR > 1 && $4 == r { print "KU" $1 }' "$MUNIS"; }
MK01=$(munis_of 01)
MK02=$(munis_of 02)
SMALL02=$(echo "$MK02" | sed -n 3p)
PART02=$(echo "$MK02" | sed -n 1p)
MK14A=$(munis_of 14 | sed -n 1p)
MK14B=$(munis_of 14 | sed -n 2p)

# the history: value = base + step * (place in the region), distinct
{
	echo "area,period,measure,value"
	j=0
	for per in "$p2" "$p1" "$P"; do
		j=$((j + 1))
		k=0
		for c in $MK01; do
			v=$((200 + 13 * k + 3 - j))
			[ "$per" = "$P" ] && [ "$c" = KU235 ] && v=3
			echo "$c,$per,contacts,$v"
			k=$((k + 1))
		done
		k=0
		for c in $MK02; do
			v=$((300 + 17 * k + 3 - j))
			[ "$per" = "$P" ] && [ "$c" = "$SMALL02" ] && v=4
			echo "$c,$per,contacts,$v"
			k=$((k + 1))
		done
	done
	echo "$MK14A,$P,contacts,55"
	echo "$MK14B,$P,contacts,40"
} >"$T/h.csv"
check_eq "the history: KU235's 3, $SMALL02's 4, MK14's two in $P" \
	"$(grep -cE "^(KU235,$P,contacts,3|$SMALL02,$P,contacts,4|$MK14A,$P,contacts,55|$MK14B,$P,contacts,40)\$" "$T/h.csv")" 4

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=300 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
ctl import "$T/h.csv" >/dev/null || { not_ok "history imported"; exit 1; }
MIN=$(ctl token create --ministry 2>/dev/null)
[ -n "$MIN" ] || { not_ok "ministry token created"; exit 1; }
start_daemon "$T/k.conf" || exit 1
URL=http://127.0.0.1:$D_PORT

# get PATH OUT [CURL ARGS]: the body to OUT; prints the status
get() {
	_p=$1 _o=$2
	shift 2
	curl -s --max-time 30 -o "$_o" -w '%{http_code}' "$@" "$URL$_p"
}
AUTH=(-H "Authorization: Bearer $MIN")

# the true counts of P: "AREA COUNT" per municipality
awk -F, -v P="$P" '$2 == P { print $1, $4 }' "$T/h.csv" | sort >"$T/true"
# the withheld municipalities' true counts, one a line, by the rule
WITHHELD_MUNIS="KU235 $SMALL02 $PART02 $MK14B"
for c in $WITHHELD_MUNIS; do awk -v c="$c" '$1 == c { print $2 }' "$T/true"; done >"$T/withheld.counts"
# the cells the rule withholds in P, contacts and contacts_per_1000 alike
# (the indicator follows its count: pop_fl, its denominator, is the
# catalog's, so it stands on the same municipalities)
for c in $WITHHELD_MUNIS MK01 MK14; do
	echo "$c contacts"
	echo "$c contacts_per_1000"
done | sort >"$T/rule.cells"

AREAS="SSS,SSS:children,MK01:children,MK02:children,MK14:children"
Q="indicator=contacts,contacts_per_1000&area=$AREAS&period=$P"
for who in pub min; do
	a=()
	[ "$who" = min ] && a=("${AUTH[@]}")
	for f in "" .csv .jsonstat .xlsx; do
		check_eq "$who: /api/v1/data$f 200" "$(get "/api/v1/data$f?$Q" "$T/$who.data$f" "${a[@]}")" 200
	done
done

# cells FILE: "AREA INDICATOR VALUE" per JSON row, VALUE "S" if withheld,
# "-" if missing, else the number as jq prints it
cells_json() {
	jq -r '.rows[] | "\(.[0]) \(.[3]) \(if .[10] == "suppressed" then "S" elif .[5] == null then "-" else .[5] end)"' "$1" | sort
}
cells_csv() {
	tr -d '\r' <"$1" | awk -F, 'NR > 1 { print $1, $4, ($11 == "suppressed" ? "S" : $6 == "" ? "-" : $6) }' | sort
}
cells_jsonstat() {
	jq -r '
		(.dimension.indicator.category.index | to_entries) as $ind
		| (.dimension.area.category.index | to_entries) as $area
		| . as $d
		| [$ind[] as $i | $area[] as $a
		   | (($i.value * $d.size[1] + $a.value) * $d.size[2]) as $k
		   | "\($a.key) \($i.key) \(if ($d.status // {})[($k | tostring)] == "suppressed" then "S"
			elif $d.value[$k] == null then "-" else $d.value[$k] end)"] | .[]' "$1" | sort
}
cells_xlsx() {
	"$PY" -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["data"]
for r in ws.iter_rows(min_row=2, values_only=True):
    v = "S" if r[10] == "suppressed" else "-" if r[5] is None else repr(r[5]) if not float(r[5]).is_integer() else str(int(r[5]))
    print(r[0], r[3], v)' "$1" | sort
}
# numbers compared to 12 significant digits, every format alike
norm() { awk '{ if ($3 != "S" && $3 != "-") $3 = sprintf("%.12g", $3); print }'; }
cells_json "$T/pub.data" | norm >"$T/pub.json.cells"
cells_json "$T/min.data" | norm >"$T/min.json.cells"
check "public JSON: some rows" test -s "$T/pub.json.cells"
check_eq "public JSON: one period, P (contacts and contacts_per_1000 for SSS, 19 regions, 55 municipalities)" \
	"$(jq -r '[(.rows | map(.[4]) | unique | join(",")), (.rows | length)] | join(" ")' "$T/pub.data")" \
	"$P $((2 * (1 + 19 + $(echo "$MK01" | wc -l) + $(echo "$MK02" | wc -l) + $(munis_of 14 | wc -l))))"

# --- the withheld cells are the rule's ---
check_eq "public: the withheld cells are the rule's (KU235, $SMALL02, $PART02, $MK14B, MK01, MK14)" \
	"$(awk '$3 == "S" { print $1, $2 }' "$T/pub.json.cells" | paste -sd' ')" \
	"$(paste -sd' ' "$T/rule.cells")"
check_eq "public: every other cell as the ministry sees it" \
	"$(join -j1 <(awk '$3 != "S" { print $1 "/" $2, $3 }' "$T/pub.json.cells" | sort -k1,1) \
		<(awk '{ print $1 "/" $2, $3 }' "$T/min.json.cells" | sort -k1,1) | awk '$2 != $3' | wc -l)" \
	0
check_eq "public: the country's total shown" \
	"$(awk '$1 == "SSS" && $2 == "contacts" { print ($3 != "S") }' "$T/pub.json.cells")" 1
check_eq "public: a withheld row holds no numbers" \
	"$(jq '[.rows[] | select(.[10] == "suppressed" and (.[5] != null or .[6] != null or .[7] != null))] | length' "$T/pub.data")" 0

# --- the same in every format ---
cells_csv "$T/pub.data.csv" | norm >"$T/pub.csv.cells"
check "public CSV: the JSON's cells" cmp -s "$T/pub.csv.cells" "$T/pub.json.cells"
cells_jsonstat "$T/pub.data.jsonstat" | norm >"$T/pub.jsonstat.cells"
check "public JSON-stat: the JSON's cells" cmp -s "$T/pub.jsonstat.cells" "$T/pub.json.cells"
cells_jsonstat "$T/min.data.jsonstat" | norm >"$T/min.jsonstat.cells"
check "ministry JSON-stat: the JSON's cells" cmp -s "$T/min.jsonstat.cells" "$T/min.json.cells"
if [ -z "$PY" ]; then
	if [ -n "${CI:-}" ]; then not_ok "XLSX (no python3 with openpyxl; CI must run this)"; else skip "XLSX: no python3 with openpyxl (apt-get install python3-openpyxl)"; fi
else
	cells_xlsx "$T/pub.data.xlsx" | norm >"$T/pub.xlsx.cells"
	check "public XLSX: the JSON's cells" cmp -s "$T/pub.xlsx.cells" "$T/pub.json.cells"
	cells_xlsx "$T/min.data.xlsx" | norm >"$T/min.xlsx.cells"
	check "ministry XLSX: the JSON's cells" cmp -s "$T/min.xlsx.cells" "$T/min.json.cells"
fi
# series, step month, one area at a time
for a in SSS MK01 MK02 MK14 $MK01 $MK02 $(munis_of 14); do
	for ind in contacts contacts_per_1000; do
		st=$(get "/api/v1/series?area=$a&indicator=$ind&start=$P&end=$P&step=month" "$T/s.json")
		[ "$st" = 200 ] || { echo "$a $ind status $st"; continue; }
		jq -r --arg a "$a" --arg i "$ind" '.points[0][0] as $t | "\($a) \($i) \(if any(.suppressed_points[]; . == $t) then "S" elif .points[0][1] == null then "-" else .points[0][1] end)"' "$T/s.json"
	done
done | norm | sort >"$T/pub.series.cells"
grep -E "^(SSS|MK01|MK02|MK14|KU[0-9]+) " "$T/pub.json.cells" | grep -vE "^MK(0[4-9]|1[0-35-9]|2[01]) " >"$T/pub.json.ours"
check "public series (step=month, each area): the JSON's cells" cmp -s "$T/pub.series.cells" "$T/pub.json.ours"
# latest, by level: every area's latest period is P
for level in region municipality; do
	for ind in contacts contacts_per_1000; do
		st=$(get "/api/v1/latest?indicator=$ind&level=$level" "$T/l.json")
		[ "$st" = 200 ] || { echo "latest $level $ind status $st"; continue; }
		jq -r --arg i "$ind" --arg P "$P" '.[] | select(.period == $P) | "\(.area) \($i) \(if .suppressed then "S" elif .value == null then "-" else .value end)"' "$T/l.json"
	done
done | norm | sort >"$T/pub.latest.cells"
# (a municipality that never reported has no latest period)
grep -v '^SSS ' "$T/pub.json.ours" | grep -v ' -$' >"$T/pub.json.ours.latest"
check "public latest (level=region, municipality): the JSON's cells, every area at $P" \
	cmp -s "$T/pub.latest.cells" "$T/pub.json.ours.latest"
check_eq "public latest: MK01, MK02, MK14 and 55 municipalities, two indicators each" \
	"$(wc -l <"$T/pub.latest.cells")" "$((2 * (3 + 55)))"

# --- no difference of public figures reveals a withheld count ---
# public VALUE FILE AREA: the public count ("S" if withheld)
val() { awk -v a="$2" '$1 == a && $2 == "contacts" { print $3 }' "$1"; }
# differences over the public's contacts: "NAME DIFFERENCE" per group
{
	for r in 01 02 14; do
		rv=$(val "$T/pub.json.cells" "MK$r")
		[ "$rv" = S ] && continue
		munis_of "$r" | while read -r c; do val "$T/pub.json.cells" "$c"; done |
			awk -v rv="$rv" -v n="MK$r-munis" '$1 != "S" && $1 != "-" { s += $1 } END { print n, rv - s }'
	done
	sv=$(val "$T/pub.json.cells" SSS)
	awk -v sv="$sv" '$2 == "contacts" && $1 ~ /^MK/ && $3 != "S" && $3 != "-" { s += $3 }
		END { print "SSS-regions", sv - s }' "$T/pub.json.cells"
	# and minus the public members of the withheld regions too
	for r in $(awk '$2 == "contacts" && $1 ~ /^MK/ && $3 == "S" { print substr($1, 3) }' "$T/pub.json.cells"); do
		munis_of "$r" | while read -r c; do val "$T/pub.json.cells" "$c"; done
	done | awk -v sv="$sv" -v f="$T/pub.json.cells" '
		BEGIN { while ((getline l < f) > 0) { split(l, w, " ")
			if (w[2] == "contacts" && w[1] ~ /^MK/ && w[3] != "S" && w[3] != "-") s += w[3] } }
		$1 != "S" && $1 != "-" { s += $1 }
		END { print "SSS-regions-members", sv - s }'
} >"$T/diffs"
check_eq "differences: MK02 - its public members, SSS - public regions (and their members)" \
	"$(cut -d' ' -f1 "$T/diffs" | paste -sd' ')" "MK02-munis SSS-regions SSS-regions-members"
check_eq "differences: none is a withheld municipality's count ($(paste -sd' ' "$T/diffs" | tr ' ' '='), withheld $(paste -sd, "$T/withheld.counts"))" \
	"$(awk 'NR == FNR { w[$1 + 0] = 1; next } ($2 + 0) in w' "$T/withheld.counts" "$T/diffs" | wc -l)" 0
check_eq "differences: each 0 or at least 5" \
	"$(awk '$2 != 0 && $2 < 5' "$T/diffs" | wc -l)" 0
# the sums behind them, as the rule means them: what is withheld of the group
check_eq "differences: MK02's is its two withheld members (4 and $PART02's 300)" \
	"$(awk '$1 == "MK02-munis" { print $2 }' "$T/diffs")" 304
check_eq "differences: the country's, past the members, KU235's 3 and $MK14B's 40" \
	"$(awk '$1 == "SSS-regions-members" { print $2 }' "$T/diffs")" 43
check_eq "a withheld region has a withheld member (else its total adds up)" \
	"$(for r in $(awk '$2 == "contacts" && $1 ~ /^MK/ && $3 == "S" { print substr($1, 3) }' "$T/pub.json.cells"); do
		munis_of "$r" | while read -r c; do val "$T/pub.json.cells" "$c"; done | grep -qx S || echo "MK$r"
	done | wc -l)" 0
check_eq "every public aggregate stands on three or more" \
	"$(jq '[.rows[] | select((.[0] | test("^(SSS|MK)")) and .[10] == null and .[5] != null and .[8] < 3)] | length' "$T/pub.data")" 0

# --- the ministry sees every cell: the counts and their sums ---
check_eq "ministry: nothing withheld" "$(grep -c ' S$' "$T/min.json.cells")" 0
check_eq "ministry: every municipality's count as imported" \
	"$(awk '$2 == "contacts" && $1 ~ /^KU/ && $3 != "-" { print $1, $3 }' "$T/min.json.cells")" \
	"$(cat "$T/true")"
sums=$(awk -v munis="$MUNIS" 'BEGIN { while ((getline l < munis) > 0) { split(l, f, ","); reg["KU" f[1]] = "MK" f[4] } }
	{ s[reg[$1]] += $2; t += $2 } END { printf "MK01 %d MK02 %d MK14 %d SSS %d", s["MK01"], s["MK02"], s["MK14"], t }' "$T/true")
check_eq "ministry: the regions' and the country's counts are the sums" \
	"$(for a in MK01 MK02 MK14 SSS; do printf '%s %s ' "$a" "$(val "$T/min.json.cells" "$a")"; done | sed 's/ $//')" \
	"$sums"
check_eq "ministry: contacts_per_1000's numerators are the counts" \
	"$(jq -r '[.rows[] | select(.[3] == "contacts_per_1000" and .[6] != null) | [.[0], .[6]]] | map(join(" ")) | .[]' "$T/min.data" | sort)" \
	"$(jq -r '[.rows[] | select(.[3] == "contacts" and .[5] != null) | [.[0], .[5]]] | map(join(" ")) | .[]' "$T/min.data" | sort)"

# --- the chart of MK01's contacts: P withheld, so not drawn ---
# plateaus FILE: the x where each horizontal run of the chart's line (a
# librrd SVG: stroke-width 2, the line colour) of 2 px or more begins
plateaus() {
	awk '/stroke-width:2;/ && /stroke:rgb\(12\.156863%,37\.254902%,67\.843137%\)/ {
		s = $0; sub(/.* d="/, "", s); sub(/".*/, "", s)
		n = split(s, w, " ")
		for (i = 1; i + 2 <= n; i++) {
			if (w[i] != "M" && w[i] != "L") continue
			x = w[i + 1] + 0; y = w[i + 2] + 0
			if (w[i] == "M" || y != py) { flush(); x0 = x }
			x1 = x; py = y; have = 1; i += 2
		}
		flush()
	}
	function flush() { if (have && x1 - x0 >= 2) printf "%.0f\n", x0; have = 0 }' "$1"
}
C="/chart/MK01/contacts.svg?start=$p2&end=$(first_second "$(period_add "$P" 1)")&height=1200"
check_eq "chart: 200 each" "$(get "$C" "$T/pub.svg") $(get "$C" "$T/min.svg" "${AUTH[@]}")" "200 200"
plateaus "$T/pub.svg" >"$T/pub.pl"
plateaus "$T/min.svg" >"$T/min.pl"
check_eq "chart: the ministry's draws $p2, $p1 and $P" "$(wc -l <"$T/min.pl")" 3
check_eq "chart: the public's draws $p2 and $p1, where the ministry's does, and not $P" \
	"$(paste -sd' ' "$T/pub.pl")" "$(head -n 2 "$T/min.pl" | paste -sd' ')"
check_eq "chart: the public series agrees (MK01 $P withheld)" \
	"$(get "/api/v1/series?area=MK01&indicator=contacts&start=$p2&end=$P" "$T/ms.json") $(jq -c '[.points[] | .[1] != null]' "$T/ms.json")" \
	"200 [true,true,false]"

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
[ "$N_FAILED" -eq 0 ]
