#!/bin/bash
# kill -9 in the middle of a cycle, then restart: every RRD file passes
# rrdtool info, the database passes integrity_check, collection goes on.
. "$(dirname "$0")/lib.sh"

start_fakemuni || exit 1
# 120 municipalities, each answering after a short delay, so that a cycle
# is long enough to be killed in the middle of it.
areas=$(tail -n +2 "$SRC/config/municipalities.csv" | head -n 120 | cut -d, -f1 | sed 's/^/KU/;s/$/?delay_ms=40/')
write_endpoints "$T/endpoints.csv" $areas
INTERVAL=1 write_conf "$T/k.conf" "[collect]" "concurrency = 4"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 60 || { not_ok "first cycle"; exit 1; }

# Kill at several points in later cycles: as soon as a cycle has started
# writing (some polls of the running cycle recorded), kill -9.
for round in 1 2 3; do
	n=$(db "select count(*) from polls")
	wait_for 30 sh -c "[ \$(sqlite3 '$T/var/kuntamon.db' 'select count(*) from polls') -gt $((n + 10 * round)) ]"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	bad=0
	for f in "$T"/var/rrd/*.rrd; do
		rrdtool info "$f" >/dev/null 2>&1 || { echo "# bad file $f"; bad=$((bad + 1)); }
	done
	check_eq "round $round: every RRD file passes rrdtool info" "$bad" 0
	check "round $round: no temporary files left behind" sh -c "! ls '$T/var/rrd' | grep -v '\\.rrd\$'"
	check_eq "round $round: integrity_check" "$(db 'pragma integrity_check')" ok
	last=$(rrdtool last "$T/var/rrd/KU005.rrd")
	start_daemon "$T/k.conf" || exit 1
	n0=$(n_cycles)
	wait_cycles $((n0 + 1)) 60
	check "round $round: collection goes on after restart" test "$(rrdtool last "$T/var/rrd/KU005.rrd")" -gt "$last"
done
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
