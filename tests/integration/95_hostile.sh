#!/bin/bash
# Hostile clients on loopback, bounded (about 35 s, 20 of attack): while
# the daemon collects from fakemuni, $B/hostile attacks it from
# 127.0.0.2..7 with slow headers (slowloris), more connections from one
# address than per_ip_connections, oversized headers, garbage bytes and a
# flood of requests. Meanwhile /healthz, probed from 127.0.0.1 every 200 ms
# (the per-IP limit keeps its share), must answer "ok" within 100 ms every
# time; afterwards every poll of every cycle is recorded and every RRD
# value is as fakemuni serves it. Everything started is stopped by PID.
#
# Real attackers run on their own machines; here they share our two cores,
# so they run at nice 19: the daemon's threads that serve them do not, and
# compete with the probe's as they would in production.
. "$(dirname "$0")/lib.sh"

ATTACK_S=${ATTACK_S:-20}
PER_IP=32
IDLE_S=5
LIMIT_MS=100
HARD_LIMIT_MS=1000
# Sanitizer builds run 2 to 15 times slower: there the probes show that the
# daemon answers at all, within a second.
if grep -qa -e __asan_init -e __tsan_init "$B/kuntamond"; then
	LIMIT_MS=$HARD_LIMIT_MS
fi

# cpu_pressure: the share (%) of the next second in which some task of the
# machine waited for a CPU (Linux PSI); empty where PSI is not available.
# Measured while our own processes idle, it is load from outside the test.
cpu_pressure() {
	[ -r /proc/pressure/cpu ] || return 0
	_t0=${EPOCHREALTIME/./}
	_a=$(sed -n 's/^some .*total=\([0-9]*\)$/\1/p' /proc/pressure/cpu)
	sleep 1
	_b=$(sed -n 's/^some .*total=\([0-9]*\)$/\1/p' /proc/pressure/cpu)
	_t1=${EPOCHREALTIME/./}
	echo $(((_b - _a) * 100 / (_t1 - _t0)))
}
# Library leaks LeakSanitizer would report at exit (librrd's charts).
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp ${LSAN_OPTIONS:-}"

if [ ! -x "$B/hostile" ]; then
	not_ok "hostile client built ($B/hostile)"
	exit 1
fi

AREAS="KU091 KU049 KU092 KU005 KU009 KU010"
start_fakemuni || exit 1
# shellcheck disable=SC2086
write_endpoints "$T/endpoints.csv" $AREAS
INTERVAL=2 TIMEOUT=2 write_conf "$T/k.conf" "[server]" \
	"per_ip_connections = $PER_IP" "connection_timeout = $IDLE_S"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
cycles_before=$(n_cycles)
busy_before=$(cpu_pressure)

# attack NAME SOURCES MODE ARG [OPTIONS]: runs in the background for
# ATTACK_S seconds; its one line of counts lands in $T/NAME.out
attack() {
	_name=$1 _src=$2 _mode=$3 _arg=$4
	shift 4
	nice -n 19 "$B/hostile" --target "127.0.0.1:$D_PORT" --source "$_src" \
		--seconds "$ATTACK_S" "$@" "$_mode" "$_arg" \
		>"$T/$_name.out" 2>"$T/$_name.err" &
	PIDS="$PIDS $!"
	ATTACKERS="${ATTACKERS:-} $!"
}
# 60 slow connections over two addresses (30 each, under the per-IP
# limit): all of them are held, each a file descriptor (not a thread),
# until header_timeout (10 s) closes them and they come back.
attack slowloris 127.0.0.2,127.0.0.3 slowloris 60
attack hold 127.0.0.4 hold 100
attack bigheader 127.0.0.5 bigheader 102400
attack garbage 127.0.0.6 garbage 4096
attack flood 127.0.0.7 flood 8 \
	--paths "/healthz,/api/v1/catalog,/metrics,/api/v1/health,/chart/KU091/contacts_per_1000.svg,/nope"

