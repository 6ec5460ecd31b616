#!/bin/bash
# /metrics as a Prometheus user meets it: the daemon's text passes
# `promtool check metrics` with nothing to say; kuntamon_build_info, the
# process_* families, the request-duration histogram by route and the
# municipalities by reporting status are there; the histogram grows with
# requests and its buckets add up; the status counts are /api/v1/health's.
# Then a real Prometheus server (Debian's prometheus) scrapes the daemon on
# loopback every second, and its HTTP API answers up{job="kuntamon"} 1 and
# kuntamon_build_info with the daemon's version.
. "$(dirname "$0")/lib.sh"

need curl jq
# need TOOL: missing, a skip; under CI a failure (the layer must run there)
need() {
	command -v "$1" >/dev/null && return 0
	if [ -n "${CI:-}" ]; then not_ok "$1 is not installed (CI must run this layer)"; else skip "78_metrics: $1 not installed"; fi
	return 1
}

EXP=$(expected_period)
start_fakemuni || exit 1
# ok: KU091, KU049; failing: KU092; late: KU005; the others never.
write_endpoints "$T/endpoints.csv" KU091?period=$EXP KU049?period=$EXP KU092?status=503 \
	KU005?lag=3
INTERVAL=2 TIMEOUT=2 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
URL="http://127.0.0.1:$D_PORT"

scrape() { curl -sf --max-time 10 "$URL/metrics" >"$T/metrics"; }
# value SERIES: the sample's value in $T/metrics ("" if none)
value() { awk -v s="$1" '$1 == s { print $2 }' "$T/metrics"; }
H=kuntamon_http_request_duration_seconds

check "/metrics answers" scrape
if need promtool; then
	promtool check metrics <"$T/metrics" >"$T/promtool.log" 2>&1
	st=$?
	check_eq "promtool check metrics: exit status" "$st" 0
	check_eq "promtool check metrics: nothing to say" "$(cat "$T/promtool.log")" ""
fi

for f in kuntamon_build_info:gauge process_cpu_seconds_total:counter \
    process_resident_memory_bytes:gauge process_virtual_memory_bytes:gauge \
    process_virtual_memory_max_bytes:gauge process_start_time_seconds:gauge \
    process_open_fds:gauge process_max_fds:gauge process_threads:gauge \
    $H:histogram kuntamon_municipalities:gauge; do
	check "family ${f%:*}: HELP and TYPE ${f#*:}" sh -c \
		"grep -q '^# HELP ${f%:*} .' '$T/metrics' && grep -q '^# TYPE ${f%:*} ${f#*:}\$' '$T/metrics'"
done
VERSION_LABEL=$(sed -n 's/^kuntamon_build_info{version="\([^"]*\)".*} 1$/\1/p' "$T/metrics")
check "kuntamon_build_info: a version and the libraries" sh -c \
	"[ -n '$VERSION_LABEL' ] && grep -qE '^kuntamon_build_info\{.*libmicrohttpd=\"[0-9.]+\".*librrd=\"[0-9.]+\".*sqlite=\"[0-9.]+\"\} 1\$' '$T/metrics'"
check "process_start_time_seconds: the daemon's start" awk -v t="$(date +%s)" \
	'$1 == "process_start_time_seconds" { found = 1; if ($2 < t - 120 || $2 > t + 1) exit 1 } END { exit !found }' "$T/metrics"
check "process_open_fds: some, within process_max_fds" awk \
	'$1 == "process_open_fds" { n = $2 } $1 == "process_max_fds" { m = $2 } END { exit !(n > 3 && n <= m) }' "$T/metrics"
check "process_resident_memory_bytes: some" awk '$1 == "process_resident_memory_bytes" { exit !($2 > 1000000) }' "$T/metrics"

# The status counts are /health's, and cover every municipality.
curl -sf --max-time 10 "$URL/api/v1/health" >"$T/health.json"
for s in ok late failing never; do
	check_eq "kuntamon_municipalities{status=\"$s\"} as /api/v1/health" \
		"$(value "kuntamon_municipalities{status=\"$s\"}")" "$(jq ".counts.$s" "$T/health.json")"
done
check_eq "municipalities: ok 2, late 1, failing 1" \
	"$(value 'kuntamon_municipalities{status="ok"}') $(value 'kuntamon_municipalities{status="late"}') $(value 'kuntamon_municipalities{status="failing"}')" "2 1 1"
check_eq "municipalities: 308 in all" "$(awk '/^kuntamon_municipalities\{/ { n += $2 } END { print n }' "$T/metrics")" 308

