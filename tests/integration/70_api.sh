#!/bin/bash
# The HTTP interface end to end: every route of dashboard/routes.c answers
# with the right status, content type and shape; every error status the
# server gives today (400 naming the parameter, 404, 405 with Allow, 413)
# comes as JSON; path tricks are refused and touch no file (strace); and
# /api/v1/latest and /api/v1/health tell ok, late, failing and never apart
# and withhold a small count from the public.
. "$(dirname "$0")/lib.sh"

for tool in curl jq; do
	command -v "$tool" >/dev/null || { skip "70_api: $tool not installed"; exit 0; }
done

# ok: KU091, KU049, KU020; failing: KU092 (503); late: KU005 (lag 3);
# suppressed: KU478 (contacts 3); never: KU009 (no endpoint, no data).
# Uusimaa's two reporting municipalities report the expected period on
# any day of the month (fakemuni's default is the previous month, which
# is not the expected one in a month's first half).
EXP=$(expected_period)
start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091?period=$EXP KU049?period=$EXP KU020 KU092?status=503 \
	KU005?lag=3 "KU478?set.contacts=3&set.contacts_remote=1"
MAX_BODY=2048
INTERVAL=2 TIMEOUT=2 write_conf "$T/k.conf" "[collect]" "max_body = $MAX_BODY"

# Under strace, every file-name system call of the daemon is logged.
if command -v strace >/dev/null && strace -f -e trace=%file -o /dev/null true 2>/dev/null; then
	HAVE_STRACE=1
	DAEMON_WRAPPER="strace -f -qq -e trace=%file -o $T/strace.log"
	# LeakSanitizer cannot run under ptrace (it dies at exit); leaks are
	# checked by the layers that run the daemon without strace.
	ASAN_OPTIONS="detect_leaks=0 ${ASAN_OPTIONS:-}"
	export ASAN_OPTIONS
else
	HAVE_STRACE=
	DAEMON_WRAPPER=
fi
# Tokens, made before the daemon opens the database: a municipal one to
# reach the body limit of submissions, a ministry one to read unsuppressed.
mkdir -p "$T/var"
MUNI_TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create KU049 2>>"$T/ctl.log")
MINISTRY_TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create --ministry 2>>"$T/ctl.log")
check "tokens created" test -n "$MUNI_TOKEN" -a -n "$MINISTRY_TOKEN"

start_daemon "$T/k.conf" || exit 1
REAL_PID=$D_PID
if [ -n "$HAVE_STRACE" ]; then
	# the daemon is strace's child: stopped by its own PID too
	wait_for 10 test -n "$(ps -o pid= --ppid "$D_PID")"
	REAL_PID=$(ps -o pid= --ppid "$D_PID" | head -n 1 | tr -d ' ')
	PIDS="$PIDS $REAL_PID"
fi
wait_cycles 1 60 || { not_ok "first cycle finished"; exit 1; }

URL="http://127.0.0.1:$D_PORT"
# get METHOD PATH [CURL ARGS]: the answer's body in $T/body, headers in
# $T/head; sets CODE and CTYPE.
get() {
	_m=$1 _p=$2
	shift 2
	_out=$(curl -s --path-as-is --max-time 10 -X "$_m" -o "$T/body" \
		-D "$T/head" -w '%{http_code} %{content_type}' "$@" "$URL$_p")
	CODE=${_out%% *}
	CTYPE=${_out#* }
}
is_json() { case $CTYPE in application/json*) jq -e . "$T/body" >/dev/null ;; *) false ;; esac; }
# jqe FILTER [FILE]: whether the filter holds for the body
jqe() { jq -e "$1" "${2:-$T/body}" >/dev/null; }
# want NAME CODE CTYPE_PREFIX: checks the last answer's status and type
want() {
	check_eq "$1: status" "$CODE" "$2"
	case $CTYPE in
	"$3"*) ok "$1: content type $CTYPE" ;;
	*) not_ok "$1: content type '$CTYPE', want $3" ;;
	esac
}
# want_error NAME CODE TEXT: a JSON error naming TEXT
want_error() {
	check_eq "$1: status" "$CODE" "$2"
	check "$1: JSON error" is_json
	check "$1: error names '$3'" error_names "$3"
}
error_names() { jq -e --arg t "$1" '.error | contains($t)' "$T/body" >/dev/null; }
# want_refused NAME: a path trick answered 400 or 404, as JSON
want_refused() {
	case $CODE in
	400 | 404) ok "$1: refused ($CODE)" ;;
	*) not_ok "$1: status $CODE, want 400 or 404" ;;
	esac
	check "$1: JSON error" jqe '.error | type == "string"'
}
header() { tr -d '\r' <"$T/head" | awk -v h="$1" 'tolower($1) == tolower(h) ":" { $1 = ""; sub(/^ /, ""); print }'; }
jqb() { jq -r "$@" "$T/body"; }

