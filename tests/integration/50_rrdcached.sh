#!/bin/bash
# [storage] rrdcached: writes go through a real rrdcached started here.
. "$(dirname "$0")/lib.sh"

if ! command -v rrdcached >/dev/null; then
	skip "rrdcached (not installed)"
	exit 0
fi
mkdir -p "$T/journal"
sock=$T/rrdcached.sock
# -w 3600: the cache holds updates for an hour, so a value seen through the
# daemon but not in the file proves the writes went through rrdcached.
rrdcached -g -l "unix:$sock" -j "$T/journal" -p "$T/rrdcached.pid" -w 3600 -z 1 \
	>"$T/rrdcached.log" 2>&1 &
RC_PID=$!
PIDS="$PIDS $RC_PID"
wait_for 20 test -S "$sock" || { not_ok "rrdcached started"; exit 1; }

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU092
INTERVAL=1 write_conf "$T/k.conf" "[storage]" "rrdcached = unix:$sock"
start_daemon "$T/k.conf" || exit 1
wait_cycles 3 30 || { not_ok "three cycles"; exit 1; }

rrd=$T/var/rrd/KU091.rrd
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 >"$T/ku091.json"
want=$(jq -r .measures.contacts "$T/ku091.json")
on_disk=$(rrdtool last "$rrd")
got=$(rrdtool lastupdate --daemon "unix:$sock" "$rrd" | awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "contacts") c = i } NR == 3 { print $(c + 1) }')
flushed=$(rrdtool last "$rrd")
check "updates were held by rrdcached until flushed (file $on_disk, then $flushed)" test "$flushed" -gt "$on_disk"
check_eq "value through rrdcached" "$got" "$want"
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
kill -TERM "$RC_PID"; wait "$RC_PID"
check "file readable after rrdcached flushed on exit" rrdtool info "$rrd" >/dev/null
check_eq "value on disk after flush" "$(rrd_last_value "$rrd" contacts)" "$want"
exit 0
