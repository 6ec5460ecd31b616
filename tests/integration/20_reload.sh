#!/bin/bash
# SIGHUP: a measure added to the catalog is added to existing files without
# losing data; a broken catalog is refused and the old one kept.
. "$(dirname "$0")/lib.sh"

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU092
cp "$SRC/config/measures.json" "$T/measures.json"
INTERVAL=1 MEASURES=$T/measures.json write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 2 30 || { not_ok "two cycles"; exit 1; }

rrd=$T/var/rrd/KU091.rrd
before=$(rrd_last_value "$rrd" contacts)
first=$(rrdtool first "$rrd" --rraindex 0)
last=$(rrdtool last "$rrd")
check "no DS volunteers yet" sh -c "! rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\]'"

# Add a measure and reload.
jq '.measures += [{"id":"volunteers","unit":"persons","min":0,"max":100000,"aggregate":"sum","is_count":true,"name":{"fi":"Vapaaehtoiset","sv":"Frivilliga","en":"Volunteers"}}]' \
	"$SRC/config/measures.json" >"$T/measures.json.new"
mv "$T/measures.json.new" "$T/measures.json"
n0=$(n_cycles)
kill -HUP "$D_PID"
wait_for 20 grep -q 'msg=reloaded' "$T/daemon.log"
check "reload logged" grep -q 'msg=reloaded.*measures=17' "$T/daemon.log"
check "new DS added to existing file" sh -c "rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\].type = \"GAUGE\"'"
check_eq "first RRA row unchanged (no data lost)" "$(rrdtool first "$rrd" --rraindex 0)" "$first"
check_eq "old value of contacts kept" "$(rrd_last_value "$rrd" contacts)" "$before"
check "file passes rrdtool info" rrdtool info "$rrd" >/dev/null
wait_cycles $((n0 + 2)) 30
check "collection goes on after reload" test "$(rrdtool last "$rrd")" -gt "$last"
check_eq "missing new measure recorded as missing" \
	"$(db "select count(*) > 0 from rejections where measure='volunteers' and reason='missing'")" 1

# A broken catalog is refused; the old one is kept and collection goes on.
echo '{"measures": [ {"id": "Bad-Id"} ] }' >"$T/measures.json"
n0=$(n_cycles)
kill -HUP "$D_PID"
wait_for 20 grep -q 'msg="reload refused' "$T/daemon.log"
check "broken catalog refused with file and line" grep -q "msg=\"reload refused.*$T/measures.json:1" "$T/daemon.log"
wait_cycles $((n0 + 2)) 30
check "collection goes on with the old catalog" test "$(n_cycles)" -ge $((n0 + 2))
check "old catalog still in use (17 measures written)" sh -c "rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\]'"
# A broken config is refused too.
echo "[collect]
interval = 0" >"$T/k2.conf"
cp "$T/k.conf" "$T/k.conf.good"
cp "$T/k2.conf" "$T/k.conf"
kill -HUP "$D_PID"
wait_for 20 sh -c "[ \$(grep -c 'msg=\"reload refused' '$T/daemon.log') -ge 2 ]"
check "broken config refused with file and line" grep -q "reload refused.*$T/k.conf:2" "$T/daemon.log"
stop_daemon
check_eq "SIGTERM after reloads: exit 0" "$D_STATUS" 0
exit 0
