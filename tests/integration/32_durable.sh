#!/bin/bash
# Durable receipts (SPEC §5, §6): a 202 means the figure and its record
# are committed; a write that fails is a 503 and leaves nothing behind.
# - another program holds the database's write lock past the daemon's
#   busy timeout: the submission answers 503 with a JSON error, and there
#   is no figure, no history row, no poll row, and the RRD file is as it
#   was; once the lock is gone the same submission is 202 and stored;
# - kill -9 right after each of several 202s, then a restart: every
#   figure is in the database and in the file.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 rrdtool mkfifo

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=3600 write_conf "$T/k.conf"
mkdir -p "$T/var"
TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create KU091 2>>"$T/ctl.log")
MIN=$("$B/kuntamonctl" -c "$T/k.conf" token create --ministry 2>>"$T/ctl.log")
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
P=$(expected_period)
rrd=$T/var/rrd/KU091.rrd

# post VALUE: KU091's contacts for P; the answer in $T/body, sets CODE
# and SECS (how long the answer took)
post() {
	_out=$(curl -s --max-time 30 -o "$T/body" -w '%{http_code} %{time_total}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data "{\"municipality\":\"KU091\",\"period\":\"$P\",\"measures\":{\"contacts\":$1}}" \
		"$URL/api/v1/submissions")
	CODE=${_out% *} SECS=${_out#* }
}
fig() { db "SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$P") AND measure = 'contacts'"; }

post 100
check_eq "a first submission: 202" "$CODE" 202
check_eq "a first submission: stored" "$(fig)" 100.0

# ---- the database refuses the write: 503, nothing half-written ----
# A second program takes the write lock and keeps it (BEGIN EXCLUSIVE,
# its input a FIFO left open) until it is killed.
mkfifo "$T/hold.in"
sqlite3 "$T/var/kuntamon.db" <"$T/hold.in" >"$T/hold.out" 2>&1 &
HOLD_PID=$!
PIDS="$PIDS $HOLD_PID"
exec 3>"$T/hold.in"
echo "BEGIN EXCLUSIVE; INSERT INTO areas_seen VALUES ('XX000', 0); SELECT 'held';" >&3
wait_for 10 grep -q held "$T/hold.out" || { not_ok "the lock is held ($(cat "$T/hold.out"))"; exit 1; }
n_polls=$(db "SELECT COUNT(*) FROM polls")
sum=$(md5sum <"$rrd")
post 200
check_eq "locked database: 503" "$CODE" 503
check "locked database: a JSON error ($(cat "$T/body"))" jq_true '.error | test("store")' "$T/body"
check "locked database: answered within the busy timeout and a margin ($SECS s)" \
	awk "BEGIN { exit !($SECS < 7) }"
check_eq "locked database: the figure as it was" "$(fig)" 100.0
check_eq "locked database: no history row" "$(db "SELECT COUNT(*) FROM history")" 0
check_eq "locked database: no poll row" "$(db "SELECT COUNT(*) FROM polls")" "$n_polls"
check_eq "locked database: the RRD file untouched" "$(md5sum <"$rrd")" "$sum"
check_eq "locked database: not served either" \
	"$(curl -s -H "Authorization: Bearer $MIN" "$URL/api/v1/series?area=KU091&indicator=contacts&start=$P&end=$P" | jq -r '.points[0][1]')" 100
kill "$HOLD_PID"
exec 3>&-
wait "$HOLD_PID" 2>/dev/null
check_eq "the lock's holder wrote nothing" "$(db "SELECT COUNT(*) FROM areas_seen WHERE area = 'XX000'")" 0
post 200
check_eq "after the fault: the same submission is 202" "$CODE" 202
check_eq "after the fault: a revision" "$(jq -r .kind "$T/body")" revision
check_eq "after the fault: stored" "$(fig)" 200.0
check_eq "after the fault: the old value in the history" "$(db "SELECT value FROM history")" 100.0
check_eq "after the fault: in the file" "$(rrd_last_value "$rrd" contacts)" 200

# ---- kill -9 right after a 202 ----
bad=0
for v in 301 302 303 304 305; do
	post "$v"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	got=$(fig)
	[ "$CODE" = 202 ] && [ "$got" = "$v.0" ] || { echo "# $v: $CODE, figure $got"; bad=$((bad + 1)); }
	start_daemon "$T/k.conf" || exit 1
	URL="http://127.0.0.1:$D_PORT"
	[ "$(rrd_last_value "$rrd" contacts)" = "$v" ] || { echo "# $v: file $(rrd_last_value "$rrd" contacts)"; bad=$((bad + 1)); }
done
check_eq "kill -9 right after each of five 202s: figure and file kept" "$bad" 0
check_eq "integrity_check" "$(db 'PRAGMA integrity_check')" ok
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
