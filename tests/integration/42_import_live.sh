#!/bin/bash
# kuntamonctl import in bounded transactions (SPEC §1, §5):
# - the demo's history (308 municipalities x 24 months, ~118,000 rows)
#   imported while submissions are posted to the running daemon: every
#   submission answers 202 (none gave up on the database's lock), the
#   import goes in many short transactions (it says so), and it lands
#   whole;
# - kill -9 while it stages its rows: nothing of it counts, and the next
#   import lands whole;
# - kill -9 while it applies them (past its commit point): the next
#   program to open the database finishes it, and it lands whole.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "submit_rate = 100000"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
month=$(date -u +%Y-%m-15)
p1=$(date -u -d "$month -1 month" +%Y-%m) p24=$(date -u -d "$month -24 month" +%Y-%m)
old=$(date -u -d "$month -30 month" +%Y-%m)
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$p24" "$p1" >"$T/h.csv"
N=$(($(wc -l <"$T/h.csv") - 1))
check "a demo-sized file ($N rows)" test "$N" -gt 100000

mkdir -p "$T/var"
TOKEN=$(ctl token create KU091 2>>"$T/ctl.log")
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"

# ---- an import while the daemon takes submissions ----
"$B/kuntamonctl" -c "$T/k.conf" import "$T/h.csv" >"$T/import.out" 2>&1 &
IMPORT_PID=$!
PIDS="$PIDS $IMPORT_PID"
# submissions of a period the file does not touch, one after another
# until the import is done; each one's status and seconds
: >"$T/posts"
v=0
while kill -0 "$IMPORT_PID" 2>/dev/null; do
	v=$((v + 1))
	curl -s --max-time 10 -o /dev/null -w '%{http_code} %{time_total}\n' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data "{\"municipality\":\"KU091\",\"period\":\"$old\",\"measures\":{\"contacts\":$v}}" \
		"$URL/api/v1/submissions" >>"$T/posts"
done
wait "$IMPORT_PID"
st=$?
check "the import succeeds ($(cat "$T/import.out"))" test "$st" -eq 0
n_posts=$(wc -l <"$T/posts")
check "submissions were posted while it ran ($n_posts)" test "$n_posts" -ge 3
check_eq "every one answered 202" "$(awk '$1 != 202' "$T/posts" | wc -l)" 0
slowest=$(sort -k2 -g "$T/posts" | tail -n 1 | cut -d' ' -f2)
# How long they took is a figure, not a check: it is mostly the machine's
# load (a TSan build on a busy machine took 6 s with every transaction of
# the import under 50 ms). That none waited on the import's lock is what
# the two checks around it say: the daemon gives up on a lock after 5 s
# (busy_timeout) and answers 503, so every one answered 202; and the
# import says how long it held the lock at most.
echo "# $n_posts submissions during the import, the slowest answered in $slowest s"
# The import's transactions are bounded by time (IMPORT_TX_MS, 50 ms, in
# ctl_import.c); how long the longest took is a figure too (a commit's
# fsync on a loaded machine under TSan took 200 ms once): bench/import
# prints it for the 100 ms target. Checked here: the import went in many
# transactions, none near the 5 s after which the daemon gives up.
n_tx=$(sed -n 's/.* \([0-9]*\) transactions, the longest.*/\1/p' "$T/import.out")
longest=$(sed -n 's/.*the longest \([0-9]*\) ms.*/\1/p' "$T/import.out")
echo "# the import's longest transaction took ${longest:-?} ms"
check "the import in many transactions (${n_tx:-?})" test "${n_tx:-0}" -ge 20
check "none near the daemon's 5 s busy_timeout (${longest:-?} ms)" test "${longest:-99999}" -lt 2500
check_eq "the import landed whole" "$(db "SELECT COUNT(*) FROM figures WHERE source = 'import'")" "$N"
check_eq "the last submission stands" \
	"$(db "SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$old")")" "$v.0"
check_eq "nothing left staged" "$(db "SELECT COUNT(*) FROM import_rows")/$(db "SELECT COUNT(*) FROM import_state")" 0/0
check "the daemon serves it" wait_for 10 sh -c \
	"curl -s '$URL/api/v1/series?area=SSS&indicator=contacts&start=$p24&end=$p24' | jq -e '.points[0][1] > 0' >/dev/null"
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- kill -9 in the middle of an import ----
# import_killed STATE: a fresh store, the import killed once the database
# says STATE ('staging' or 'applying'); sets KILLED_IN to the state it
# was in just after the kill ("" if it had finished)
import_killed() {
	rm -rf "$T/var"
	mkdir -p "$T/var"
	"$B/kuntamonctl" -c "$T/k.conf" import "$T/h.csv" >"$T/import.out" 2>&1 &
	_pid=$!
	PIDS="$PIDS $_pid"
	wait_for 30 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' 'SELECT state FROM import_state' 2>/dev/null)\" = $1 ]"
	kill -9 "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
	KILLED_IN=$(db "SELECT state FROM import_state")
}

import_killed staging
if [ "$KILLED_IN" = staging ]; then
	check_eq "killed while staging: no figure counts" "$(db "SELECT COUNT(*) FROM figures")" 0
	ctl status >/dev/null 2>&1
	check_eq "killed while staging: still none after another command" "$(db "SELECT COUNT(*) FROM figures")" 0
	ctl import "$T/h.csv" >"$T/import.out" 2>&1
	st=$?
	check "killed while staging: the next import succeeds ($(cat "$T/import.out"))" test "$st" -eq 0
	check_eq "killed while staging: the next import lands whole" "$(db "SELECT COUNT(*) FROM figures")" "$N"
	check_eq "killed while staging: nothing left staged" "$(db "SELECT COUNT(*) FROM import_rows")" 0
else
	skip "killed while staging: the import was past it ($KILLED_IN)"
fi

import_killed applying
if [ "$KILLED_IN" = applying ]; then
	echo "# killed while applying: $(db "SELECT COUNT(*) FROM figures") of $N figures applied"
	ctl status >/dev/null 2>"$T/status.err"
	check_eq "killed while applying: the next program finishes it whole" "$(db "SELECT COUNT(*) FROM figures")" "$N"
	check_eq "killed while applying: a report per (area, period)" \
		"$(db "SELECT COUNT(*) FROM reports")" "$(tail -n +2 "$T/h.csv" | cut -d, -f1,2 | sort -u | wc -l)"
	check_eq "killed while applying: nothing left staged" "$(db "SELECT COUNT(*) FROM import_rows")/$(db "SELECT COUNT(*) FROM import_state")" 0/0
	start_daemon "$T/k.conf" || exit 1
	check_eq "killed while applying: the daemon rebuilds every file at start" \
		"$(db "SELECT COUNT(*) FROM rrd_dirty")/$(ls "$T"/var/rrd/*.rrd | wc -l)" "0/$(cut -d, -f1 "$T/h.csv" | tail -n +2 | sort -u | wc -l)"
	stop_daemon
else
	skip "killed while applying: the import was not caught applying ($KILLED_IN)"
fi
exit 0
