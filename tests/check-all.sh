#!/bin/sh
# tests/check-all.sh: `make check` three times, plain, under
# AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer,
# each build in its own folder; then `make check-dates`, the date-sensitive
# layers on the test clock (tests/check-dates.sh): the plain build on all
# of its dates, and each sanitizer build on one date with the scripts that
# drive the daemon's own date arithmetic (periods, expected period,
# on-time, submissions, session expiry): ASan+UBSan across the new year,
# TSan as the 16th begins and the on-time window closes. Ends with the
# grand total as "N passed, N failed, N skipped". This is what CI runs.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0 status=0
SAN_TESTS='^(35_periods|70_api|78_metrics|80_submissions|86_session)$'
# run NAME MAKE-ARGS...: one make, its last lines and its total
run() {
	_name=$1
	shift
	echo "=== make $_name"
	make "$@" >/tmp/kuntamon-check.$$ 2>&1 || status=1
	grep -vE '^(cc|ar|clang) ' /tmp/kuntamon-check.$$ | tail -n 60
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/kuntamon-check.$$ | tail -n 1)
	[ -n "$last" ] || { echo "not ok make $_name (did not finish)"; status=1; last="0 passed, 1 failed, 0 skipped"; }
	set -- $last
	total_p=$((total_p + $1)) total_f=$((total_f + $3)) total_s=$((total_s + ${5:-0}))
}
for san in "" address,undefined thread; do
	run "check${san:+ SANITIZE=$san}" ${san:+SANITIZE=$san} check
done
run check-dates check-dates
run "check-dates SANITIZE=address,undefined" SANITIZE=address,undefined \
	check-dates DATES=2026-12-31T23:59:50Z DATE_TESTS="$SAN_TESTS"
run "check-dates SANITIZE=thread" SANITIZE=thread \
	check-dates DATES=2027-03-16T00:00:00Z DATE_TESTS="$SAN_TESTS"
rm -f /tmp/kuntamon-check.$$
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$status" -eq 0 ] && [ "$total_f" -eq 0 ]