# --- every route --------------------------------------------------------

get GET /healthz
want "/healthz" 200 text/plain
check_eq "/healthz: body" "$(cat "$T/body")" ok

get GET /metrics
want "/metrics" 200 "text/plain; version=0.0.4"
check "/metrics: counts cycles" grep -q '^kuntamon_cycles_total [1-9]' "$T/body"
if command -v promtool >/dev/null; then
	check "/metrics: promtool check metrics" sh -c "promtool check metrics <'$T/body' >'$T/promtool.log' 2>&1"
else
	skip "/metrics: promtool check metrics (promtool not installed)"
fi

get GET /api/v1/catalog
want "/api/v1/catalog" 200 application/json
n_mun=$(jqb '[.areas[] | select(.level == "municipality")] | length')
n_reg=$(jqb '[.areas[] | select(.level == "region")] | length')
n_aland=$(jqb '[.areas[] | select(.region == "MK21")] | length')
check_eq "/api/v1/catalog: 308 municipalities" "$n_mun" 308
check_eq "/api/v1/catalog: 19 regions" "$n_reg" 19
check "/api/v1/catalog: measures and indicators named" \
	jqe '(.measures | length) == 16 and (.indicators | length) == 9 and
		all(.indicators[]; .name.fi and .name.sv and .name.en)'
curl -s --max-time 10 -I -o /dev/null -D "$T/head" "$URL/api/v1/catalog"
check "HEAD /api/v1/catalog: 200" grep -q '^HTTP/1.1 200' "$T/head"

get GET "/api/v1/latest?indicator=contacts&level=municipality"
want "latest municipalities" 200 application/json
check_eq "latest municipalities: one row each" "$(jqb length)" 308
check "latest municipalities: sorted by area, every field" jqe '
	[.[].area] == ([.[].area] | sort) and
	all(.[]; has("area") and (.name | type == "string") and has("value") and
		has("period") and (.status | IN("ok", "late", "failing", "never")))'
