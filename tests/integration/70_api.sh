#!/bin/bash
# The HTTP interface end to end: every route of dashboard/routes.c answers
# with the right status, content type and shape; every error status the
# server gives today (400 naming the parameter, 404, 405 with Allow, 413)
# comes as JSON; path tricks are refused and touch no file (strace); and
# /api/v1/latest and /api/v1/health tell ok, late, failing and never apart
# and withhold a small count from the public. v2: /api/v1/latest gives
# every row its period, reporting and expected, a region's or the
# country's period by SPEC §6's rule (never a mix of periods);
# /api/v1/series is monthly by default and series.csv says period,value;
# /api/v1/revisions answers 401, 403, 400, 404 and 200 as it should.
. "$(dirname "$0")/lib.sh"

need curl jq

# ok: KU091, KU049, KU020; failing: KU092 (503); late: KU005 (lag 3);
# suppressed: KU478 (contacts 3); never: KU009 (no endpoint, no data).
# Every reporting municipality is pinned to a period (fakemuni's default,
# the previous month, is not the expected one in a month's first half),
# so the suite passes on every day:
# - Uusimaa (MK01, 26): KU091, KU049 at EXP, none at another: EXP.
# - Kymenlaakso (MK08, 6): 3 at P0, 1 at EXP: P0, the latest period at
#   least half of it reported, though one reported a later one.
# - Keski-Pohjanmaa (MK16, 8): 2 at P0, 1 at EXP: none has half, P0 the
#   one most reported.
# - Kainuu (MK18, 8): 1 at EXP, 1 at P0: a tie, the later one, EXP.
# - the country: 7 at EXP, 6 at P0, KU005 three months before: EXP.
EXP=$(expected_period)
P0=$(date -u -d "$EXP-15 -1 month" +%Y-%m)
AT_EXP="KU091 KU049 KU020 KU478 KU489 KU074 KU105"
start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091?period=$EXP KU049?period=$EXP KU020?period=$EXP KU092?status=503 \
	KU005?lag=3 "KU478?period=$EXP&set.contacts=3&set.contacts_remote=1" \
	KU075?period=$P0 KU285?period=$P0 KU286?period=$P0 KU489?period=$EXP \
	KU074?period=$EXP KU217?period=$P0 KU236?period=$P0 \
	KU105?period=$EXP KU205?period=$P0
N_ENDPOINTS=15
# printed AREA PERIOD MEASURE: fakemuni's figure
printed() {
	"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print "$1" "$2" | jq ".measures.$3"
}
# sum_printed PERIOD MEASURE AREA...: the sum of their figures
sum_printed() {
	_p=$1 _m=$2
	shift 2
	for _a in "$@"; do printed "$_a" "$_p" "$_m"; done | awk '{ s += $1 } END { printf "%.6g\n", s }'
}
num() { awk '{ printf "%.6g\n", $1 }'; }
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
		has("period") and (.status | IN("ok", "late", "failing", "never")) and
		(.reporting | type == "number") and .expected == 1)'
