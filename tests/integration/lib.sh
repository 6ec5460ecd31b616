# tests/integration/lib.sh: shared by the integration scripts. Sourced with
# B (build folder) and SRC (checkout) set by tests/run.sh.
#
# Every process started here is recorded and stopped by PID on exit. All
# traffic is to 127.0.0.1. Waits poll for a readiness signal (a port file,
# a log line) with a bound; none sleeps a fixed time to synchronise.

set -u
: "${B:=$(cd "$(dirname "$0")/../../build" && pwd)}"
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kuntamon-it.XXXXXX")
PIDS=""
N_FAILED=0
# 1 in a sanitizer build (ASan or TSan make everything 2-15x slower and
# bigger: bounds on wall time and memory are for the plain build)
SANITIZED=0
grep -qa -e __asan_init -e __tsan_init "$B/kuntamond" 2>/dev/null && SANITIZED=1

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ "$N_FAILED" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT

ok() { echo "ok $*"; }
not_ok() { echo "not ok $*"; N_FAILED=$((N_FAILED + 1)); }
# check NAME COMMAND...: ok if the command succeeds
check() { n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}
skip() { echo "skip $*"; }
# need TOOL...: the script is skipped unless every tool is installed
need() {
	for _tool in "$@"; do
		command -v "$_tool" >/dev/null ||
			{ skip "$(basename "$0" .sh): $_tool not installed"; exit 0; }
	done
}
# need_loopback_sources: the script is skipped unless requests can be
# sent from 127.0.0.2 (and the rest of 127/8)
need_loopback_sources() {
	curl -s --interface 127.0.0.2 -o /dev/null "http://127.0.0.1:1/" 2>/dev/null
	[ $? -ne 45 ] || { skip "$(basename "$0" .sh): cannot send from 127.0.0.2"; exit 0; }
}

# wait_for SECONDS COMMAND...: polls until the command succeeds
wait_for() {
	_limit=$(( $1 * 20 )); shift
	_i=0
	while ! "$@" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -ge "$_limit" ] && return 1
		sleep 0.05
	done
	return 0
}

# start_fakemuni [ARGS]: sets FAKE_PORT, FAKE_PID
start_fakemuni() {
	rm -f "$T/fake.port"
	"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --listen 127.0.0.1:0 \
		--port-file "$T/fake.port" "$@" 2>>"$T/fake.log" &
	FAKE_PID=$!
	PIDS="$PIDS $FAKE_PID"
	wait_for 20 test -s "$T/fake.port" || { echo "# fakemuni did not start"; cat "$T/fake.log"; return 1; }
	FAKE_PORT=$(cat "$T/fake.port")
}

# fake_knob AREA QUERY: sets knobs of AREA at run time ("" clears)
fake_knob() {
	curl -sf -X POST "http://127.0.0.1:$FAKE_PORT/control/$1${2:+?$2}" >/dev/null
}

# The test clock. With KUNTAMON_TEST_NOW set (tests/run.sh sets it to run
# the suite on a chosen date; lib/clock.h says the forms), `date` without
# -d or -r reads the test clock, the same one the binaries under test read,
# so that what a script computes from "now" (the expected period, this
# month, "a month ago") is what the daemon computes.
if [ -n "${KUNTAMON_TEST_NOW:-}" ]; then
	_when=${KUNTAMON_TEST_NOW%@*} _real=$(command date +%s)
	case $_when in *[!0-9]*) ;; *) _when=@$_when ;; esac
	case $KUNTAMON_TEST_NOW in *@*) _real=${KUNTAMON_TEST_NOW#*@} ;; esac
	TEST_CLOCK_OFFSET=$(($(command date -u -d "$_when" +%s) - _real)) ||
		{ echo "not ok KUNTAMON_TEST_NOW=$KUNTAMON_TEST_NOW"; exit 1; }
	date() {
		local _a
		for _a; do
			case $_a in -d* | --date* | -r* | --reference* | -f* | --file*)
				command date "$@"
				return ;;
			esac
		done
		command date -d "@$(($(command date +%s) + TEST_CLOCK_OFFSET))" "$@"
	}
fi