row() { jq -c --arg a "$1" '.[] | select(.area == $a)' "$T/body"; }
field() { row "$1" | jq -r ".$2"; }
check_eq "KU091: ok" "$(field KU091 status)" ok
want_contacts=$("$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 "$EXP" | jq .measures.contacts)
check_eq "KU091: value from the latest document" "$(field KU091 value)" "$want_contacts"
check_eq "KU091: period" "$(field KU091 period)" "$EXP"
check_eq "KU092 (503): failing" "$(field KU092 status)" failing
check_eq "KU005 (lag 3): late" "$(field KU005 status)" late
check_eq "KU009 (no endpoint, no data): never" "$(field KU009 status)" never
check_eq "KU009: no value" "$(field KU009 value)" null
check_eq "KU478 (contacts 3): ok" "$(field KU478 status)" ok
check_eq "KU478: value withheld" "$(field KU478 value)" null
check_eq "KU478: suppressed" "$(field KU478 suppressed)" true
get GET "/api/v1/latest?indicator=contacts&level=municipality" \
	-H "Authorization: Bearer $MINISTRY_TOKEN"
check_eq "KU478: shown to the ministry" "$(field KU478 value)" 3
check_eq "KU478: not suppressed for the ministry" "$(field KU478 suppressed)" false

get GET "/api/v1/latest?indicator=remote_share&level=municipality&region=MK21"
want "latest region filter" 200 application/json
check_eq "latest region filter: Åland's municipalities" "$(jqb length)" "$n_aland"
check "latest region filter: only MK21" jqe 'all(.[]; .region == "MK21")'
check_eq "latest: indicator on a small count suppressed" "$(field KU478 suppressed)" true

get GET "/api/v1/latest?indicator=gp_coverage&level=region&lang=sv"
want "latest regions" 200 application/json
check_eq "latest regions: 19" "$(jqb length)" 19
check "latest regions: reporting of expected" \
	jqe 'all(.[]; (.reporting | type == "number") and .expected >= .reporting)'
check_eq "latest regions: Uusimaa failing (KU092)" "$(field MK01 status)" failing
check_eq "latest regions: names in Swedish" "$(field MK01 name)" Nyland
check_eq "latest regions: Uusimaa has 2 reporting" "$(field MK01 reporting)" 2

get GET "/api/v1/latest?indicator=reporting_rate&level=country"
want "latest country" 200 application/json
check "latest country: one row, SSS" jqe 'length == 1 and .[0].area == "SSS" and .[0].expected == 308'

get GET /api/v1/health
want "/api/v1/health" 200 application/json
check "/api/v1/health: shape" jqe '
	(.generated | type == "number") and (.cycle.cycles >= 1) and
	(.cycle.running | type == "boolean") and (.violations | type == "array") and
	(.endpoints | length == 6) and
	(.counts.ok + .counts.late + .counts.failing + .counts.never == 308)'
hep() { jq -r --arg a "$1" ".endpoints[] | select(.area == \$a) | .$2" "$T/body"; }
check_eq "/api/v1/health: KU092 failing" "$(hep KU092 status)" failing
check_eq "/api/v1/health: KU092 last error" "$(hep KU092 last_error)" "HTTP 503"
check "/api/v1/health: KU092 consecutive failures" test "$(hep KU092 consecutive_failures)" -ge 1
check_eq "/api/v1/health: KU005 late" "$(hep KU005 status)" late
check_eq "/api/v1/health: KU091 ok" "$(hep KU091 status)" ok
check "/api/v1/health: KU091 last success" test "$(hep KU091 last_success)" -gt 0
check_eq "/api/v1/health: url shows the origin only" "$(hep KU478 url)" "http://127.0.0.1:$FAKE_PORT"
check "/api/v1/health: no endpoint path or query" sh -c "! grep -q 'set.contacts' '$T/body'"
check "/api/v1/health: never counted" test "$(jqb .counts.never)" -ge 300

get GET "/api/v1/series?area=KU091&indicator=contacts&start=-1d"
want "/api/v1/series" 200 application/json
check "/api/v1/series: shape" jqe '.area == "KU091" and .indicator == "contacts" and
	(.points | type == "array") and all(.points[]; length == 2)'
get GET "/api/v1/series.csv?area=MK01&indicator=gp_coverage&start=-1d"
want "/api/v1/series.csv" 200 text/csv
hdr=$(head -n 1 "$T/body" | tr -d '\r')
check "/api/v1/series.csv: header time,value ($hdr)" test "$hdr" = "time,value"

get GET "/chart/KU091/contacts.svg?start=-1d"
want "/chart/...svg" 200 image/svg+xml
check "/chart/...svg: an SVG" grep -q '<svg' "$T/body"
get GET "/chart/MK01/gp_coverage.png?start=-1d&width=400&height=200"
want "/chart/...png" 200 image/png
check "/chart/...png: a PNG" sh -c "head -c 8 '$T/body' | od -An -tx1 | grep -q '89 50 4e 47'"

for p in / /region/MK01 /municipality/KU091 /health; do
	get GET "$p"
	want "$p" 200 text/html
done
get GET /
assets=$(grep -o '/assets/[A-Za-z0-9_-]*\.\(js\|css\|json\|svg\)' "$T/body" | sort -u)
if [ -n "$assets" ]; then
	for a in $assets; do
		get GET "$a"
		case $a in
		*.js) t=text/javascript ;; *.css) t=text/css ;;
		*.json) t=application/json ;; *.svg) t=image/svg+xml ;;
		esac
		want "$a" 200 "$t"
	done
