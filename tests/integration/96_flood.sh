#!/bin/bash
# Floods of expensive anonymous requests (issue 11, SPEC §7 "no request
# makes the daemon hold more than a bounded amount of memory"): two years
# of history for all 308 municipalities imported, then, from 127.0.0.1,
# bounded in count and time (curl --parallel, one process, stopped by
# PID):
# - memory: maximal series (the country, step=86400 from a year ago to 26
#   years ahead: ~9,800 points, every request another end so that none is
#   cached) and /api/v1/data of every indicator of every municipality for
#   36 months (~100,000 cells), 128 connections at once. Asserted: some
#   answers are 503 with Retry-After (the expensive-request gate), every
#   other one 200, the daemon alive and answering, and its peak RSS
#   (VmHWM) under 256 MiB.
# - charts: 64 connections asking for uncached 2000x1200 PNGs of the
#   country (every request another month or language). Asserted: 503 with
#   Retry-After past the render queue, and a cached chart answered 200
#   while the flood runs.
# /healthz and cached-chart latencies under these floods are printed, not
# asserted (bench/serve measures them).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || { skip "96_flood: curl not installed"; exit 0; }
# %header{} in --write-out: curl 7.84
case $(curl --version | awk 'NR == 1 { print $2 }') in
7.[0-7]?.* | 7.8[0-3].* | 7.[0-9].*) skip "96_flood: curl 7.84 or later needed"; exit 0 ;;
esac

RSS_LIMIT_KB=$((256 * 1024))
FLOOD_S=${FLOOD_S:-20}
# Sanitizer builds hold far more per allocation: the bound is for the
# real build.

P=$(expected_period)
first=$(period_add "$P" -23)
echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "public = yes" \
	"max_connections = 512" "per_ip_connections = 512"
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$first" "$P" >"$T/h.csv" ||
	{ not_ok "history generated"; exit 1; }
"$B/kuntamonctl" -c "$T/k.conf" import "$T/h.csv" >"$T/import.log" 2>&1 ||
	{ not_ok "history imported"; cat "$T/import.log"; exit 1; }
start_daemon "$T/k.conf" || exit 1
U=http://127.0.0.1:$D_PORT

hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$D_PID/status"; }
# probe PATH: "STATUS MILLISECONDS"
probe() {
	curl -s --max-time 5 -o /dev/null -w '%{http_code} %{time_total}\n' "$U$1" |
		awk '{ printf "%s %d\n", $1, $2 * 1000 }'
}
# flood NAME CONNECTIONS URL...: one curl in the background, at most
# FLOOD_S seconds in all; one line "STATUS RETRY-AFTER" a request, in
# $T/NAME.codes
flood() {
	_name=$1 _n=$2 _args=()
	shift 2
	for _u in "$@"; do _args+=(-o /dev/null "$_u"); done
	timeout -s KILL "$FLOOD_S" curl -s -Z --parallel-immediate --parallel-max "$_n" \
		--max-time 15 -w '%{http_code} %header{retry-after}\n' "${_args[@]}" \
		>"$T/$_name.codes" 2>/dev/null &
	FLOOD_PID=$!
	PIDS="$PIDS $FLOOD_PID"
}
# while_flooding NAME PATH: probes PATH every 100 ms until the flood ends;
# prints the probes' count, failures and slowest, and the p95
while_flooding() {
	: >"$T/$1.probes"
	while kill -0 "$FLOOD_PID" 2>/dev/null; do
		probe "$2" >>"$T/$1.probes"
		sleep 0.1
	done
	wait "$FLOOD_PID"
	sort -n -k2 "$T/$1.probes" | awk '{ s[NR] = $2; if ($1 != 200) bad++ }
		END { i = int(NR * 0.95); if (i < 1) i = 1
			printf "%d %d %d %d\n", NR, bad, s[NR], s[i] }'
}
# counts NAME: "ANSWERS 200S 503S 503S_WITH_RETRY_AFTER OTHERS"
counts() {
	awk '{ n++ } $1 == 200 { ok++ } $1 == 503 { busy++; if ($2 + 0 >= 1) retry++ }
		$1 != 200 && $1 != 503 { other++ }
		END { printf "%d %d %d %d %d\n", n, ok, busy, retry, other }' "$T/$1.codes"
}

