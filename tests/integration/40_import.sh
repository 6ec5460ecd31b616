#!/bin/bash
# kuntamonctl import: history lands in time order; a row older than what a
# file holds is a clear error naming the row, and nothing is written;
# kuntamonctl status reports per municipality.
. "$(dirname "$0")/lib.sh"

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=300 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

now=$(date -u +%s)
p2=$(date -u -d "$(date -u +%Y-%m-01) -2 month" +%Y-%m)
p1=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
p3=$(date -u -d "$(date -u +%Y-%m-01) -3 month" +%Y-%m)
cat >"$T/h.csv" <<EOC
area,period,measure,value
KU091,$p1,contacts,1300
KU091,$p2,contacts,1234
KU091,$p2,staff_fte,12.5
KU091,$p1,staff_fte,13.25
KU049,$p2,gp_open,1
EOC
check "import succeeds" ctl import "$T/h.csv"
rrd=$T/var/rrd/KU091.rrd
check "file created" test -e "$rrd"
s2=$(date -u -d "${p2}-01" +%s)
s1=$(date -u -d "${p1}-01" +%s)
# Every hour of the month holds that month's value.
vals() { rrdtool fetch "$rrd" AVERAGE -r 3600 --start "$1" --end "$(($2 - 3600))" |
	awk -v ds="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
		NR > 2 { print $(c + 1) + 0 }' | sort -u | tr '\n' ' '; }
check_eq "month $p2: contacts every hour" "$(vals "$s2" "$s1" contacts)" "1234 "
check_eq "month $p2: staff_fte every hour" "$(vals "$s2" "$s1" staff_fte)" "12.5 "
check_eq "month $p1: contacts every hour" "$(vals "$s1" "$(date -u -d "${p1}-01 +1 month" +%s)" contacts)" "1300 "
check_eq "reported periods recorded" "$(db "select count(*) from reports where area='KU091'")" 2

# A row older than what the file holds: error naming the row, nothing
# written to any file.
sum=$(md5sum "$T"/var/rrd/*.rrd)
printf 'area,period,measure,value\nKU049,%s,gp_open,1\nKU091,%s,contacts,5\n' "$p1" "$p3" >"$T/old.csv"
ctl import "$T/old.csv" 2>"$T/err"; s=$?
check "older row refused" test "$s" -ne 0
check "older row: error names the row ($(cat "$T/err"))" grep -q "old.csv:3: KU091 $p3 is older" "$T/err"
check_eq "older row: nothing written" "$(md5sum "$T"/var/rrd/*.rrd)" "$sum"

# Bad rows: each a clear error naming its line; nothing written.
bad_row() {
	printf 'area,period,measure,value\nKU091,%s,contacts,1\n%s\n' "$p1" "$2" >"$T/bad.csv"
	ctl import "$T/bad.csv" 2>"$T/err"; s=$?
	if [ $s -ne 0 ] && grep -q "bad.csv:3: $3" "$T/err" && [ "$(md5sum "$T"/var/rrd/*.rrd)" = "$sum" ]; then
		ok "bad row: $1 ($(cat "$T/err"))"
	else
		not_ok "bad row: $1 (status $s: $(cat "$T/err"))"
	fi
}
bad_row "unknown area" "KU999,$p1,contacts,1" "unknown municipality"
bad_row "region instead of municipality" "MK01,$p1,contacts,1" "unknown municipality"
bad_row "bad period" "KU091,2026-13,contacts,1" "period"
bad_row "future period" "KU091,2099-01,contacts,1" "period 2099-01 is in the future"
bad_row "unknown measure" "KU091,$p1,contactz,1" "unknown measure"
bad_row "not a number" "KU091,$p1,contacts,12x" "value"
bad_row "out of range" "KU091,$p1,gp_open,2" "gp_open = 2 is outside"
bad_row "wrong field count" "KU091,$p1,contacts" "expected 4 fields"
printf 'area,period,measure,value\nKU091,%s,contacts,1\nKU091,%s,contacts,2\n' "$p1" "$p1" >"$T/dup.csv"
ctl import "$T/dup.csv" 2>"$T/err"
check "duplicate row refused ($(cat "$T/err"))" grep -q "dup.csv:3: duplicate of line 2" "$T/err"
printf 'areas,period,measure,value\n' >"$T/hdr.csv"
ctl import "$T/hdr.csv" 2>"$T/err"
check "bad header refused" grep -q "hdr.csv:1: header" "$T/err"

# status: per municipality, with totals.
ctl status >"$T/status" 2>&1
check "status lists every municipality" test "$(grep -c '^KU' "$T/status")" -eq 308
check "status: KU091 has its latest period" grep -q "^KU091 .* $p1 " "$T/status"
check "status: a municipality that never reported" grep -q '^KU005 *never' "$T/status"
check "status: totals line" grep -q '^total: ' "$T/status"
exit 0
