#!/bin/bash
# A slow endpoint never keeps the database locked: while a cycle waits on
# the network, its batch of poll rows is committed within 100 ms, so
# another program (kuntamonctl import, token commands) gets the write
# lock at once rather than after the slowest endpoint's timeout.
. "$(dirname "$0")/lib.sh"

start_fakemuni || exit 1
fake_knob KU049 delay_ms=4000
write_endpoints "$T/endpoints.csv" KU091 KU049
INTERVAL=30 TIMEOUT=10 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
# the fast endpoint's poll is in, the slow one's not: the cycle waits
in_wait() {
	[ "$(db "select count(*) from polls where area='KU091'")" -ge 1 ] &&
		[ "$(db "select count(*) from polls where area='KU049'")" -eq 0 ]
}
check "the cycle waits on the slow endpoint" wait_for 10 in_wait
# a writer with a 1 s busy timeout: the slow endpoint answers 4 s after
# the cycle began
check "another writer gets the database while the cycle waits" \
	sqlite3 -cmd ".timeout 1000" "$T/var/kuntamon.db" \
	"BEGIN IMMEDIATE; CREATE TABLE probe(x); DROP TABLE probe; COMMIT;"
check "the slow endpoint was still pending" \
	test "$(db "select count(*) from polls where area='KU049'")" -eq 0
wait_cycles 1 20 || not_ok "the cycle ends"
check_eq "the slow endpoint's poll recorded" \
	"$(db "select count(*) from polls where area='KU049' and error is null")" 1
stop_daemon
check_eq "stopped: exit 0" "$D_STATUS" 0
exit 0
