#!/bin/bash
# Collection end to end: the daemon polls fakemuni; values land exactly in
# the RRD files; rejected measures are recorded with their reason; one bad
# endpoint never affects another; a 30 s endpoint costs one timeout; an
# oversized body is cut off.
. "$(dirname "$0")/lib.sh"

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU049?status=503 \
	KU092?body=wrong_types KU005?body=garbage KU009?body=wrong_municipality \
	KU010?body=out_of_range KU016?delay_ms=30000 KU018?body=oversized \
	KU019?body=endless KU020?body=unknown KU035?body=violation \
	KU043?body=not_object KU046?body=deep KU047?future=1 \
	KU050?set.contacts=null
# A long interval: the checks below count exactly one cycle's rows, so a
# second cycle must not start while they run, however slow the build.
INTERVAL=120 TIMEOUT=2 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
ms=$(grep 'msg="cycle done"' "$T/daemon.log" | head -n 1 | sed 's/.* ms=\([0-9]*\).*/\1/')
# The 30 s endpoint costs one timeout (2 s), not 30 s.
check "a 30 s endpoint costs one timeout (cycle took ${ms} ms)" test "$ms" -lt 6000

# Values land exactly.
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 >"$T/ku091.json"
bad=0
for m in $(jq -r '.measures | keys[]' "$T/ku091.json"); do
	want=$(jq -r ".measures.$m" "$T/ku091.json")
	got=$(rrd_last_value "$T/var/rrd/KU091.rrd" "$m")
	if ! awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }'; then
		echo "# KU091 $m: rrd $got, document $want"
		bad=$((bad + 1))
	fi
