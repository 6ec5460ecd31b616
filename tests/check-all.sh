#!/bin/sh
# tests/check-all.sh: `make check` three times, plain, under
# AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer,
# each build in its own folder; ends with the grand total as
# "N passed, N failed, N skipped". This is what CI runs.
set -u
cd "$(dirname "$0")/.."
total_p=0 total_f=0 total_s=0 status=0
for san in "" address,undefined thread; do
	echo "=== make check${san:+ SANITIZE=$san}"
	make ${san:+SANITIZE=$san} check >/tmp/kuntamon-check.$$ 2>&1 || status=1
	grep -vE '^(cc|ar|clang) ' /tmp/kuntamon-check.$$ | tail -n 60
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/kuntamon-check.$$ | tail -n 1)
	[ -n "$last" ] || { echo "not ok make check${san:+ SANITIZE=$san} (did not finish)"; status=1; last="0 passed, 1 failed, 0 skipped"; }
	set -- $last
	total_p=$((total_p + $1)) total_f=$((total_f + $3)) total_s=$((total_s + ${5:-0}))
done
rm -f /tmp/kuntamon-check.$$
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$status" -eq 0 ] && [ "$total_f" -eq 0 ]