# ---- memory: maximal series and data requests ----
now=$(date +%s)
e1=$((now + 26 * 365 * 86400))
e0=$((e1 - 3000 * 86400))
series="$U/api/v1/series?area=SSS&indicator=gp_coverage&start=-1y&step=86400&end=[$e0-$e1:86400]"
data="$U/api/v1/data?level=municipality&indicator=*&period=LAST_36_MONTHS&lang={fi,sv,en}&n=[1-100]"
st=$(curl -s --max-time 30 -o "$T/one.json" -w '%{http_code}' "${series%%&end=*}&end=$e1")
check_eq "a maximal series alone: 200" "$st" 200
check "a maximal series alone: ~9,800 points ($(grep -o '\],\[' "$T/one.json" | wc -l))" \
	test "$(grep -o '\],\[' "$T/one.json" | wc -l)" -ge 9000
flood memory 128 "$series" "$data"
read -r n_probes n_bad slowest p95 < <(while_flooding memory /healthz)
read -r n_req n_ok n_busy n_retry n_other < <(counts memory)
echo "# memory flood: $n_req answers: $n_ok 200, $n_busy 503 ($n_retry with Retry-After), $n_other other; /healthz during it: $n_probes probes, $n_bad failed, p95 $p95 ms, slowest $slowest ms"
check "memory flood: many requests answered ($n_req)" test "$n_req" -ge 500
check "memory flood: 503 past the gate ($n_busy of $n_req)" test "$n_busy" -ge 1
check_eq "memory flood: every 503 with Retry-After" "$n_retry" "$n_busy"
check "memory flood: some computed ($n_ok)" test "$n_ok" -ge 1
check_eq "memory flood: nothing but 200 and 503" "$n_other" 0
check "memory flood: the daemon alive" kill -0 "$D_PID"
check_eq "memory flood: /healthz answered throughout" "$n_bad" 0
hwm=$(hwm_kb)
if [ "$SANITIZED" = 1 ]; then
	skip "memory flood: peak RSS under 256 MiB ($((hwm / 1024)) MiB; a sanitizer build)"
else
	check "memory flood: peak RSS $((hwm / 1024)) MiB, under 256 MiB" test "$hwm" -lt "$RSS_LIMIT_KB"
fi

# ---- charts: a flood of uncached renders ----
cached="/chart/SSS/remote_share.svg?start=-2y"
st=$(probe "$cached")
check_eq "a chart rendered and cached" "${st% *}" 200
# 2000x1200 PNGs of the country: ~100 ms each, every one another key
charts="$U/chart/SSS/remote_share.png?width=2000&height=1200&start=20{00,01,02,03,04,05,06,07,08,09,10,11,12,13,14,15,16,17,18,19}-[01-12]&lang={fi,sv,en}"
flood charts 64 "$charts"
read -r n_probes n_bad slowest p95 < <(while_flooding charts "$cached")
read -r n_req n_ok n_busy n_retry n_other < <(counts charts)
echo "# chart flood: $n_req answers: $n_ok 200, $n_busy 503 ($n_retry with Retry-After), $n_other other; the cached chart during it: $n_probes probes, $n_bad failed, p95 $p95 ms, slowest $slowest ms"
check "chart flood: many requests answered ($n_req)" test "$n_req" -ge 100
check "chart flood: 503 past the render queue ($n_busy of $n_req)" test "$n_busy" -ge 1
check_eq "chart flood: every 503 with Retry-After" "$n_retry" "$n_busy"
check "chart flood: some rendered ($n_ok)" test "$n_ok" -ge 1
check_eq "chart flood: nothing but 200 and 503" "$n_other" 0
check "chart flood: the cached chart answered 200 during it ($n_probes probes, $n_bad not)" \
	test "$n_probes" -ge 1 -a "$n_bad" -eq 0
check "chart flood: the daemon alive" kill -0 "$D_PID"

st=$(probe /healthz)
check_eq "after the floods: /healthz" "${st% *}" 200
stop_daemon
check_eq "SIGTERM after the floods: exit 0" "$D_STATUS" 0
exit 0
