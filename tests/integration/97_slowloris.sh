#!/bin/bash
# Slow clients (issue 11), bounded (about 35 s): with the default limits,
# 300 connections trickling a header byte a second from 30 loopback
# addresses (127.0.0.2..31, 10 each) cost the daemon file descriptors, not
# threads. Throughout, /healthz and a normal read (/api/v1/catalog) from
# 127.0.0.1 answer (curl --max-time 2: a bound, not a latency figure; the
# times are printed as benchmark figures), and header_timeout (10 s by
# default) closes every slow connection however it trickles. Then, with
# header_timeout 2 s and clients that do not come back, the daemon's own
# count of connections drops to none; and on [::1] the per-address limit
# holds (an IPv6 client counts by its /64). Everything started is stopped
# by PID.
. "$(dirname "$0")/lib.sh"

ATTACK_S=${ATTACK_S:-16}
N_SLOW=300
SOURCES=$(seq -s, -f '127.0.0.%g' 2 31)

if [ ! -x "$B/hostile" ]; then
	not_ok "hostile client built ($B/hostile)"
	exit 1
fi
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp ${LSAN_OPTIONS:-}"

# n_conns: connections the daemon holds open (its end of them)
n_conns() { ss -Htn state established "( sport = :$D_PORT )" | wc -l; }
conns_at_least() { test "$(n_conns)" -ge "$1"; }
conns_at_most() { test "$(n_conns)" -le "$1"; }
# ms_of SECONDS: "0.012345" -> 12
ms_of() { awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }'; }

echo "area,url,profile" >"$T/endpoints.csv" # nothing to poll
INTERVAL=3600 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1

# ---- 300 slow clients from 30 addresses, with the defaults ----
nice -n 19 "$B/hostile" --target "127.0.0.1:$D_PORT" --source "$SOURCES" \
	--seconds "$ATTACK_S" slowloris "$N_SLOW" >"$T/slow.out" 2>"$T/slow.err" &
ATTACKER=$!
PIDS="$PIDS $ATTACKER"
wait_for 10 conns_at_least "$N_SLOW"
check "the daemon holds all $N_SLOW slow connections ($(n_conns))" \
	test "$(n_conns)" -ge "$N_SLOW"

n_probes=0 n_bad=0 n_reads=0 n_bad_reads=0
: >"$T/times"
end=$((SECONDS + ATTACK_S - 3))
while [ "$SECONDS" -lt "$end" ]; do
	out=$(curl -s --max-time 2 -w '\n%{http_code} %{time_total}' \
		"http://127.0.0.1:$D_PORT/healthz")
	read -r code t <<<"${out##*$'\n'}"
	body=${out%$'\n'*}
	body=${body%$'\n'}
	n_probes=$((n_probes + 1))
	echo "$t" >>"$T/times"
	if [ "$code" != 200 ] || [ "$body" != ok ]; then
		n_bad=$((n_bad + 1))
		echo "# /healthz probe $n_probes at $(date +%T.%N): status $code, body '$body'"
	fi
	if [ $((n_probes % 4)) -eq 0 ]; then
		n_reads=$((n_reads + 1))
		code=$(curl -s --max-time 2 -o "$T/catalog.json" -w '%{http_code}' \
			"http://127.0.0.1:$D_PORT/api/v1/catalog")
		if [ "$code" != 200 ] || ! jq -e '.areas | length > 0' "$T/catalog.json" >/dev/null; then
			n_bad_reads=$((n_bad_reads + 1))
			echo "# catalog read $n_reads: status $code"
		fi
	fi
	sleep 0.2
done
wait "$ATTACKER"
sort -n "$T/times" >"$T/times.sorted"
p95=$(awk '{ a[NR] = $1 } END { i = int(NR * 0.95); if (i < 1) i = 1; print a[i] }' "$T/times.sorted")
max=$(tail -n 1 "$T/times.sorted")
echo "# benchmark: /healthz under $N_SLOW slow clients: p95 $(ms_of "$p95") ms, slowest $(ms_of "$max") ms ($n_probes probes)"
check "probes ran throughout the attack ($n_probes)" test "$n_probes" -ge $((ATTACK_S - 4))
check_eq "every /healthz probe answered ok within 2 s" "$n_bad" 0
check "catalog reads ran ($n_reads)" test "$n_reads" -ge 2
check_eq "every catalog read answered 200 within 2 s" "$n_bad_reads" 0
check "daemon alive after the attack" kill -0 "$D_PID"

# field KEY: a count from the attacker's line
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$T/slow.out"; }
echo "# $(cat "$T/slow.out" "$T/slow.err")"
check "slowloris: $N_SLOW connections held at once ($(field max_open))" \
	test "$(field max_open)" -ge "$N_SLOW"
# They trickle a byte a second, which restarts libmicrohttpd's idle
# timeout every time: header_timeout (10 s) is what closes them.
closed=$(field closed) lo=$(field min_close_s) hi=$(field max_close_s)
check "header_timeout closed every slow connection ($closed closed, after $lo..$hi s; deadline 10 s)" \
	awk -v n="$closed" -v a="$lo" -v b="$hi" -v want="$N_SLOW" \
	'BEGIN { exit !(n >= want && a >= 9.5 && b <= 13) }'
got=$(curl -s --max-time 2 "http://127.0.0.1:$D_PORT/healthz")
check_eq "answers after the attack" "$got" ok
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- header_timeout 2 s: the connections go, and do not come back ----
write_conf "$T/k2.conf" "[server]" "header_timeout = 2"
start_daemon "$T/k2.conf" || exit 1
nice -n 19 "$B/hostile" --target "127.0.0.1:$D_PORT" --source "$SOURCES" \
	--seconds 8 --once slowloris "$N_SLOW" >"$T/once.out" 2>"$T/once.err" &
ATTACKER=$!
PIDS="$PIDS $ATTACKER"
wait_for 5 conns_at_least "$N_SLOW"
held=$(n_conns)
check "header_timeout 2 s: $N_SLOW slow connections in ($held)" test "$held" -ge "$N_SLOW"
wait_for 6 conns_at_most 0
check_eq "header_timeout 2 s: the daemon closed them all" "$(n_conns)" 0
wait "$ATTACKER"
stop_daemon

# ---- IPv6: the per-address limit (by /64) ----
if ! grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	skip "IPv6 per-address limit (no [::1] on this machine)"
	exit 0
fi
write_conf "$T/k6.conf" "[server]" "per_ip_connections = 4"
sed -i 's/^listen = .*/listen = [::1]:0/' "$T/k6.conf"
start_daemon "$T/k6.conf" || exit 1
fds=()
for i in $(seq 1 10); do
	exec {fd}<>"/dev/tcp/::1/$D_PORT" || break
	fds+=("$fd")
done
check_eq "[::1]: 10 connections made" "${#fds[@]}" 10
# past the limit the daemon closes at once (EOF); the kept ones wait
n_closed=0 n_kept=0
for fd in "${fds[@]}"; do
	if read -r -t 1 -u "$fd" _line; then
		n_closed=$((n_closed + 1)) # an answer: not expected
	elif [ $? -gt 128 ]; then
		n_kept=$((n_kept + 1))
	else
		n_closed=$((n_closed + 1))
	fi
done
check_eq "[::1]: per_ip_connections 4 kept" "$n_kept" 4
check_eq "[::1]: the other 6 refused" "$n_closed" 6
for fd in "${fds[@]}"; do exec {fd}>&-; done
got=$(curl -s --max-time 2 "http://[::1]:$D_PORT/healthz")
check_eq "[::1]: answers once they are gone" "$got" ok
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
