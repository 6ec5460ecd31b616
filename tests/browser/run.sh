#!/bin/bash
# tests/browser/run.sh [BUILD]: the dashboard in headless Chromium.
#
# Starts fakemuni and the daemon on loopback ports (tests/integration/
# lib.sh) with demo-like data: every municipality, the demo's roles
# (tests/demo-roles.sh: on time, late, failing, never seen, by
# submission, rejected values, rule violations) and HISTORY_MONTHS
# (default 13) months of imported history; waits for one collection
# cycle; then runs check.mjs (playwright-core driving /usr/bin/chromium,
# axe-core for WCAG 2.1 AA), which prints "ok NAME" / "not ok NAME" lines
# and saves screenshots under BUILD/browser/; then report.mjs: signing in
# (also on a second daemon with public = no), the report form, its
# receipt, CSV upload, the municipality's record, outlier flags.
# The README's picture of the form is made with
#   SCREENSHOT_FORM=docs/screenshot-report.png bash tests/browser/run.sh
#
# Without chromium, node or the npm packages the layer prints "skip ...
# (reason)"; under CI (CI set) that is "not ok" instead: there it must run.
# SCREENSHOT=FILE also copies the top of the 1280 px national overview to
# FILE: docs/screenshot-overview.png is made with
#   HISTORY_MONTHS=24 SCREENSHOT=docs/screenshot-overview.png \
#       bash tests/browser/run.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
: "${SRC:=$(cd "$HERE/../.." && pwd)}"
if [ $# -gt 0 ]; then B=$(cd "$1" && pwd); fi
: "${B:=$SRC/build}"
export B SRC
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

cannot_run() {
	if [ -n "${CI:-}" ]; then
		echo "not ok browser ($1; CI must run this layer)"
		exit 1
	fi
	echo "skip browser ($1)"
	exit 0
}
[ -x "$CHROMIUM" ] || cannot_run "no chromium at $CHROMIUM: apt-get install chromium"
command -v node >/dev/null || cannot_run "no node: apt-get install nodejs"
[ -f "$HERE/node_modules/playwright-core/package.json" ] &&
	[ -f "$HERE/node_modules/axe-core/axe.min.js" ] ||
	cannot_run "npm packages missing: (cd tests/browser && npm ci)"
for p in kuntamond kuntamonctl fakemuni; do
	[ -x "$B/$p" ] || cannot_run "$B/$p not built: make"
done

. "$SRC/tests/integration/lib.sh"

OUT=$B/browser
rm -rf "$OUT"
mkdir -p "$OUT"

months=${HISTORY_MONTHS:-13}
now=$(date -u +%Y-%m-01)
p1=$(date -u -d "$now -1 month" +%Y-%m)
p2=$(date -u -d "$now -2 month" +%Y-%m)
p3=$(date -u -d "$now -3 month" +%Y-%m)
pn=$(date -u -d "$now -$months month" +%Y-%m)
sh "$SRC/tests/demo-roles.sh" "$SRC/config/municipalities.csv" >"$T/roles"

# History first, with no endpoints yet (as tests/demo.sh does).
echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=${INTERVAL:-30} write_conf "$T/k.conf"
"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --history "$pn" "$p1" |
	awk -F, -v p2="$p2" -v p3="$p3" -v roles="$T/roles" '
		BEGIN { while ((getline l < roles) > 0) { split(l, f, " "); role[f[1]] = f[2] } }
		NR == 1 { print; next }
		{ r = role[$1] }
		r == "never" || r == "never_seen" { next }
		r == "late" && $2 > p3 { next }
		r ~ /^failing/ && $2 > p2 { next }
		{ print }' >"$T/history.csv"
started=$(date +%s)
"$B/kuntamonctl" -c "$T/k.conf" import "$T/history.csv" >"$T/import.log" 2>&1 ||
	{ not_ok "browser: history imported"; cat "$T/import.log"; exit 1; }
echo "# imported $months months of history in $(($(date +%s) - started)) s"

awk '
	$2 == "failing_503" || $2 == "never_seen" { print $1, "status=503" }
	$2 == "failing_500" { print $1, "status=500" }
	$2 == "failing_404" { print $1, "status=404" }
	$2 == "failing_garbage" { print $1, "body=garbage" }
	$2 == "late" { print $1, "lag=2" }
	$2 == "rejects_range" { print $1, "set.gp_hours=500" }
	$2 == "rejects_null" { print $1, "set.staff_fte=null" }
	$2 == "violation" { print $1, "body=violation" }' "$T/roles" >"$T/knobs"
start_fakemuni --knobs "$T/knobs" || { not_ok "browser: fakemuni started"; exit 1; }
{
	echo "area,url,profile"
	awk -v port="$FAKE_PORT" '$2 != "never" && $2 != "submission" {
		printf "%s,http://127.0.0.1:%s/%s,\n", $1, port, $1 }' "$T/roles"
} >"$T/endpoints.csv"
# Signing in and reporting (report.mjs): a municipality that reports by
# submission and has history, its token and a ministry token.
MUNI=$(awk '$2 == "submission" { print $1; exit }' "$T/roles")
MUNI_TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create "$MUNI" 2>/dev/null)
MINISTRY_TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create --ministry 2>/dev/null)
start_daemon "$T/k.conf" || { not_ok "browser: daemon started"; exit 1; }
wait_cycles 1 60 || { not_ok "browser: first collection cycle"; exit 1; }
PUBLIC_PORT=$D_PORT

# A second daemon with public = no (its own storage, no figures needed):
# every page is the sign-in form until one signs in.
sed "s|^dir = .*|dir = $T/var2|" "$T/k.conf" >"$T/private.conf"
printf '[server]\npublic = no\n' >>"$T/private.conf"
PRIVATE_TOKEN=$("$B/kuntamonctl" -c "$T/private.conf" token create --ministry 2>/dev/null)
start_daemon "$T/private.conf" || { not_ok "browser: daemon with public = no started"; exit 1; }
PRIVATE_PORT=$D_PORT
D_PORT=$PUBLIC_PORT

export BASE="http://127.0.0.1:$D_PORT" OUT CHROMIUM ROLES="$T/roles"
export FAKEMUNI="$B/fakemuni" FAKEMUNI_CONF="$SRC/config/kuntamon.conf"
export PERIOD="$p1"
timeout 600 node "$HERE/check.mjs"
status=$?
[ $status -eq 0 ] || N_FAILED=$((N_FAILED + 1))
BASE_PRIVATE="http://127.0.0.1:$PRIVATE_PORT" MUNI=$MUNI MUNI_TOKEN=$MUNI_TOKEN \
	MINISTRY_TOKEN=$MINISTRY_TOKEN PRIVATE_TOKEN=$PRIVATE_TOKEN \
	timeout 600 node "$HERE/report.mjs" || { status=1; N_FAILED=$((N_FAILED + 1)); }
if [ -n "${SCREENSHOT_FORM:-}" ] && [ -f "$OUT/report-form-1280-top.png" ]; then
	cp "$OUT/report-form-1280-top.png" "$SCREENSHOT_FORM"
	echo "# saved $SCREENSHOT_FORM"
fi
if [ -n "${SCREENSHOT:-}" ] && [ -f "$OUT/overview-1280-top.png" ]; then
	cp "$OUT/overview-1280-top.png" "$SCREENSHOT"
	echo "# saved $SCREENSHOT"
fi
exit $status
