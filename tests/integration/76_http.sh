#!/bin/bash
# HTTP conventions end to end (SPEC §6): every read carries a strong ETag
# and Cache-Control (public, max-age=60 for the public, private with a
# token), a cache hit and a fresh computation carry the same ETag, HEAD
# too, and a matching If-None-Match (the tag, W/ the tag, one of a list,
# *) is answered 304 without a body. The ETag changes when data lands (a
# municipality's submission, an import by kuntamonctl) and when the daemon
# restarts, and stays when a submission changes nothing; the old tag then
# gets the whole new answer. Hashed assets are immutable. [server]
# cors_origins lets the listed origins read the API from a browser
# (Access-Control-Allow-Origin, Vary: Origin, preflight 204), no other
# (no such header, preflight 403), not the pages; it changes on SIGHUP;
# a bad origin in the file is refused with FILE:LINE.
. "$(dirname "$0")/lib.sh"

need curl jq

P=$(expected_period)
p1=$(period_add "$P" -1)
start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" \
	"KU091?period=$P&set.contacts=1500&set.contacts_remote=150&set.gp_open=1" \
	"KU049?period=$P&set.contacts=600&set.gp_open=1"
# one poll at start, then none: data lands only when the test says so
INTERVAL=3600 write_conf "$T/k.conf" "[server]" \
	"cors_origins = https://a.example, http://127.0.0.1:9"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
import_csv() { ctl import "$1" >>"$T/ctl.log" 2>&1; }
cat >"$T/h.csv" <<EOC
area,period,measure,value
KU091,$p1,gp_open,1
KU091,$p1,contacts,1300
KU049,$p1,gp_open,1
KU049,$p1,contacts,500
EOC
mkdir -p "$T/var"
check "history imported" import_csv "$T/h.csv"
MIN=$(ctl token create --ministry 2>/dev/null)
TOK92=$(ctl token create KU092 2>/dev/null)
check "tokens created" test -n "$MIN" -a -n "$TOK92"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
URL="http://127.0.0.1:$D_PORT"

