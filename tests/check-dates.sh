#!/bin/sh
# tests/check-dates.sh BUILD [WHEN...]: the date-sensitive layers once per
# date on the test clock (lib/clock.h, tests/run.sh), one "WHEN: N passed,
# N failed, N skipped" line each and the grand total last. Logs go to
# BUILD/test-logs-dates/WHEN/.
#
# The dates are where calendar arithmetic breaks: a month's 1st and 2nd,
# the 15th and the 16th (the default on-time window of 15 days closes as
# the 16th begins), a 31-day month's last day ("-1 month" from the 31st is
# not last month), and 31 December 23:59:50, which crosses into a new year
# while each layer runs.
#
# The layers: every unit test (seconds), and the integration scripts that
# compute periods, on-time or "now" (DATE_TESTS). valgrind and the fuzz
# replays do not depend on the date. The dates run JOBS (default 3) at a
# time: the scripts mostly wait on the daemon's cycles, not the CPU.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 2027-03-01T00:00:00Z 2027-03-02T12:00:00Z \
	2027-03-15T12:00:00Z 2027-03-16T00:00:00Z 2027-03-31T12:00:00Z \
	2026-12-31T23:59:50Z
: "${DATE_TESTS:=^(35_periods|40_import|60_series|65_charts|70_api|72_data|74_formats|78_metrics|80_submissions|85_access|86_session|87_report|88_outliers)$}"
: "${JOBS:=3}"
D=$B/test-logs-dates
rm -rf "$D"
mkdir -p "$D"

# one WHEN: run.sh's output in $D/WHEN.out, its logs in $D/WHEN/
one() {
	KUNTAMON_TEST_NOW=$1 TESTS=$DATE_TESTS UNITS='^test_' LOGS=$D/$1 \
		sh tests/run.sh "$B" >"$D/$1.out" 2>&1
}
n=0
for when in "$@"; do
	one "$when" &
	n=$((n + 1))
	[ $((n % JOBS)) -ne 0 ] || wait
done
wait

total_p=0 total_f=0 total_s=0 summary=
for when in "$@"; do
	echo "=== $when"
	grep -vE '^(ok |# test clock)' "$D/$when.out" | grep -vE ' 0 failed, [0-9]+ skipped$' | tail -n 40
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$D/$when.out" | tail -n 1)
	[ -n "$last" ] || last="0 passed, 1 failed, 0 skipped (did not finish)"
	summary="$summary$when: $last
"
	set -- $last
	total_p=$((total_p + $1)) total_f=$((total_f + $3)) total_s=$((total_s + ${5:-0}))
done
printf '%s' "$summary"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
