#!/bin/sh
# tests/run.sh BUILD: runs every test layer that needs nothing beyond
# loopback, counts "ok" / "not ok" / "skip" lines, and ends with
# "N passed, N failed". Output of each layer goes to BUILD/test-logs/
# (or LOGS).
#
# TESTS=REGEX runs only the integration scripts (and browser) it matches;
# UNITS=REGEX only the unit tests, valgrind runs and fuzz replays whose
# names it matches: test_NAME, valgrind_test_NAME, fuzz_NAME.
# KUNTAMON_TEST_NOW=WHEN runs the suite on that date with the test clock
# (lib/clock.h): each unit test binary and each integration script starts
# at WHEN and advances with the real clock, so that one started at
# 2026-12-31T23:59:50Z crosses into the new year as it runs.
set -u
B=${1:-build}
B=$(cd "$B" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
LOGS=${LOGS:-$B/test-logs}
rm -rf "$LOGS"
mkdir -p "$LOGS"
export B SRC
# ThreadSanitizer builds (SANITIZE=thread...): reports TSan cannot judge.
case ${B##*/} in san-*thread*)
	TSAN_OPTIONS="suppressions=$SRC/tests/tsan.supp ${TSAN_OPTIONS:-}"
	export TSAN_OPTIONS ;;
esac
# AddressSanitizer builds: leaks inside librrd, fontconfig and GnuTLS that
# our code cannot free (tests/lsan.supp says which and why).
case ${B##*/} in san-*address*)
	LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp ${LSAN_OPTIONS:-}"
	export LSAN_OPTIONS ;;
esac

# The test clock: WHEN as Unix seconds, so that C and `date` read it alike;
# clock_start, before each layer, sets it going from WHEN again.
when=
case ${KUNTAMON_TEST_NOW:-} in "" | *@*) ;; *)
	case $KUNTAMON_TEST_NOW in *[!0-9]*) when=$KUNTAMON_TEST_NOW ;; *) when=@$KUNTAMON_TEST_NOW ;; esac
	when=$(date -u -d "$when" +%s) || { echo "not ok KUNTAMON_TEST_NOW=$KUNTAMON_TEST_NOW"; exit 1; }
	echo "# test clock: each layer starts at $(date -u -d "@$when" +%Y-%m-%dT%H:%M:%SZ)" ;;
esac
clock_start() {
	[ -z "$when" ] || export KUNTAMON_TEST_NOW="$when@$(date +%s)"
}
# selected PATTERN NAME: whether NAME is one of those PATTERN asks for
selected() { [ -z "$1" ] || echo "$2" | grep -qE "$1"; }

pass=0 fail=0 skip=0
tally() { # tally NAME STATUS LOGFILE
	p=$(grep -c '^ok ' "$3")
	f=$(grep -c '^not ok ' "$3")
	s=$(grep -c '^skip ' "$3")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok $1 (exit status $2)" >>"$3"
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	grep -E '^(not ok|skip) ' "$3"
	[ "$f" -gt 0 ] && { echo "--- $1 (log: $3)"; tail -n 30 "$3"; }
	printf '%-40s %d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	selected "${UNITS:-}" "$n" || continue
	clock_start
	(cd "$LOGS" && "$t") >"$LOGS/$n.log" 2>&1
	tally "unit/$n" $? "$LOGS/$n.log"
done

# The pure modules' unit tests once more under valgrind (plain build only:
# sanitizers and valgrind do not mix). Storage, server and chart tests are
# left to the sanitizer builds: librrd and the font libraries bring
# reports of their own there.
case ${B##*/} in san-*) ;; *)
	if command -v valgrind >/dev/null; then
		for n in test_catalog test_config test_csv test_figure test_matrix test_series \
		    test_document test_jsonptr test_query test_reporting \
		    test_timespec test_cache test_token test_session test_ratelimit test_auth; do
			[ -x "$B/tests/$n" ] || continue
			selected "${UNITS:-}" "valgrind_$n" || continue
			clock_start
			(cd "$LOGS" && valgrind -q --error-exitcode=9 --leak-check=full \
				--errors-for-leak-kinds=definite "$B/tests/$n") \
				>"$LOGS/valgrind_$n.log" 2>&1
			st=$?
			# one line for the whole binary: its tests are counted above
			grep -v '^ok ' "$LOGS/valgrind_$n.log" >"$LOGS/valgrind_$n.tmp"
			if [ "$st" -eq 0 ]; then echo "ok valgrind $n"; else echo "not ok valgrind $n"; fi >>"$LOGS/valgrind_$n.tmp"
			mv "$LOGS/valgrind_$n.tmp" "$LOGS/valgrind_$n.log"
			tally "valgrind/$n" 0 "$LOGS/valgrind_$n.log"
		done
	else
		echo "skip valgrind (not installed)" >"$LOGS/valgrind.log"
		tally "valgrind" 0 "$LOGS/valgrind.log"
	fi ;;
esac

for r in "$B"/fuzz/replay_fuzz_*; do
	[ -x "$r" ] || continue
	n=${r##*/replay_fuzz_}
	selected "${UNITS:-}" "fuzz_$n" || continue
	corpus=$SRC/tests/fuzz/corpus/$n
	if [ -d "$corpus" ] && [ -n "$(ls "$corpus")" ]; then
		"$r" "$corpus"/* >"$LOGS/fuzz_$n.log" 2>&1
		tally "fuzz/$n" $? "$LOGS/fuzz_$n.log"
	else
		echo "skip fuzz/$n (no corpus)" >"$LOGS/fuzz_$n.log"
		tally "fuzz/$n" 0 "$LOGS/fuzz_$n.log"
	fi
done

for s in "$SRC"/tests/integration/[0-9]*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	selected "${TESTS:-}" "$n" || continue
	clock_start
	timeout 600 bash "$s" >"$LOGS/$n.log" 2>&1
	tally "integration/$n" $? "$LOGS/$n.log"
done

# The dashboard in headless Chromium (skips, with the reason, where
# chromium or the npm packages are missing; under CI it must run).
# Sanitizer builds leave it to the plain build: the pages are the same
# bytes, and the daemon's sanitized paths are what the layers above cover.
for s in "$SRC"/tests/browser/run.sh; do
	[ -f "$s" ] || continue
	selected "${TESTS:-}" browser || continue
	case ${B##*/} in san-*)
		echo "skip browser (sanitizer build: the browser layer runs in the plain build)" >"$LOGS/browser.log"
		tally "browser" 0 "$LOGS/browser.log"
		continue ;;
	esac
	clock_start
	timeout 900 bash "$s" >"$LOGS/browser.log" 2>&1
	tally "browser" $? "$LOGS/browser.log"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
