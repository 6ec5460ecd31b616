#!/bin/bash
# Configuration errors: exit status 2 and FILE:LINE: message, from both
# programs; an empty file is valid; nothing is half-started.
. "$(dirname "$0")/lib.sh"

# An empty config beside a copy of the shipped catalog is valid.
mkdir -p "$T/empty"
cp "$SRC"/config/regions.csv "$SRC"/config/municipalities.csv \
	"$SRC"/config/measures.json "$SRC"/config/endpoints.csv "$T/empty/"
: >"$T/empty/kuntamon.conf"
check "empty config is valid (kuntamond --check)" "$B/kuntamond" --check -c "$T/empty/kuntamon.conf"
check "empty config is valid (kuntamonctl check)" "$B/kuntamonctl" -c "$T/empty/kuntamon.conf" check
check "shipped config is valid" "$B/kuntamond" --check -c "$SRC/config/kuntamon.conf"

# bad_config NAME LINE CONTENT [WORD]: both programs exit 2 with
# FILE:LINE: (and the message names WORD, if given)
bad_config() {
	printf '%b' "$3" >"$T/empty/bad.conf"
	"$B/kuntamond" --check -c "$T/empty/bad.conf" 2>"$T/err1"; s1=$?
	"$B/kuntamonctl" -c "$T/empty/bad.conf" check 2>"$T/err2"; s2=$?
	if [ $s1 -eq 2 ] && [ $s2 -eq 2 ] &&
		grep -q "^$T/empty/bad.conf:$2: .*${4:-}" "$T/err1" &&
		grep -q "^$T/empty/bad.conf:$2: .*${4:-}" "$T/err2"; then
		ok "bad config: $1 ($(cat "$T/err1"))"
	else
		not_ok "bad config: $1 (status $s1/$s2: $(cat "$T/err1"))"
	fi
}
bad_config "unknown key" 3 '[server]\nlisten = 127.0.0.1:0\nlisen = 1\n'
bad_config "unknown section" 2 '; comment\n[sever]\n'
bad_config "interval zero" 4 '[server]\n\n[collect]\ninterval = 0\n'
bad_config "not a number" 2 '[collect]\ntimeout = ten\n'
bad_config "bad bool" 2 '[server]\npublic = maybe\n'
bad_config "bad listen" 2 '[server]\nlisten = 127.0.0.1:99999\n'
# v2: the RRD step is one day; a v1 file that still sets it is refused,
# naming the line (not the first of the section) and the key.
bad_config "v1's [storage] step" 3 '[storage]\ndir = var\nstep = 3600\n[collect]\ninterval = 60\n' step

# A catalog error names the catalog file and line.
sed 's/^091,/091x,/' "$T/empty/municipalities.csv" >"$T/empty/m2.csv"
printf '[catalog]\nmunicipalities = m2.csv\n' >"$T/empty/cat.conf"
"$B/kuntamond" --check -c "$T/empty/cat.conf" 2>"$T/err"; s=$?
line=$(grep -n '^091x,' "$T/empty/m2.csv" | cut -d: -f1)
if [ $s -eq 2 ] && grep -q "^$T/empty/m2.csv:$line: " "$T/err"; then
	ok "catalog error names file and line ($(cat "$T/err"))"
else
	not_ok "catalog error names file and line (status $s: $(cat "$T/err"))"
fi

# A daemon with a bad config starts nothing: no storage folder appears.
printf '[storage]\ndir = %s/var\n[collect]\ninterval = -1\n' "$T" >"$T/empty/half.conf"
"$B/kuntamond" -c "$T/empty/half.conf" 2>"$T/err"; s=$?
check_eq "bad config: daemon exits 2" "$s" 2
check "bad config: nothing half-started" test ! -e "$T/var"
# A v1 config with step: the daemon itself (not only --check) refuses it.
printf '[storage]\ndir = %s/var1\nstep = 3600\n' "$T" >"$T/empty/v1.conf"
"$B/kuntamond" -c "$T/empty/v1.conf" 2>"$T/err"; s=$?
check_eq "[storage] step: daemon exits 2" "$s" 2
check "[storage] step: FILE:LINE on stderr ($(head -n 1 "$T/err"))" grep -q "^$T/empty/v1.conf:3: .*step" "$T/err"
check "[storage] step: nothing half-started" test ! -e "$T/var1"
"$B/kuntamond" -c "$T/empty/nonexistent.conf" 2>"$T/err"; s=$?
check_eq "missing config file: exit 2" "$s" 2
exit 0
