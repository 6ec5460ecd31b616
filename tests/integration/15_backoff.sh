#!/bin/bash
# Backoff: a failing endpoint is retried next cycle, then less and less
# often (doubling), while the others are polled every cycle; success resets
# it.
. "$(dirname "$0")/lib.sh"

start_fakemuni || exit 1
fake_knob KU049 status=503
write_endpoints "$T/endpoints.csv" KU091 KU049
INTERVAL=1 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 9 60 || { not_ok "nine cycles"; exit 1; }
good=$(db "select count(*) from polls where area='KU091'")
bad=$(db "select count(*) from polls where area='KU049'")
# Cycles at t = 0..8: polls at 0, 1, 3 and 7 (after 1, 2, 4 intervals);
# a second's jitter may shift one.
check "good endpoint polled every cycle ($good)" test "$good" -ge 9
check "failing endpoint backs off ($bad polls in $good cycles)" sh -c "[ $bad -ge 3 ] && [ $bad -le 5 ]"
check_eq "failures counted" "$(db "select consecutive_failures from endpoint_state where area='KU049'")" "$bad"
check_eq "failure recorded with its status" "$(db "select distinct error from polls where area='KU049'")" "HTTP 503"

# Success resets the count; the endpoint is then polled every cycle.
fake_knob KU049 ""
wait_for 40 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' \"select consecutive_failures from endpoint_state where area='KU049'\")\" = 0 ]"
check_eq "success resets failures" "$(db "select consecutive_failures from endpoint_state where area='KU049'")" 0
# A cycle records its polls before it logs "cycle done": the one running
# now may have polled before p0 was read. The three cycles after it all
# start after p0 was read, so four cycles hold at least three new polls
# (a backing-off endpoint would have at most two).
p0=$(db "select count(*) from polls where area='KU049'")
n0=$(n_cycles)
wait_cycles $((n0 + 4)) 30 || not_ok "four more cycles"
p1=$(db "select count(*) from polls where area='KU049'")
check "after recovery polled every cycle ($((p1 - p0)) in 4 cycles, one maybe counted before)" test $((p1 - p0)) -ge 3

# SIGINT stops it as SIGTERM does (10_collect and others use SIGTERM).
kill -INT "$D_PID"
wait "$D_PID"
check_eq "SIGINT: exit 0" "$?" 0
check "SIGINT: stopped logged" grep -q 'msg=stopped' "$T/daemon.log"
exit 0
