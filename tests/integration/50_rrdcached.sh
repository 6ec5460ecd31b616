#!/bin/bash
# [storage] rrdcached: writes go through a real rrdcached started here,
# over a unix socket and over TCP on 127.0.0.1 (how collectd and Cacti
# spread RRD writing across machines). A new period is one UPDATE that
# rrdcached holds until flushed; a revision rebuilds the file through it
# (CREATE, one batch of updates, FLUSH), so the file holds it at once.
. "$(dirname "$0")/lib.sh"

need rrdcached rrdtool jq sqlite3
# free_port: a TCP port nobody listens on now, on 127.0.0.1
free_port() {
	for _p in $(shuf -i 20000-60000 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null || { echo "$_p"; return 0; }
	done
	return 1
}
# contacts_on DAY_TIME FILE: the file's contacts on that day, read from disk
contacts_on() {
	command rrdtool fetch "$2" AVERAGE -r 86400 -s "$1" -e "$1" |
		awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "contacts") c = i }
			NR == 3 { printf "%.6g\n", $(c + 1) }'
}

P=$(expected_period)
P1=$(period_add "$P" 1)
start_fakemuni || exit 1
# knobs through /control only: a knob in the URL would override them
write_endpoints "$T/endpoints.csv" KU091

for mode in unix tcp; do
	rm -rf "$T/var" "$T/journal"
	mkdir -p "$T/journal" "$T/var/rrd"
	if [ "$mode" = unix ]; then
		addr=unix:$T/rrdcached.sock
		listen=$addr
		extra=
	else
		port=$(free_port) || { not_ok "$mode: a free port"; continue; }
		addr=127.0.0.1:$port
		listen=$addr
		# -B: only files under -b, as an operator should run it on TCP
		extra="-B -b $T/var/rrd"
	fi
	# -w 3600: the cache holds updates for an hour, so a value seen
	# through rrdcached but not in the file proves the writes went
	# through it.
	rrdcached -g -l "$listen" $extra -j "$T/journal" -p "$T/rrdcached.$mode.pid" \
		-w 3600 -z 1 >"$T/rrdcached.$mode.log" 2>&1 &
	RC_PID=$!
	PIDS="$PIDS $RC_PID"
	if [ "$mode" = unix ]; then
		wait_for 20 test -S "$T/rrdcached.sock" || { not_ok "$mode: rrdcached started"; continue; }
	else
		wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || { not_ok "$mode: rrdcached started"; continue; }
	fi
	INTERVAL=1 write_conf "$T/k.conf" "[storage]" "rrdcached = $addr"
	fake_knob KU091 "period=$P"
	start_daemon "$T/k.conf" || exit 1
	rrd=$T/var/rrd/KU091.rrd
	wait_for 30 test -e "$rrd" || { not_ok "$mode: file created through rrdcached"; stop_daemon; continue; }
	want=$("$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 "$P" | jq .measures.contacts)
	day=$(date -u -d "$P-15" +%s)
	check_eq "$mode: the first period, rebuilt through rrdcached, is on disk at once" \
		"$(contacts_on "$day" "$rrd")" "$(echo "$want" | awk '{ printf "%.6g\n", $1 }')"

	# a new period: an append through rrdcached, held until flushed
	fake_knob KU091 "period=$P1"
	p1=$(( ${P1%-*} * 12 + 10#${P1#*-} - 1 ))
	wait_for 30 sh -c "[ -n \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT 1 FROM figures WHERE area = 'KU091' AND period = $p1 LIMIT 1\")\" ]" ||
		not_ok "$mode: the new period recorded"
	on_disk=$(command rrdtool last "$rrd")
	# rrdtool's own client sends a name relative to rrdcached's -b over
	# TCP (it refuses absolute ones there)
	name=$rrd
	[ "$mode" = tcp ] && name=KU091.rrd
	command rrdtool flushcached --daemon "$addr" "$name" >"$T/flush.log" 2>&1 ||
		{ echo "# flushcached:"; cat "$T/flush.log"; }
	flushed_last=$(command rrdtool last "$rrd")
	check "$mode: the append was held by rrdcached until flushed (file $on_disk, then $flushed_last)" \
		test "$flushed_last" -gt "$on_disk"
	want1=$("$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 "$P1" | jq .measures.contacts)
	check_eq "$mode: value of the new period on its days" \
		"$(contacts_on "$(date -u -d "$P1-10" +%s)" "$rrd")" "$(echo "$want1" | awk '{ printf "%.6g\n", $1 }')"

	# a revision of P: the file is rebuilt through rrdcached
	fake_knob KU091 "period=$P&set.contacts=4321"
	wait_for 30 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT value FROM figures WHERE area = 'KU091' AND measure = 'contacts' AND period = $(( ${P%-*} * 12 + 10#${P#*-} - 1 ))\")\" = 4321.0 ]" ||
		not_ok "$mode: the revision recorded"
	wait_for 10 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' 'SELECT COUNT(*) FROM rrd_dirty')\" = 0 ]"
	check_eq "$mode: a revision rebuilt through rrdcached is on disk" "$(contacts_on "$day" "$rrd")" 4321
	check_eq "$mode: the later period kept by the rebuild" \
		"$(contacts_on "$(date -u -d "$P1-10" +%s)" "$rrd")" "$(echo "$want1" | awk '{ printf "%.6g\n", $1 }')"
	stop_daemon
	check_eq "$mode: SIGTERM: exit 0" "$D_STATUS" 0
	kill -TERM "$RC_PID"; wait "$RC_PID"
	check "$mode: file readable after rrdcached flushed on exit" rrdtool info "$rrd" >/dev/null
done
exit 0