# The histogram: every route has one, even unanswered; the buckets of a
# route never decrease and end at its count.
check "$H: a histogram for /api/v1/catalog before any request" grep -q "^${H}_count{route=\"/api/v1/catalog\"} 0\$" "$T/metrics"
check "$H: buckets rise to +Inf = count, for every route" awk -v h="$H" '
	index($1, h "_bucket{") == 1 {
		r = $1; sub(/,le=.*/, "", r); sub(/.*route=/, "", r)
		if (r == last && $2 < prev) bad = 1
		last = r; prev = $2
		if ($1 ~ /le="\+Inf"/) inf[r] = $2
	}
	index($1, h "_count{") == 1 { r = $1; sub(/.*route=/, "", r); sub(/}$/, "", r); cnt[r] = $2; n++ }
	END { for (r in cnt) if (inf[r] != cnt[r]) bad = 1; exit bad || n < 10 }' "$T/metrics"

C0=$(value "${H}_count{route=\"/healthz\"}")
for i in 1 2 3 4 5; do curl -sf --max-time 10 -o /dev/null "$URL/healthz"; done
# healthz_count_at_least N: after a scrape (a request is counted once its
# answer is sent, which may be just after curl has it)
healthz_count_at_least() { scrape && [ "$(value "${H}_count{route=\"/healthz\"}")" -ge "$1" ]; }
check "$H: /healthz's count grows by the 5 requests" wait_for 10 healthz_count_at_least $((C0 + 5))
check "$H: /healthz's sum grows too" awk -v h="${H}_sum{route=\"/healthz\"}" '$1 == h { exit !($2 > 0) }' "$T/metrics"
if need promtool; then
	check "promtool check metrics, after requests" sh -c "promtool check metrics <'$T/metrics' >'$T/promtool.log' 2>&1 && ! test -s '$T/promtool.log'"
fi

# --- a real Prometheus server -------------------------------------------

need prometheus || exit "$N_FAILED"
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kuntamon
    static_configs:
      - targets: ['127.0.0.1:$D_PORT']
EOF
if command -v promtool >/dev/null; then
	check "promtool check config" sh -c "promtool check config '$T/prometheus.yml' >'$T/promtool-config.log' 2>&1"
fi

# Prometheus takes no port 0 that it would tell us: a free port is
# picked, and another tried if it was taken meanwhile (Prometheus exits).
is_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
prom_ready() { curl -sf --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null; }
prom_gone() { ! kill -0 "$PROM_PID" 2>/dev/null || [ "$(ps -o stat= -p "$PROM_PID" | cut -c1)" = Z ]; }
prom_ready_or_gone() { prom_ready || prom_gone; }
PROM_PID=
for attempt in 1 2 3 4 5; do
	PROM_PORT=$((20000 + RANDOM % 40000))
	is_listening "$PROM_PORT" && continue
	mkdir -p "$T/tsdb.$attempt"
	prometheus --config.file="$T/prometheus.yml" \
		--storage.tsdb.path="$T/tsdb.$attempt" \
		--web.listen-address="127.0.0.1:$PROM_PORT" \
		--log.level=warn >>"$T/prometheus.log" 2>&1 &
	PROM_PID=$!
	PIDS="$PIDS $PROM_PID"
	wait_for 30 prom_ready_or_gone
	prom_ready && break
	PROM_PID=
done
check "prometheus started on 127.0.0.1" test -n "$PROM_PID"
[ -n "$PROM_PID" ] || { tail -n 20 "$T/prometheus.log"; exit 1; }

# query PROMQL: its instant vector's first value, "" if empty
query() {
	curl -sf --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" >"$T/query.json" &&
		jq -r 'select(.status == "success") | .data.result[0].value[1] // ""' "$T/query.json"
}
up_is_1() { [ "$(query 'up{job="kuntamon"}')" = 1 ]; }
check "prometheus: up{job=\"kuntamon\"} is 1" wait_for 30 up_is_1
has_build_info() { [ "$(query 'kuntamon_build_info{job="kuntamon"}')" = 1 ]; }
check "prometheus: kuntamon_build_info is 1" wait_for 10 has_build_info
check_eq "prometheus: kuntamon_build_info's version" \
	"$(jq -r '.data.result[0].metric.version' "$T/query.json")" "$VERSION_LABEL"
has_histogram() { [ "$(query 'sum(kuntamon_http_request_duration_seconds_count{job="kuntamon",route="/metrics"})')" -ge 1 ] 2>/dev/null; }
check "prometheus: its own scrapes in the duration histogram" wait_for 10 has_histogram

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit "$N_FAILED"
