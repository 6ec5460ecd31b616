#!/bin/bash
# GET /api/v1/openapi.json end to end: the daemon serves the embedded
# document byte for byte as JSON, with an ETag, HEAD and 304, and only at
# that URL (not under /assets/); swagger-parser validates it
# (tests/clients/openapi.mjs), and the running daemon is held to it: every
# GET operation, asked with its documented examples, answers 200 with a
# documented content type and a body matching its schema; without its
# required parameters a documented 400, without a token where one is
# needed a documented 401. With public = no, the document is still open
# and every other read placeholder-free path it marks public needs a token
# (those it marks open or page, such as the pages, need none).
#
# Without node or the npm packages (tests/clients: npm ci) the swagger-
# parser part prints "skip" with the reason; under CI it must run.
. "$(dirname "$0")/lib.sh"

need curl jq

CLIENTS=$SRC/tests/clients
DOC=$SRC/dashboard/assets/openapi.json
NODE_MISSING=
if ! command -v node >/dev/null; then
	NODE_MISSING="no node: apt-get install nodejs"
elif [ ! -f "$CLIENTS/node_modules/@apidevtools/swagger-parser/package.json" ]; then
	NODE_MISSING="npm packages missing: (cd tests/clients && npm ci)"
fi

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU049 KU020 KU092?status=503
write_conf "$T/k.conf"
mkdir -p "$T/var"
MINISTRY_TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create --ministry 2>>"$T/ctl.log")
check "ministry token created" test -n "$MINISTRY_TOKEN"
start_daemon "$T/k.conf" || exit 1
URL=http://127.0.0.1:$D_PORT
wait_cycles 1 || not_ok "a collection cycle within 60 s"

# get METHOD PATH [CURL ARGS]: status in $T/status, headers in $T/headers,
# body in $T/body
get() {
	_m=$1 _p=$2
	shift 2
	if [ "$_m" = HEAD ]; then set -- -I "$@"; else set -- -X "$_m" "$@"; fi
	curl -s --max-time 20 -o "$T/body" -D "$T/headers" -w '%{http_code}' \
		"$@" "$URL$_p" >"$T/status"
}
status() { cat "$T/status"; }
# header NAME: the last response's header value, without CR
header() { grep -i "^$1:" "$T/headers" | tail -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }

get GET /api/v1/openapi.json
check_eq "openapi.json: 200" "$(status)" 200
check_eq "openapi.json: application/json" "$(header Content-Type | cut -d';' -f1)" application/json
check "openapi.json: the embedded file, byte for byte" cmp -s "$T/body" "$DOC"
check "openapi.json: JSON with an openapi 3 version" \
	jq_true '.openapi | test("^3\\.[0-9]+\\.[0-9]+$")' "$T/body"
cp "$T/body" "$T/openapi.json"
ETAG=$(header ETag)
is_strong_etag() { [[ $1 =~ ^\"[0-9a-f]+\"$ ]]; }
check "openapi.json: a strong ETag ($ETAG)" is_strong_etag "$ETAG"
check_eq "openapi.json: Cache-Control" "$(header Cache-Control)" "public, no-cache"
get GET /api/v1/openapi.json -H "If-None-Match: $ETAG"
check_eq "openapi.json: 304 for its ETag" "$(status)" 304
get GET /api/v1/openapi.json -H 'If-None-Match: "0000"'
check_eq "openapi.json: 200 for another ETag" "$(status)" 200
get HEAD /api/v1/openapi.json
check_eq "openapi.json: HEAD 200" "$(status)" 200
get POST /api/v1/openapi.json
check_eq "openapi.json: POST 405" "$(status)" 405
allow=$(header Allow)
check "openapi.json: Allow names GET and HEAD ($allow)" test "${allow#GET, HEAD}" != "$allow"
for p in /assets/openapi.json "/assets/openapi-$(echo "$ETAG" | tr -d '"').json"; do
	get GET "$p"
	check_eq "$p: 404, the document has one URL" "$(status)" 404
done

# Every placeholder-free GET path of the document is there: the route
# table's own check is test_openapi; this one asks the daemon.
for p in $(jq -r '.paths | to_entries[] | select(.value.get) | .key | select(test("[{]") | not)' "$T/openapi.json"); do
	get GET "$p"
	if [ "$(status)" = 404 ]; then not_ok "GET $p: described, 404 on the daemon"; else ok "GET $p: there ($(status))"; fi
done

if [ -n "$NODE_MISSING" ]; then
	if [ -n "${CI:-}" ]; then
		not_ok "openapi.mjs ($NODE_MISSING; CI must run this)"
	else
		skip "openapi.mjs ($NODE_MISSING)"
	fi
else
	KUNTAMON_TOKEN=$MINISTRY_TOKEN node "$CLIENTS/openapi.mjs" "$URL/api/v1/openapi.json" \
		--live "$URL" >"$T/mjs.log" 2>&1
	mjs_status=$?
	cat "$T/mjs.log"
	# its not-ok lines are counted by tests/run.sh; a crash is one more
	if [ "$mjs_status" -ne 0 ] && ! grep -q '^not ok ' "$T/mjs.log"; then
		not_ok "openapi.mjs exited $mjs_status"
	fi
	N_FAILED=$((N_FAILED + $(grep -c '^not ok ' "$T/mjs.log")))
	# the validator can fail: a document without a path's parameter
	jq 'del(.paths["/chart/{area}/{indicator}.svg"].get.parameters[0])' \
		"$T/openapi.json" >"$T/broken.json"
	if node "$CLIENTS/openapi.mjs" "$T/broken.json" >"$T/broken.log" 2>&1; then
		not_ok "openapi.mjs refuses a document with a path parameter missing"
	else
		ok "openapi.mjs refuses a document with a path parameter missing"
	fi
fi
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# public = no: the document stays open; what it marks public needs a token.
write_conf "$T/closed.conf" "[server]" "public = no"
start_daemon "$T/closed.conf" || exit 1
URL=http://127.0.0.1:$D_PORT
for p in $(jq -r '.paths | to_entries[] | select(.value.get) | .key | select(test("[{]") | not)' "$T/openapi.json"); do
	access=$(jq -r --arg p "$p" '.paths[$p].get["x-kuntamon-access"]' "$T/openapi.json")
	get GET "$p"
	case $access in
	open | page) check "public = no: GET $p ($access) answers without a token" \
		test "$(status)" != 401 -a "$(status)" != 404 ;;
	*) check_eq "public = no: GET $p ($access) needs a token" "$(status)" 401 ;;
	esac
done
get GET /api/v1/openapi.json
check "public = no: the same document" cmp -s "$T/body" "$DOC"
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