# expected_period [ONTIME_DAYS]: the period a municipality should have
# reported by now (SPEC §5), as YYYY-MM: last month once ONTIME_DAYS
# (default 15) have passed since it ended, else the month before. Tests
# that count who reported "the expected period" pin fakemuni's documents
# to it (knob period=), so they hold on every day of the month.
expected_period() {
	_y=$(date -u +%Y) _m=$(date -u +%m) _d=$(date -u +%d)
	_back=1
	[ "${_d#0}" -gt "${1:-15}" ] || _back=2
	_k=$((_y * 12 + ${_m#0} - 1 - _back))
	printf '%04d-%02d\n' $((_k / 12)) $((_k % 12 + 1))
}

# period_add YYYY-MM N: the period N months later (N may be negative)
period_add() {
	_k=$(( ${1%-*} * 12 + 10#${1#*-} - 1 + $2 ))
	printf '%04d-%02d\n' $((_k / 12)) $((_k % 12 + 1))
}
# period_num YYYY-MM: as the database stores it (year * 12 + month - 1)
period_num() { echo $(( ${1%-*} * 12 + 10#${1#*-} - 1 )); }
# period_text N: the database's period N as YYYY-MM
period_text() { printf '%04d-%02d\n' $(($1 / 12)) $(($1 % 12 + 1)); }
# first_second YYYY-MM: the period's first second
first_second() { date -u -d "$1-01" +%s; }

# write_endpoints FILE AREA[?KNOBS]...: endpoints.csv for fakemuni
write_endpoints() {
	_f=$1; shift
	echo "area,url,profile" >"$_f"
	for a in "$@"; do
		echo "${a%%\?*},http://127.0.0.1:$FAKE_PORT/$a," >>"$_f"
	done
}

# write_conf FILE [EXTRA INI LINES]: a config using the shipped catalog,
# endpoints $T/endpoints.csv, storage $T/var, port 0
write_conf() {
	_f=$1; shift
	cat >"$_f" <<EOC
[server]
listen = 127.0.0.1:0
[storage]
dir = $T/var
[collect]
interval = ${INTERVAL:-2}
timeout = ${TIMEOUT:-2}
[catalog]
regions = $SRC/config/regions.csv
municipalities = $SRC/config/municipalities.csv
measures = ${MEASURES:-$SRC/config/measures.json}
endpoints = $T/endpoints.csv
EOC
	for l in "$@"; do echo "$l" >>"$_f"; done
}

# start_daemon CONF: sets D_PID, D_PORT; log in $T/daemon.log
start_daemon() {
	: >"$T/daemon.log"
	${DAEMON_WRAPPER:-} "$B/kuntamond" -c "$1" 2>>"$T/daemon.log" &
	D_PID=$!
	PIDS="$PIDS $D_PID"
	wait_for 30 grep -q 'msg=started' "$T/daemon.log" || { echo "# daemon did not start"; cat "$T/daemon.log"; return 1; }
	D_PORT=$(grep 'msg=started' "$T/daemon.log" | tail -n 1 | sed 's/.*port=\([0-9]*\).*/\1/')
}

n_cycles() { grep -c 'msg="cycle done"' "$T/daemon.log"; }
# wait_cycles N [SECONDS]: until the daemon has logged N finished cycles
wait_cycles() {
	_want=$1
	wait_for "${2:-60}" sh -c "[ \$(grep -c 'msg=\"cycle done\"' '$T/daemon.log') -ge $_want ]"
}

# stop_daemon: SIGTERM, wait, sets D_STATUS
stop_daemon() {
	kill -TERM "$D_PID" 2>/dev/null
	wait "$D_PID"
	D_STATUS=$?
}

# rrdtool ...: the real one, retried while the daemon holds the file's
# lock for a write ("could not lock RRD"), which a slow (sanitizer) build
# makes likely. Any other failure is returned at once.
rrdtool() {
	local _i=0 _out
	while :; do
		if _out=$(command rrdtool "$@" 2>&1); then
			printf '%s\n' "$_out"
			return 0
		fi
		case $_out in *"could not lock"*) ;; *)
			printf '%s\n' "$_out" >&2
			return 1 ;;
		esac
		_i=$((_i + 1))
		[ "$_i" -ge 200 ] && { printf '%s\n' "$_out" >&2; return 1; }
		sleep 0.02
	done
}

# rrd_last_value FILE DS: the DS's last written value (rrdtool lastupdate)
rrd_last_value() {
	rrdtool lastupdate "$1" | awk -v ds="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) col = i }
		NR == 3 { print $(col + 1) }'
}

# jq_true FILTER FILE: whether the filter yields true for the JSON file
jq_true() { jq -e "$1" "$2" >/dev/null; }

db() { sqlite3 -batch -noheader "$T/var/kuntamon.db" "$@"; }
