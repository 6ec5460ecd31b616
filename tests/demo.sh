#!/bin/sh
# tests/demo.sh BUILD: what `make demo` runs. A fake municipal server for
# all 308 municipalities, two years of monthly history imported with
# kuntamonctl, and the daemon on config/demo.conf: the dashboard at
# http://127.0.0.1:8080/ with a full, live picture. Ctrl-C stops both.
#
# The picture is varied on purpose (tests/demo-roles.sh decides who):
# most municipalities answer on time; some report by submission instead
# (a few of them never did); some interfaces fail (HTTP 503, 500, 404, a
# body that is not JSON); some are late (they still serve a period two
# months old); a few were never seen; some send values that are rejected
# or break a rule. fakemuni makes the figures themselves regionally
# unequal, with some municipalities lacking a guidance point.
#
# Idempotent: each run starts from an empty build/demo/var, and stops a
# demo still running from an earlier run (by the PIDs it recorded).
set -eu
B=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$B" && pwd)
D=$SRC/build/demo # config/demo.conf points here
CONF=$SRC/config/demo.conf
FAKE_PID= DAEMON_PID=

say() { printf '%s\n' "$*"; }

stop() {
	for p in $DAEMON_PID $FAKE_PID; do kill -TERM "$p" 2>/dev/null || :; done
	for p in $DAEMON_PID $FAKE_PID; do wait "$p" 2>/dev/null || :; done
	rm -f "$D/pids"
}

# A demo left running by an earlier `make demo`: stop it by its PIDs, if
# they are still ours.
if [ -f "$D/pids" ]; then
	for p in $(cat "$D/pids"); do
		case $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
		*kuntamond*demo.conf* | *fakemuni*demo*) kill -TERM "$p" 2>/dev/null || : ;;
		esac
	done
	rm -f "$D/pids"
fi

rm -rf "$D/var"
mkdir -p "$D/var"
: >"$D/daemon.log"
: >"$D/fakemuni.log"

# Who misbehaves how: one line per municipality, "CODE ROLE".
sh "$SRC/tests/demo-roles.sh" "$SRC/config/municipalities.csv" >"$D/roles"

now=$(date -u +%Y-%m-01)
p1=$(date -u -d "$now -1 month" +%Y-%m)
p2=$(date -u -d "$now -2 month" +%Y-%m)
p3=$(date -u -d "$now -3 month" +%Y-%m)
p24=$(date -u -d "$now -24 month" +%Y-%m)

# History first: every figure lands under its own month, and each file is
# built once from them.
say "kuntamon demo: generating $p24..$p1 for 308 municipalities"
echo "area,url,profile" >"$D/endpoints.csv"
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$p24" "$p1" |
	awk -F, -v p2="$p2" -v p3="$p3" -v roles="$D/roles" '
		BEGIN { while ((getline l < roles) > 0) { split(l, f, " "); role[f[1]] = f[2] } }
		NR == 1 { print; next }
		{ r = role[$1] }
		r == "never" || r == "never_seen" { next }
		r == "late" && $2 > p3 { next }
		r ~ /^failing/ && $2 > p2 { next }
		{ print }' >"$D/history.csv"
say "kuntamon demo: importing $(($(wc -l <"$D/history.csv") - 1)) rows (a few seconds)"
"$B/kuntamonctl" -c "$CONF" import "$D/history.csv"

# The fake municipal server, on a free loopback port.
awk '
	$2 == "failing_503" || $2 == "never_seen" { print $1, "status=503" }
	$2 == "failing_500" { print $1, "status=500" }
	$2 == "failing_404" { print $1, "status=404" }
	$2 == "failing_garbage" { print $1, "body=garbage" }
	$2 == "late" { print $1, "lag=2" }
	$2 == "rejects_range" { print $1, "set.gp_hours=500" }
	$2 == "rejects_null" { print $1, "set.staff_fte=null" }
	$2 == "violation" { print $1, "body=violation" }' "$D/roles" >"$D/knobs"
rm -f "$D/fake.port"
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --listen 127.0.0.1:0 \
	--port-file "$D/fake.port" --knobs "$D/knobs" 2>>"$D/fakemuni.log" &
FAKE_PID=$!
trap 'stop; exit 0' INT TERM
trap 'stop' EXIT
i=0
until [ -s "$D/fake.port" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
		say "kuntamon demo: fakemuni did not start:"
		cat "$D/fakemuni.log"
		exit 1
	fi
	sleep 0.05
done
port=$(cat "$D/fake.port")

# Endpoints for all but those that report by submission.
{
	echo "area,url,profile"
	awk -v port="$port" '$2 != "never" && $2 != "submission" {
		printf "%s,http://127.0.0.1:%s/%s,\n", $1, port, $1 }' "$D/roles"
} >"$D/endpoints.csv.tmp"
mv "$D/endpoints.csv.tmp" "$D/endpoints.csv"

"$B/kuntamond" -c "$CONF" 2>>"$D/daemon.log" &
DAEMON_PID=$!
echo "$FAKE_PID $DAEMON_PID" >"$D/pids"
i=0
until grep -q 'msg=started' "$D/daemon.log"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		say "kuntamon demo: the daemon did not start:"
		tail -n 20 "$D/daemon.log"
		exit 1
	fi
	sleep 0.05
done

say ""
say "  kuntamon demo running: http://127.0.0.1:8080/"
say ""
say "  $(($(wc -l <"$D/endpoints.csv") - 1)) endpoints polled every minute from fakemuni on 127.0.0.1:$port;"
say "  logs: build/demo/daemon.log, build/demo/fakemuni.log. Ctrl-C stops both."
say ""
wait "$DAEMON_PID" || :