done
check_eq "KU091: every measure lands exactly" "$bad" 0
# SPEC §5: step one day; AVERAGE, MIN and MAX daily for ten years and
# weekly for thirty; one GAUGE per measure.
rras=$(rrdtool info "$T/var/rrd/KU091.rrd" | awk -F' = ' '
	/^rra\[[0-9]+\]\.cf/ { split($1, k, /[][]/); cf[k[2]] = $2 }
	/^rra\[[0-9]+\]\.rows/ { split($1, k, /[][]/); rows[k[2]] = $2 }
	/^rra\[[0-9]+\]\.pdp_per_row/ { split($1, k, /[][]/); ppr[k[2]] = $2 }
	END { for (i in cf) print cf[i], ppr[i], rows[i] }' | tr -d '"' | sort | tr '\n' ' ')
check_eq "KU091.rrd: the RRAs of SPEC §5" "$rras" \
	"AVERAGE 1 3653 AVERAGE 7 1566 MAX 1 3653 MAX 7 1566 MIN 1 3653 MIN 7 1566 "
check_eq "KU091.rrd: step one day" \
	"$(rrdtool info "$T/var/rrd/KU091.rrd" | awk '$1 == "step" { print $3 }')" 86400
check_eq "KU091.rrd: one GAUGE per measure" \
	"$(rrdtool info "$T/var/rrd/KU091.rrd" | grep -c '^ds\[.*\]\.type = "GAUGE"')" 16
n=$(jq '.measures | length' "$T/ku091.json")
check "KU091: document has all 16 measures" test "$n" -eq 16
period=$(jq -r .period "$T/ku091.json")
y=${period%-*} m=${period#*-}
check_eq "KU091: latest period recorded" \
	"$(db "select max(period) from reports where area='KU091'")" \
	"$((10#$y * 12 + 10#$m - 1))"
check_eq "KU091: poll recorded as ok" \
	"$(db "select count(*) from polls where area='KU091' and error is null and accepted=16")" 1

# Failures: recorded with status and reason, no file written.
check_eq "503: error recorded" "$(db "select error from polls where area='KU049' limit 1")" "HTTP 503"
check_eq "503: http status recorded" "$(db "select http_status from polls where area='KU049' limit 1")" 503
check_eq "503: consecutive failures" "$(db "select consecutive_failures from endpoint_state where area='KU049'")" 1
check "503: no RRD file" test ! -e "$T/var/rrd/KU049.rrd"
check "garbage: rejected whole" test -n "$(db "select error from polls where area='KU005' and error like '%not a JSON object%'")"
check "garbage: no RRD file" test ! -e "$T/var/rrd/KU005.rrd"
check "wrong municipality: rejected whole" test -n "$(db "select error from polls where area='KU009' and error like '%expected KU009%'")"
check "wrong municipality: no RRD file" test ! -e "$T/var/rrd/KU009.rrd"
check "not an object: rejected whole" test -n "$(db "select error from polls where area='KU043' and error like '%not a JSON object%'")"
check "deep nesting: rejected whole" test -n "$(db "select error from polls where area='KU046' and error is not null")"
check "future period: rejected whole" test -n "$(db "select error from polls where area='KU047' and error like '%future%'")"
check "timeout: recorded" test -n "$(db "select error from polls where area='KU016' and error like '%timeout%'")"
check "oversized body: cut off" test -n "$(db "select error from polls where area='KU018' and error like '%larger than%'")"
check "endless body: cut off" test -n "$(db "select error from polls where area='KU019' and error like '%larger than%'")"
bytes=$(db "select bytes from polls where area='KU019' limit 1")
# curl hands over up to 16 KiB at a time; the chunk that passes the limit
# is dropped, never buffered.
check "endless body: cut off at max_body ($bytes bytes)" test "$bytes" -le $((1048576 + 65536))

# Per-measure rejections: the rest of the document is kept.
check "wrong types: rejected as not_number" test "$(db "select count(*) from rejections r join polls p on p.id=r.poll_id where p.area='KU092' and r.reason='not_number'")" -ge 1
check "wrong types: other measures kept" test -e "$T/var/rrd/KU092.rrd"
check "out of range: rejected as out_of_range" test "$(db "select count(*) from rejections r join polls p on p.id=r.poll_id where p.area='KU010' and r.reason='out_of_range'")" -ge 1
check "unknown measure: recorded as unknown" test "$(db "select count(*) from rejections r join polls p on p.id=r.poll_id where p.area='KU020' and r.reason='unknown'")" -ge 1
check "null: recorded as null" test "$(db "select count(*) from rejections r join polls p on p.id=r.poll_id where p.area='KU050' and r.reason='null' and r.measure='contacts'")" -eq 1
got=$(rrd_last_value "$T/var/rrd/KU050.rrd" contacts)
check_eq "null: stored as unknown" "$got" "U"
check "rule violation recorded" test "$(db "select count(*) from violations v join polls p on p.id=v.poll_id where p.area='KU035' and v.rule like 'contacts_remote%'")" -ge 1
got=$(rrd_last_value "$T/var/rrd/KU035.rrd" contacts_remote)
check "rule violation: values kept ($got)" test "$got" != "U"

# The API lists a municipality's latest rejections and violations.
curl -sf "http://127.0.0.1:$D_PORT/api/v1/health?area=KU092" >"$T/h92.json"
check "health?area=KU092: its not_number rejections listed" \
	jq_true '[.rejections[] | select(.area == "KU092" and .reason == "not_number")] | length > 0' "$T/h92.json"
check "health?area=KU092: only its own" jq_true '[.rejections[] | select(.area != "KU092")] | length == 0' "$T/h92.json"
curl -sf "http://127.0.0.1:$D_PORT/api/v1/health?area=KU035" >"$T/h35.json"
check "health?area=KU035: its violation listed" \
	jq_true '[.violations[] | select(.rule | startswith("contacts_remote"))] | length > 0' "$T/h35.json"
check_eq "health?area=MK01: 404" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$D_PORT/api/v1/health?area=MK01")" 404

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
check "stopped logged" grep -q 'msg=stopped' "$T/daemon.log"
exit 0