# get PATH [CURL ARGS]: the body in $T/b, the headers in $T/h; sets CODE
get() {
	_p=$1
	shift
	rm -f "$T/b"
	CODE=$(curl -s --max-time 20 -o "$T/b" -D "$T/h" -w '%{http_code}' "$@" "$URL$_p")
}
# hdr NAME: the value of header NAME in $T/h, "" if absent
hdr() {
	tr -d '\r' <"$T/h" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":") }
		i > 0 && tolower(substr($0, 1, i - 1)) == n {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit }'
}
has_hdr() { tr -d '\r' <"$T/h" | grep -qi "^$1:"; }
no_hdr() { ! has_hdr "$1"; }
# is_strong_tag VALUE: "..." (no W/), as respond.c makes them
is_strong_tag() { [[ $1 =~ ^\"[0-9a-f-]+\"$ ]]; }
# tag_of PATH [CURL ARGS]: the ETag of a 200 answer
tag_of() { get "$@"; [ "$CODE" = 200 ] && hdr ETag; }
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
is_empty() { [ ! -s "$T/b" ]; }
contains() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

SER="/api/v1/series?area=MK01&indicator=contacts_per_1000"
CSV="/api/v1/series.csv?area=MK01&indicator=contacts_per_1000"
LATEST="/api/v1/latest?indicator=contacts_per_1000&level=region"
CHART="/chart/MK01/contacts_per_1000.svg"
SSS="/api/v1/series?area=SSS&indicator=contacts"

# ---- anonymous reads: validator, public caching, 304 ----
for path in "$SER" "$CSV" "$LATEST" /api/v1/catalog "$CHART" /; do
	get "$path"
	check_eq "$path: 200" "$CODE" 200
	tag=$(hdr ETag)
	check "$path: a strong ETag ($tag)" is_strong_tag "$tag"
	if [ "$path" = / ]; then
		check_eq "$path: revalidated" "$(hdr Cache-Control)" "public, no-cache"
	else
		check_eq "$path: public, a minute" "$(hdr Cache-Control)" "public, max-age=60"
	fi
	check "$path: Vary names Authorization ($(hdr Vary))" contains "$(hdr Vary)" Authorization
	check_eq "$path: the same tag again" "$(tag_of "$path")" "$tag"
	get "$path" --head
	check_eq "$path: HEAD has the same tag" "$(hdr ETag)" "$tag"
	get "$path" -H "If-None-Match: $tag"
	check_eq "$path: If-None-Match: 304" "$CODE" 304
	check "$path: 304 without a body" is_empty
	check_eq "$path: 304 names the tag" "$(hdr ETag)" "$tag"
	check "$path: 304 keeps Cache-Control" test -n "$(hdr Cache-Control)"
	check "$path: 304 without a Content-Type" no_hdr Content-Type
	get "$path" -H 'If-None-Match: "0-0000000000000000"'
	check_eq "$path: another tag: 200" "$CODE" 200
	check "$path: ... with the body" test -s "$T/b"
done
tag=$(tag_of "$SER")
get "$SER" -H "If-None-Match: W/$tag"
check_eq "If-None-Match W/tag (weak comparison): 304" "$CODE" 304
get "$SER" -H "If-None-Match: \"x\", $tag, \"y\""
check_eq "If-None-Match: a list naming the tag: 304" "$CODE" 304
get "$SER" -H "If-None-Match: *"
check_eq "If-None-Match: *: 304" "$CODE" 304
check "JSON and CSV have their own tags" test "$(tag_of "$CSV")" != "$tag"
get "/api/v1/series?area=NOPE&indicator=contacts" -H "If-None-Match: *"
check_eq "an error: no 304" "$CODE" 404
check "an error: no ETag" no_hdr ETag
get /metrics
check_eq "/metrics: no-store" "$(hdr Cache-Control)" "no-store"
check "/metrics: no ETag" no_hdr ETag

# A cache miss and the hit after it carry the same tag.
m0=$(metric kuntamon_cache_misses_total)
h0=$(metric kuntamon_cache_hits_total)
t1=$(tag_of "$SER&start=$p1")
t2=$(tag_of "$SER&start=$p1")
check "a new question: a miss, then a hit" \
	test "$(metric kuntamon_cache_misses_total)" -gt "$m0" -a "$(metric kuntamon_cache_hits_total)" -gt "$h0"
check_eq "the hit has the miss's tag" "$t2" "$t1"

# Assets under their hashed URL: immutable, revalidated by the hash.
get /
ASSET=$(grep -o '/assets/app-[0-9a-f]*\.js' "$T/b" | head -n 1)
check "the page names a hashed asset ($ASSET)" test -n "$ASSET"
get "$ASSET"
check_eq "asset: 200" "$CODE" 200
check_eq "asset: immutable" "$(hdr Cache-Control)" "public, max-age=31536000, immutable"
atag=$(hdr ETag)
get "$ASSET" -H "If-None-Match: $atag"
check_eq "asset: If-None-Match: 304" "$CODE" 304

# ---- reads with a token: private, a tag of their own view ----
AUTH=(-H "Authorization: Bearer $MIN")
ptag=$(tag_of "$SER")
get "$SER" "${AUTH[@]}"
check_eq "ministry series: 200" "$CODE" 200
check_eq "ministry series: private" "$(hdr Cache-Control)" "private, no-cache"
mtag=$(hdr ETag)
check "ministry series: a strong ETag" is_strong_tag "$mtag"
check "ministry series: not the public's tag (unsuppressed view)" test "$mtag" != "$ptag"
get "$SER" "${AUTH[@]}" -H "If-None-Match: $mtag"
check_eq "ministry series: 304" "$CODE" 304
check_eq "ministry series: 304 private" "$(hdr Cache-Control)" "private, no-cache"
for path in "$LATEST" /api/v1/catalog "$CHART" "/api/v1/revisions?area=KU091"; do
	get "$path" "${AUTH[@]}"
	check_eq "ministry $path: 200" "$CODE" 200
	check "ministry $path: private ($(hdr Cache-Control))" contains "$(hdr Cache-Control)" private
	tag=$(hdr ETag)
	check "ministry $path: a strong ETag" is_strong_tag "$tag"
	get "$path" "${AUTH[@]}" -H "If-None-Match: $tag"
	check_eq "ministry $path: 304" "$CODE" 304
done

# ---- data lands: new tags, and the old ones get the new answer ----
before() {
	for p in "$SER" "$CSV" "$LATEST" "$CHART" "$SSS"; do
		printf '%s %s\n' "$p" "$(tag_of "$p")"
	done
}
before >"$T/tags0"
get "$SER"
cp "$T/b" "$T/series0"
post92() {
	curl -s --max-time 20 -o /dev/null -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $TOK92" -H "Content-Type: application/json" \
		--data-binary "{\"municipality\": \"KU092\", \"period\": \"$P\", \"measures\": {\"contacts\": 900, \"gp_open\": 1}}" \
		"$URL/api/v1/submissions"
}
check_eq "KU092 (in MK01) submits: 202" "$(post92)" 202
while read -r p old; do
	get "$p" -H "If-None-Match: $old"
	check_eq "after the submission $p: the old tag gets 200" "$CODE" 200
	check "after the submission $p: with the body" test -s "$T/b"
	new=$(hdr ETag)
	check "after the submission $p: a new tag" test -n "$new" -a "$new" != "$old"
	get "$p" -H "If-None-Match: $new"
	check_eq "after the submission $p: the new tag: 304" "$CODE" 304
done <"$T/tags0"
get "$SER"
check "the new answer has KU092's figure" bash -c "! cmp -s '$T/b' '$T/series0'"
before >"$T/tags1"
check_eq "the same document again changes nothing: 202" "$(post92)" 202
before >"$T/tags2"
check "... and no tag" cmp -s "$T/tags1" "$T/tags2"

# An import by kuntamonctl, noticed by the running daemon.
t0=$(tag_of "$SER")
printf 'area,period,measure,value\nKU049,%s,contacts,550\n' "$p1" >"$T/late.csv"
check "a late figure imported while the daemon runs" import_csv "$T/late.csv"
changed() { [ "$(tag_of "$SER")" != "$1" ]; }
check "after the import: a new tag" wait_for 20 changed "$t0"

# A restart: the old run's tags match nothing.
t0=$(tag_of "$SER")
stop_daemon
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
get "$SER" -H "If-None-Match: $t0"
check_eq "after a restart the old tag gets 200" "$CODE" 200
check "after a restart: a new tag" test "$(hdr ETag)" != "$t0"

# ---- CORS ----
get /api/v1/catalog -H "Origin: https://a.example"
check_eq "listed origin: 200" "$CODE" 200
check_eq "listed origin: Access-Control-Allow-Origin" "$(hdr Access-Control-Allow-Origin)" https://a.example
check "listed origin: Vary: Origin ($(hdr Vary))" contains "$(hdr Vary)" Origin
check "listed origin: may read the ETag" contains "$(hdr Access-Control-Expose-Headers)" ETag
check "listed origin: no credentials" no_hdr Access-Control-Allow-Credentials
get "$CHART" -H "Origin: http://127.0.0.1:9"
check_eq "second listed origin, a chart" "$(hdr Access-Control-Allow-Origin)" http://127.0.0.1:9
get "$SER" -H "Origin: https://a.example" "${AUTH[@]}"
check_eq "listed origin with a token: ACAO" "$(hdr Access-Control-Allow-Origin)" https://a.example
check_eq "listed origin with a token: private" "$(hdr Cache-Control)" "private, no-cache"
tag=$(hdr ETag)
get "$SER" -H "Origin: https://a.example" "${AUTH[@]}" -H "If-None-Match: $tag"
check_eq "listed origin: 304" "$CODE" 304
check_eq "listed origin: 304 with ACAO" "$(hdr Access-Control-Allow-Origin)" https://a.example
for o in https://evil.example https://a.example.evil.example https://a.example:443 http://a.example null; do
	get /api/v1/catalog -H "Origin: $o"
	check_eq "origin $o: still 200" "$CODE" 200
	check "origin $o: no Access-Control-Allow-Origin" no_hdr Access-Control-Allow-Origin
	check "origin $o: Vary: Origin" contains "$(hdr Vary)" Origin
done
get / -H "Origin: https://a.example"
check "a page: no CORS" no_hdr Access-Control-Allow-Origin
get /api/v1/catalog -X OPTIONS -H "Origin: https://a.example" \
	-H "Access-Control-Request-Method: GET" -H "Access-Control-Request-Headers: authorization"
check_eq "preflight, listed origin: 204" "$CODE" 204
check_eq "preflight: ACAO" "$(hdr Access-Control-Allow-Origin)" https://a.example
check_eq "preflight: methods" "$(hdr Access-Control-Allow-Methods)" "GET, HEAD"
check "preflight: Authorization may be sent" contains "$(hdr Access-Control-Allow-Headers)" Authorization
check "preflight: cached for a while" test -n "$(hdr Access-Control-Max-Age)"
get /api/v1/catalog -X OPTIONS -H "Origin: https://evil.example" -H "Access-Control-Request-Method: GET"
check_eq "preflight, other origin: 403" "$CODE" 403
check "preflight, other origin: JSON error" jq_true '.error | test("evil.example")' "$T/b"
check "preflight, other origin: no ACAO" no_hdr Access-Control-Allow-Origin
get /api/v1/submissions -X OPTIONS -H "Origin: https://a.example"
check_eq "preflight of a write: 405" "$CODE" 405

# SIGHUP: a new list counts at once; a bad one is refused, the old kept.
sed -i 's|^cors_origins = .*|cors_origins = https://b.example|' "$T/k.conf"
r0=$(grep -c 'msg=reloaded' "$T/daemon.log")
kill -HUP "$D_PID"
check "SIGHUP: reloaded" wait_for 20 sh -c "[ \$(grep -c 'msg=reloaded' '$T/daemon.log') -gt $r0 ]"
get /api/v1/catalog -H "Origin: https://b.example"
check_eq "after SIGHUP: the new origin" "$(hdr Access-Control-Allow-Origin)" https://b.example
get /api/v1/catalog -H "Origin: https://a.example"
check_eq "after SIGHUP: the old origin no more" "$(hdr Access-Control-Allow-Origin)" ""
f0=$(grep -c 'reload refused' "$T/daemon.log")
sed -i 's|^cors_origins = .*|cors_origins = https://c.example/|' "$T/k.conf"
kill -HUP "$D_PID"
check "SIGHUP with a bad origin: refused" wait_for 20 sh -c "[ \$(grep -c 'reload refused' '$T/daemon.log') -gt $f0 ]"
check "... naming it" grep -q 'reload refused.*c.example/' "$T/daemon.log"
get /api/v1/catalog -H "Origin: https://b.example"
check_eq "... and the old list kept" "$(hdr Access-Control-Allow-Origin)" https://b.example
stop_daemon
check_eq "stopped cleanly" "$D_STATUS" 0

# A bad origin in the file: exit 2 and FILE:LINE naming it.
for bad in https://a.example/ "https://a.example HTTPS://b.example" '*' https://a.example:443; do
	write_conf "$T/bad.conf" "[server]" "cors_origins = $bad"
	line=$(grep -n '^cors_origins' "$T/bad.conf" | cut -d: -f1)
	"$B/kuntamond" --check -c "$T/bad.conf" 2>"$T/err"
	check_eq "cors_origins = $bad: exit 2" "$?" 2
	check "cors_origins = $bad: FILE:LINE ($(head -n 1 "$T/err"))" \
		grep -q "^$T/bad.conf:$line: \[server\] cors_origins: " "$T/err"
done
write_conf "$T/bad.conf" "[server]" "cors_origins = https://a.example HTTPS://b.example"
"$B/kuntamond" --check -c "$T/bad.conf" 2>"$T/err"
check "the bad origin named ($(head -n 1 "$T/err"))" grep -q '"HTTPS://b.example" is not an origin' "$T/err"
check "... not the good one before it" bash -c "! grep -q '\"https://a.example\"' '$T/err'"

[ "$N_FAILED" -eq 0 ]