row() { jq -c --arg a "$1" '.[] | select(.area == $a)' "$T/body"; }
field() { row "$1" | jq -r ".$2"; }
check_eq "KU091: ok" "$(field KU091 status)" ok
want_contacts=$("$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 "$EXP" | jq .measures.contacts)
check_eq "KU091: value from the latest document" "$(field KU091 value)" "$want_contacts"
check_eq "KU091: period" "$(field KU091 period)" "$EXP"
check_eq "KU091: reporting 1 of 1" "$(field KU091 reporting) $(field KU091 expected)" "1 1"
check_eq "KU075: its own latest period, $P0" "$(field KU075 period)" "$P0"
check_eq "KU075: that period's figure" "$(field KU075 value)" "$(printed KU075 "$P0" contacts)"
check_eq "KU092 (503): failing" "$(field KU092 status)" failing
check_eq "KU005 (lag 3): late" "$(field KU005 status)" late
check_eq "KU009 (no endpoint, no data): never" "$(field KU009 status)" never
check_eq "KU009: no value" "$(field KU009 value)" null
check_eq "KU009: no period" "$(field KU009 period)" null
check_eq "KU009: reporting 0 of 1" "$(field KU009 reporting) $(field KU009 expected)" "0 1"
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
check_eq "latest regions: Uusimaa's period" "$(field MK01 period)" "$EXP"
check "latest regions: every row has a period, reporting and expected" \
	jqe 'all(.[]; has("period") and (.reporting | type == "number") and (.expected | type == "number"))'
check_eq "latest regions: Uusimaa expects its 26" "$(field MK01 expected)" 26

# The region rule, on a measure (the sum of the municipal figures), read
# by the ministry so that no small group is withheld.
get GET "/api/v1/latest?indicator=contacts&level=region" -H "Authorization: Bearer $MINISTRY_TOKEN"
want "latest regions, contacts" 200 application/json
check_eq "Kymenlaakso: the latest period half of it reported ($P0), not KU489's later one" \
	"$(field MK08 period)" "$P0"
check_eq "Kymenlaakso: 3 of 6 reporting" "$(field MK08 reporting) $(field MK08 expected)" "3 6"
check_eq "Kymenlaakso: $P0's figures only (never a mix of periods)" \
	"$(field MK08 value | num)" "$(sum_printed "$P0" contacts KU075 KU285 KU286)"
check_eq "Keski-Pohjanmaa: none has half, the period most reported ($P0)" "$(field MK16 period)" "$P0"
check_eq "Keski-Pohjanmaa: 2 of 8 reporting" "$(field MK16 reporting) $(field MK16 expected)" "2 8"
check_eq "Keski-Pohjanmaa: $P0's figures only" \
	"$(field MK16 value | num)" "$(sum_printed "$P0" contacts KU217 KU236)"
check_eq "Kainuu: a tie, the later period ($EXP)" "$(field MK18 period)" "$EXP"
check_eq "Kainuu: 1 of 8 reporting" "$(field MK18 reporting) $(field MK18 expected)" "1 8"
check_eq "Kainuu: $EXP's figure only" "$(field MK18 value | num)" "$(printed KU105 "$EXP" contacts | num)"
mk08=$(field MK08 value)

get GET "/api/v1/latest?indicator=reporting_rate&level=country"
want "latest country" 200 application/json
check "latest country: one row, SSS" jqe 'length == 1 and .[0].area == "SSS" and .[0].expected == 308'
check_eq "latest country: the period most reported" "$(field SSS period)" "$EXP"
check_eq "latest country: reporting rate of $EXP" "$(field SSS reporting) $(field SSS value | num)" \
	"7 $(awk 'BEGIN { printf "%.6g\n", 7 * 100 / 308 }')"
get GET "/api/v1/latest?indicator=contacts&level=country" -H "Authorization: Bearer $MINISTRY_TOKEN"
# shellcheck disable=SC2086
check_eq "latest country: $EXP's figures only (KU478's is 3)" "$(field SSS value | num)" \
	"$(echo "$(sum_printed "$EXP" contacts ${AT_EXP/KU478/}) + 3" | awk '{ printf "%.6g\n", $1 + $3 }')"
check_eq "latest country: 7 of 308 reporting" "$(field SSS reporting) $(field SSS expected)" "7 308"

get GET /api/v1/health
want "/api/v1/health" 200 application/json
check "/api/v1/health: shape" jqe '
	(.generated | type == "number") and (.cycle.cycles >= 1) and
	(.cycle.running | type == "boolean") and (.violations | type == "array") and
	(.endpoints | length == '"$N_ENDPOINTS"') and
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
check_eq "/api/v1/health: counts ok, late, failing, never" \
	"$(jqb '"\(.counts.ok) \(.counts.late) \(.counts.failing) \(.counts.never)"')" "7 7 1 293"

get GET "/api/v1/series?area=KU091&indicator=contacts&start=$P0&end=$EXP"
want "/api/v1/series" 200 application/json
check "/api/v1/series: shape" jqe '.area == "KU091" and .indicator == "contacts" and
	(.points | type == "array") and all(.points[]; length == 2) and
	(.reporting | type == "number") and (.expected | type == "number")'
check_eq "/api/v1/series: step=month by default" "$(jqb .step)" month
p0_s=$(date -u -d "$P0-01" +%s) exp_s=$(date -u -d "$EXP-01" +%s)
check_eq "/api/v1/series: a point per period, t its first second, unknown null" \
	"$(jqb -c .points)" "[[$p0_s,null],[$exp_s,$want_contacts]]"
get GET "/api/v1/series?area=MK08&indicator=contacts&start=$P0&end=$EXP" -H "Authorization: Bearer $MINISTRY_TOKEN"
check_eq "/api/v1/series: Kymenlaakso's $P0 point = its latest value" \
	"$(jqb --argjson t "$p0_s" '.points[] | select(.[0] == $t) | .[1]' | num)" "$(echo "$mk08" | num)"
get GET "/api/v1/series.csv?area=MK08&indicator=contacts&start=$P0&end=$EXP" -H "Authorization: Bearer $MINISTRY_TOKEN"
want "/api/v1/series.csv" 200 text/csv
hdr=$(head -n 1 "$T/body" | tr -d '\r')
check "/api/v1/series.csv: header period,value ($hdr)" test "$hdr" = "period,value"
check_eq "/api/v1/series.csv: a row per period, YYYY-MM" \
	"$(tr -d '\r' <"$T/body" | sed 1d | cut -d, -f1 | tr '\n' ' ')" "$P0 $EXP "
check_eq "/api/v1/series.csv: the same number as /api/v1/latest" \
	"$(tr -d '\r' <"$T/body" | awk -F, -v p="$P0" '$1 == p { print $2 }' | num)" "$(echo "$mk08" | num)"
get GET "/api/v1/series.csv?area=MK01&indicator=gp_coverage&start=-2d&step=86400"
want "/api/v1/series.csv, step=86400" 200 text/csv
hdr=$(head -n 1 "$T/body" | tr -d '\r')
check "/api/v1/series.csv: step in seconds, header time,value ($hdr)" test "$hdr" = "time,value"

# /api/v1/revisions (v2): the municipality's own token or the ministry's.
get GET "/api/v1/revisions?area=KU049"
want_error "revisions without a token" 401 "token"
get GET "/api/v1/revisions?area=KU091" -H "Authorization: Bearer $MUNI_TOKEN"
want_error "revisions with another municipality's token" 403 "KU091"
get GET "/api/v1/revisions?area=KU049" -H "Authorization: Bearer $MUNI_TOKEN"
want "revisions with its own token" 200 application/json
check "revisions: every value, with period, measure, received, source, replaced" jqe '
	length >= 1 and all(.[]; (.period | test("^[0-9]{4}-[0-9]{2}$")) and (.measure | type == "string") and
		(.value | type == "number") and (.received | type == "number") and has("replaced") and .source == "poll")'
check_eq "revisions: KU049's contacts of $EXP, current" \
	"$(jqb -c --arg p "$EXP" '[.[] | select(.measure == "contacts") | [.period, .value, .replaced]]')" \
	"[[\"$EXP\",$(printed KU049 "$EXP" contacts),null]]"
check_eq "revisions: private" "$(header Cache-Control | cut -d, -f1)" private
get GET "/api/v1/revisions?area=KU091&measure=contacts" -H "Authorization: Bearer $MINISTRY_TOKEN"
want "revisions with the ministry token" 200 application/json
check_eq "revisions: measure= filters" "$(jqb -c '[.[] | [.measure, .value]]')" "[[\"contacts\",$want_contacts]]"
get GET "/api/v1/revisions?area=KU049&period=$P0" -H "Authorization: Bearer $MUNI_TOKEN"
check_eq "revisions: period= filters (none in $P0)" "$CODE $(jqb -c .)" "200 []"
get GET "/api/v1/revisions?area=KU049&period=2026-13" -H "Authorization: Bearer $MUNI_TOKEN"
want_error "revisions: bad period" 400 "period"
get GET "/api/v1/revisions" -H "Authorization: Bearer $MINISTRY_TOKEN"
want_error "revisions without area" 400 "area"
get GET "/api/v1/revisions?area=KU999" -H "Authorization: Bearer $MINISTRY_TOKEN"
want_error "revisions: unknown area" 404 "KU999"
get GET "/api/v1/revisions?area=KU049&measure=nope" -H "Authorization: Bearer $MUNI_TOKEN"
want_error "revisions: unknown measure" 404 "nope"
get POST "/api/v1/revisions?area=KU049" -H "Authorization: Bearer $MUNI_TOKEN"
check_eq "POST /api/v1/revisions: 405" "$CODE" 405

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
# OPTIONS too: an API read answers a CORS preflight
check_eq "405: Allow header" "$(header Allow)" "GET, HEAD, OPTIONS"
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