# Probe from 127.0.0.1 while the attack runs: every 200 ms, a new
# connection each time (the attackers' connections are all in place after
# the first second).
sleep 1
n_probes=0 n_bad=0 n_slow=0 max_us=0
end=$((SECONDS + ATTACK_S - 3))
while [ "$SECONDS" -lt "$end" ]; do
	# Builtins only, besides curl and sleep: the machine is busy.
	out=$(curl -s --max-time 2 -w '\n%{http_code} %{time_total} %{time_connect} %{time_starttransfer}' \
		"http://127.0.0.1:$D_PORT/healthz")
	read -r code t t_conn t_first <<<"${out##*$'\n'}"
	body=${out%$'\n'*}
	body=${body%$'\n'}
	frac=${t#*.}000000
	us=$((10#${t%.*} * 1000000 + 10#${frac:0:6}))
	n_probes=$((n_probes + 1))
	[ "$us" -gt "$max_us" ] && max_us=$us
	if [ "$code" != 200 ] || [ "$body" != ok ] || [ "$us" -gt $((HARD_LIMIT_MS * 1000)) ]; then
		n_bad=$((n_bad + 1))
	elif [ "$us" -gt $((LIMIT_MS * 1000)) ]; then
		n_slow=$((n_slow + 1))
	else
		code=fine
	fi
	[ "$code" = fine ] ||
		echo "# probe $n_probes at $(date +%T.%N): status $code, body '$body', $((us / 1000)) ms (connected at $t_conn s, first byte at $t_first s)"
	sleep 0.2
done
check "probes ran throughout the attack ($n_probes)" test "$n_probes" -ge $((ATTACK_S - 4))
slowest="$((max_us / 1000)).$((max_us / 100 % 10)) ms"
check_eq "every /healthz probe answered ok within $HARD_LIMIT_MS ms (slowest $slowest)" "$n_bad" 0
check "daemon alive during the attack" kill -0 "$D_PID"

for p in $ATTACKERS; do wait "$p"; done
busy_after=$(cpu_pressure)
# The 100 ms bound: other work on the machine (measured while this test
# idles, before and after the attack) can stall any process that long; if
# there was some, slow probes are not the daemon's to answer for.
if [ "$n_slow" -eq 0 ]; then
	ok "every /healthz probe answered within $LIMIT_MS ms (slowest $slowest)"
elif [ "${busy_before:-0}" -ge 10 ] || [ "${busy_after:-0}" -ge 10 ]; then
	skip "every /healthz probe within $LIMIT_MS ms ($n_slow of $n_probes slower, slowest $slowest; the machine was busy with other work: CPU pressure ${busy_before}% before, ${busy_after}% after the attack)"
else
	not_ok "every /healthz probe answered within $LIMIT_MS ms ($n_slow of $n_probes slower, slowest $slowest; CPU pressure ${busy_before:-?}% before, ${busy_after:-?}% after the attack)"
fi
# field NAME KEY: a count from an attacker's line
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$T/$1.out"; }
for a in slowloris hold bigheader garbage flood; do echo "# $(cat "$T/$a.out" "$T/$a.err")"; done

# The attacks were real, and the limits did their part.
check "slowloris: held 60 slow connections at once ($(field slowloris max_open))" \
	test "$(field slowloris max_open)" -ge 60
held=$(field hold held) refused=$(field hold refused)
check "one address: kept at most per_ip_connections ($held of 100, $refused refused)" \
	test "$held" -le "$PER_IP" -a "$held" -ge 1 -a "$((held + refused))" -eq 100
check_eq "one address: every idle connection closed" "$(field hold idle_closed)" "$held"
first=$(field hold first_idle_close_s) last=$(field hold last_idle_close_s)
check "one address: idle ones closed after connection_timeout ($first..$last s, timeout $IDLE_S s)" \
	awk -v a="$first" -v b="$last" -v t="$IDLE_S" 'BEGIN { exit !(a >= t - 1 && b <= t + 3) }'
n=$(field bigheader requests) a=$(field bigheader answers) c=$(field bigheader s4xx)
check "oversized headers: refused with 4xx ($c of $a answers, $n requests, last $(field bigheader last_status))" \
	test "$n" -ge 10 -a "$(field bigheader s2xx)" -eq 0 -a "$c" -eq "$a"
n=$(field garbage requests) a=$(field garbage answers) c=$(field garbage s4xx)
check "garbage: never a 2xx ($c 4xx of $a answers, $n requests)" \
	test "$n" -ge 10 -a "$(field garbage s2xx)" -eq 0
n=$(field flood requests)
check "flood: answered ($n requests, $(field flood s5xx) 5xx)" test "$n" -ge 1000

# After the attack: still serving, and nothing lost. Each cycle polls every
# endpoint once and records it.
got=$(curl -s --max-time 2 "http://127.0.0.1:$D_PORT/healthz")
check_eq "answers after the attack" "$got" ok
cycles_during=$(($(n_cycles) - cycles_before))
check "collection went on during the attack ($cycles_during cycles)" \
	test "$cycles_during" -ge $((ATTACK_S / 2 / 2))
stop_daemon
check_eq "SIGTERM after the attack: exit 0" "$D_STATUS" 0
cycles=$(n_cycles)
bad=0
for area in $AREAS; do
	# A cycle that SIGTERM cut short records its polls without a "cycle
	# done" line.
	n=$(db "select count(*) from polls where area='$area' and error is null")
	if [ "$n" -ne "$cycles" ] && [ "$n" -ne $((cycles + 1)) ]; then
		echo "# $area: $n good polls in $cycles cycles"
		bad=$((bad + 1))
	fi
	"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print "$area" >"$T/doc.json"
	for m in $(jq -r '.measures | keys[]' "$T/doc.json"); do
		want=$(jq -r ".measures.$m" "$T/doc.json")
		got=$(rrd_last_value "$T/var/rrd/$area.rrd" "$m")
		if ! awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }'; then
			echo "# $area $m: rrd $got, document $want"
			bad=$((bad + 1))
		fi
	done
done
check_eq "no data lost: every cycle polled every endpoint, every value exact" "$bad" 0
check_eq "no failed polls" "$(db "select count(*) from polls where error is not null")" 0
# libmicrohttpd logs every refused connection and bad request; the daemon
# keeps 20 of its lines a minute and counts the rest.
n=$(grep -c 'msg=libmicrohttpd ' "$T/daemon.log")
m=$(sed -n 's/.*msg="libmicrohttpd messages suppressed" n=\([0-9]*\).*/\1/p' "$T/daemon.log" |
	awk '{ s += $1 } END { print s + 0 }')
check "log stayed bounded under attack ($n libmicrohttpd lines, $m more counted)" \
	test "$n" -le 20 -a "$m" -ge 1000
exit 0
