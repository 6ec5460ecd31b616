#!/bin/bash
# kuntamonctl import (SPEC §1, §4, §5), checked from outside with rrdtool
# and sqlite3:
# - every day of an imported period P holds P's figure (rrdtool fetch
#   -r 86400 from P's first second to its last); a month between that
#   nobody reported is unknown;
# - a backfill of an earlier period lands under its own period and leaves
#   the later ones as they were;
# - the same file again changes nothing: no history, no RRD write;
# - a revised value replaces the figure and the old one goes to history;
# - a file with one bad row fails naming FILE:LINE and writes nothing;
# - kuntamonctl status still works.
# - an import into a running daemon is served within seconds (it reloads
#   on PRAGMA data_version).
. "$(dirname "$0")/lib.sh"

need rrdtool sqlite3

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=300 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

month=$(date -u +%Y-%m-01)
per() { date -u -d "$month $1 month" +%Y-%m; } # per -N: N months ago
p1=$(per -1) p2=$(per -2) p3=$(per -3) p4=$(per -4) p6=$(per -6)
future=$(per +1)
# pnum YYYY-MM: the period as the database stores it (year * 12 + month - 1)
pnum() { echo $((10#${1%-*} * 12 + 10#${1#*-} - 1)); }
rrd=$T/var/rrd/KU091.rrd

# days P DS: every daily value of DS in P, as "DAYS VALUES" (VALUES the
# distinct ones, U for unknown), from P's first second to its last
days() {
	local s e
	s=$(date -u -d "$1-01" +%s)
	e=$(($(date -u -d "$1-01 +1 month" +%s) - 1))
	rrdtool fetch "$rrd" AVERAGE -r 86400 -s "$s" -e "$e" |
		awk -v ds="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 && NF > 1 { n++; v = $(c + 1); v = v ~ /nan/ ? "U" : v + 0
				if (!(v in seen)) { seen[v] = 1; list = list " " v } }
			END { print n list }'
}
# ndays P: the days of P
ndays() { date -u -d "$1-01 +1 month -1 day" +%-d; }
fig() { db "select printf('%g', value) from figures where area='$1' and period=$(pnum "$2") and measure='$3'"; }
n_figures() { db "select count(*) from figures"; }
n_history() { db "select count(*) from history"; }
mtime() { stat -c %.9Y "$rrd"; }

# --- a first import: three periods of KU091 with a gap, one of KU049 ---
cat >"$T/h.csv" <<EOC
area,period,measure,value
KU091,$p1,contacts,1300
KU091,$p2,contacts,1234
KU091,$p2,staff_fte,12.5
KU091,$p1,staff_fte,13.25
KU091,$p4,contacts,1100
KU049,$p2,gp_open,1
EOC
ctl import "$T/h.csv" >"$T/out" 2>&1
st=$?
check "import succeeds ($(cat "$T/out"))" test "$st" -eq 0
check "import says what it did" grep -q "6 rows: 6 figures new, 0 revised, 0 unchanged; 2 RRD files rebuilt" "$T/out"
check "file created" test -e "$rrd"
check_eq "$p4: contacts on each of its days" "$(days "$p4" contacts)" "$(ndays "$p4") 1100"
check_eq "$p3 (not reported): unknown on each day" "$(days "$p3" contacts)" "$(ndays "$p3") U"
check_eq "$p2: contacts on each of its days" "$(days "$p2" contacts)" "$(ndays "$p2") 1234"
check_eq "$p2: staff_fte on each of its days" "$(days "$p2" staff_fte)" "$(ndays "$p2") 12.5"
check_eq "$p1: contacts on each of its days" "$(days "$p1" contacts)" "$(ndays "$p1") 1300"
check_eq "$p4: staff_fte (not reported) unknown" "$(days "$p4" staff_fte)" "$(ndays "$p4") U"
check_eq "figures in the database" "$(n_figures)" 6
check_eq "figures come from import" "$(db "select count(*) from figures where source='import'")" 6
check_eq "reported periods recorded" "$(db "select count(*) from reports where area='KU091'")" 3
check_eq "nothing left marked for an RRD rewrite" "$(db "select count(*) from rrd_dirty")" 0

# --- a backfill: an earlier period, in a second import ---
before=$(days "$p4" contacts)/$(days "$p2" contacts)/$(days "$p1" contacts)/$(days "$p1" staff_fte)
printf 'area,period,measure,value\nKU091,%s,contacts,900\n' "$p6" >"$T/back.csv"
ctl import "$T/back.csv" >"$T/out" 2>&1
st=$?
check "backfill succeeds ($(cat "$T/out"))" test "$st" -eq 0
check_eq "backfill: $p6 holds its own figure on each day" "$(days "$p6" contacts)" "$(ndays "$p6") 900"
check_eq "backfill: the later periods untouched" \
	"$(days "$p4" contacts)/$(days "$p2" contacts)/$(days "$p1" contacts)/$(days "$p1" staff_fte)" "$before"
check_eq "backfill: stored under $p6" "$(fig KU091 "$p6" contacts)" 900
check_eq "backfill: the latest period is still $p1" \
	"$(db "select max(period) from reports where area='KU091'")" "$(pnum "$p1")"

# --- the same file again: unchanged, nothing written ---
m0=$(mtime)
ctl import "$T/h.csv" >"$T/out" 2>&1
st=$?
check "again: succeeds" test "$st" -eq 0
check "again: says unchanged ($(cat "$T/out"))" grep -q "0 figures new, 0 revised, 6 unchanged; 0 RRD files rebuilt" "$T/out"
check_eq "again: no history rows" "$(n_history)" 0
check_eq "again: RRD file not rewritten" "$(mtime)" "$m0"

# --- a revision: the old value goes to the history ---
printf 'area,period,measure,value\nKU091,%s,contacts,1250\nKU091,%s,staff_fte,12.5\n' "$p2" "$p2" >"$T/rev.csv"
ctl import "$T/rev.csv" >"$T/out" 2>&1
st=$?
check "revision: succeeds" test "$st" -eq 0
check "revision: one revised, one unchanged ($(cat "$T/out"))" grep -q "0 figures new, 1 revised, 1 unchanged; 1 RRD files rebuilt" "$T/out"
check_eq "revision: the figure replaced" "$(fig KU091 "$p2" contacts)" 1250
check_eq "revision: the old value in the history" \
	"$(db "select area, period, measure, printf('%g', value), source from history")" "KU091|$(pnum "$p2")|contacts|1234|import"
check_eq "revision: its replacement time is set" "$(db "select count(*) from history where replaced > 0")" 1
check_eq "revision: every day of $p2 holds the new value" "$(days "$p2" contacts)" "$(ndays "$p2") 1250"
check_eq "revision: $p1 untouched" "$(days "$p1" contacts)" "$(ndays "$p1") 1300"

# --- bad rows: the file fails naming the row, and nothing is written ---
nf=$(n_figures) nh=$(n_history) m0=$(mtime) sum=$(md5sum "$T"/var/rrd/*.rrd)
# bad_row NAME ROW WANT: ROW in the middle of rows that would change
# KU091 and KU049; the error must name bad.csv:3 and WANT
bad_row() {
	printf 'area,period,measure,value\nKU091,%s,contacts,1400\n%s\nKU049,%s,gp_open,0\n' \
		"$p1" "$2" "$p1" >"$T/bad.csv"
	ctl import "$T/bad.csv" >/dev/null 2>"$T/err"; s=$?
	if [ $s -ne 0 ] && grep -q "bad.csv:3: $3" "$T/err" && [ "$(n_figures)" = "$nf" ] &&
		[ "$(n_history)" = "$nh" ] && [ "$(mtime)" = "$m0" ] &&
		[ "$(md5sum "$T"/var/rrd/*.rrd)" = "$sum" ]; then
		ok "bad row: $1 ($(cat "$T/err"))"
	else
		not_ok "bad row: $1 (status $s: $(cat "$T/err"); figures $(n_figures) of $nf)"
	fi
}
bad_row "unknown measure" "KU091,$p1,contactz,1" "unknown measure"
bad_row "out of range" "KU091,$p1,gp_open,2" "gp_open = 2 is outside"
bad_row "malformed period" "KU091,2026-13,contacts,1" "period \"2026-13\" is not YYYY-MM"
bad_row "malformed period (no month)" "KU091,2026,contacts,1" "period"
bad_row "future period" "KU091,$future,contacts,1" "period $future is in the future"
bad_row "no such municipality" "KU999,$p1,contacts,1" "unknown municipality"
bad_row "a region, not a municipality" "MK01,$p1,contacts,1" "unknown municipality"
bad_row "not a number" "KU091,$p1,contacts,12x" "value"
bad_row "not finite" "KU091,$p1,contacts,nan" "value"
bad_row "wrong field count" "KU091,$p1,contacts" "expected 4 fields"
printf 'area,period,measure,value\nKU091,%s,contacts,1\nKU049,%s,contacts,2\nKU091,%s,contacts,2\n' \
	"$p1" "$p1" "$p1" >"$T/dup.csv"
ctl import "$T/dup.csv" 2>"$T/err"
check "duplicate row refused ($(cat "$T/err"))" grep -q "dup.csv:4: duplicate of line 2" "$T/err"
printf 'areas,period,measure,value\n' >"$T/hdr.csv"
ctl import "$T/hdr.csv" 2>"$T/err"
check "bad header refused ($(cat "$T/err"))" grep -q "hdr.csv:1: header" "$T/err"
ctl import "$T/missing.csv" 2>"$T/err"; s=$?
check "a missing file is an error ($(cat "$T/err"))" test $s -ne 0
check_eq "bad files: figures unchanged" "$(n_figures)" "$nf"
check_eq "bad files: RRD files unchanged" "$(md5sum "$T"/var/rrd/*.rrd)" "$sum"

# --- a write that fails half-way: all or nothing ---
# KU091's rows are recorded first (catalog order), then KU092's fail.
db "CREATE TRIGGER fail_ku092 BEFORE INSERT ON figures WHEN NEW.area = 'KU092'
	BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
printf 'area,period,measure,value\nKU092,%s,contacts,10\nKU091,%s,contacts,1600\n' "$p1" "$p1" >"$T/fail.csv"
ctl import "$T/fail.csv" >/dev/null 2>"$T/err"; s=$?
check "a failing write fails the import ($(tail -n 1 "$T/err"))" test $s -ne 0
check_eq "a failing write: KU091's figure as it was" "$(fig KU091 "$p1" contacts)" 1300
check_eq "a failing write: no figure added" "$(n_figures)" "$nf"
check_eq "a failing write: no report recorded" "$(db "select count(*) from polls where area = 'KU092'")" 0
check_eq "a failing write: RRD files unchanged" "$(md5sum "$T"/var/rrd/*.rrd)" "$sum"
db "DROP TRIGGER fail_ku092"

# --- status: per municipality, with totals ---
ctl status >"$T/status" 2>&1
check "status lists every municipality" test "$(grep -c '^KU' "$T/status")" -eq 308
check "status: KU091 has its latest period" grep -q "^KU091 .* $p1 " "$T/status"
check "status: a municipality that never reported" grep -q '^KU005 *never' "$T/status"
check "status: totals line" grep -q '^total: ' "$T/status"

# --- into a running daemon: it serves imported figures within seconds ---
command -v jq >/dev/null && command -v curl >/dev/null ||
	{ skip "import into a running daemon: jq and curl needed"; exit 0; }
# reads with a ministry token: a lone municipality's public figures may be
# withheld (SPEC §7)
MIN=$(ctl token create --ministry 2>/dev/null)
start_daemon "$T/k.conf" || { not_ok "daemon started"; exit 0; }
URL="http://127.0.0.1:$D_PORT"
# served P: KU091's contacts in P as the API gives it
served() {
	curl -sf -H "Authorization: Bearer $MIN" "$URL/api/v1/series?area=KU091&indicator=contacts&start=$1&end=$1" |
		jq -r '.points[0][1]'
}
check_eq "live: the daemon serves the imported figure" "$(served "$p1")" 1300
printf 'area,period,measure,value\nKU091,%s,contacts,1500\nKU091,%s,contacts,950\n' "$p1" "$p3" >"$T/live.csv"
ctl import "$T/live.csv" >"$T/out" 2>&1
st=$?
check "live: import alongside the daemon succeeds ($(cat "$T/out"))" test "$st" -eq 0
check "live: a revision is served within 10 s" wait_for 10 sh -c "[ \"\$(curl -sf -H 'Authorization: Bearer $MIN' '$URL/api/v1/series?area=KU091&indicator=contacts&start=$p1&end=$p1' | jq -r '.points[0][1]')\" = 1500 ]"
check_eq "live: a late report is served under its period" "$(served "$p3")" 950
check_eq "live: the file holds the revision" "$(days "$p1" contacts)" "$(ndays "$p1") 1500"
stop_daemon
check_eq "live: the daemon stops cleanly" "$D_STATUS" 0
exit 0