else
	not_ok "/ links no /assets/"
fi

# --- errors -------------------------------------------------------------

get GET "/api/v1/latest?level=region"
want_error "latest without indicator" 400 "parameter indicator"
get GET "/api/v1/latest?indicator=contacts&level=county"
want_error "latest bad level" 400 "parameter level: must be one of region, municipality"
get GET "/api/v1/latest?indicator=contacts&level=region&region=MK01"
want_error "latest region= with level=region" 400 "parameter region"
get GET "/api/v1/latest?indicator=contacts&lang=de"
want_error "latest bad lang" 400 "parameter lang"
get GET "/api/v1/health?lang=xx"
want_error "health bad lang" 400 "parameter lang"
get GET "/api/v1/latest?indicator=contacts&indicator=gp_open"
want_error "duplicate parameter" 400 "indicator"
get GET "/api/v1/latest?indicator=%zz"
want_error "bad escape" 400 "indicator"
get GET "/api/v1/series?area=KU091&indicator=contacts&start=yesterday"
want_error "series bad start" 400 "start"
get GET "/chart/KU091/contacts.svg?width=5"
want_error "chart bad width" 400 "width"

get GET /nope
want_error "unknown route" 404 "not found"
get GET "/api/v1/latest?indicator=nope"
want_error "latest unknown indicator" 404 "nope"
get GET "/api/v1/latest?indicator=contacts&level=municipality&region=MK99"
want_error "latest unknown region" 404 "MK99"
get GET "/api/v1/series?area=KU999&indicator=contacts"
want_error "series unknown area" 404 "KU999"
get GET "/chart/KU999/contacts.svg"
want_error "chart unknown area" 404 "KU999"
get GET "/chart/KU091/nope.png"
want_error "chart unknown indicator" 404 "nope"

get POST /api/v1/catalog
want_error "POST /api/v1/catalog" 405 "method"
check_eq "405: Allow header" "$(header Allow)" "GET, HEAD"
get DELETE /api/v1/latest
check_eq "DELETE /api/v1/latest: 405" "$CODE" 405

head -c $((MAX_BODY * 2)) /dev/zero | tr '\0' x >"$T/big"
get POST /api/v1/submissions -H "Authorization: Bearer $MUNI_TOKEN" \
	-H "Content-Type: application/json" --data-binary "@$T/big"
want_error "submission over max_body" 413 "too large"

# --- path tricks: refused, and no file touched --------------------------

long=$(head -c 5000 /dev/zero | tr '\0' a)
longq=$(head -c 10000 /dev/zero | tr '\0' b)
tricks="/chart/../../etc/passwd.svg
/%2e%2e/%2e%2e/etc/passwd
/chart/%2e%2e/%2e%2e/etc/passwd.svg
/chart/..%2f..%2fetc%2fpasswd.svg
/chart/..%5c..%5cetc%5cpasswd.svg
/assets/..%2f..%2f..%2fetc%2fpasswd.js
/assets/%2e%2e%2fpasswd.css
/etc/passwd%00.svg
/api/v1/catalog%00
//etc/passwd
/./etc/passwd
/$long
/api/v1/latest?indicator=$longq
/api/v1/latest?indicator=../../etc/passwd&level=municipality
/api/v1/series?area=../../etc/passwd&indicator=contacts
/api/v1/series?area=KU091%00../../etc/passwd&indicator=contacts"
while IFS= read -r p; do
	get GET "$p"
	want_refused "trick ${p:0:60}"
done <<EOF
$tricks
EOF
curl -s --max-time 10 -o /dev/null "$URL/healthz" # still serving

if [ -n "$HAVE_STRACE" ]; then
	check "no file-name system call named passwd" sh -c "! grep -q passwd '$T/strace.log'"
	check "strace saw the daemon's files (the check can fail)" grep -q 'kuntamon.db' "$T/strace.log"
else
	skip "path tricks touch no file (strace not installed or not permitted)"
fi

kill -TERM "$REAL_PID" 2>/dev/null
wait "$D_PID"
check_eq "SIGTERM: exit 0" "$?" 0
exit 0
