#!/bin/bash
# Browser sessions (SPEC §8) end to end, on three months of imported
# history with small counts (contacts 3 in KU091 and KU049 every month):
# - POST /api/v1/session with a token (JSON or a form) answers 200 with
#   who is signed in and a CSRF value, and sets the cookie HttpOnly,
#   SameSite=Strict, Path=/, Max-Age of session_hours (Secure only under
#   TLS); the database holds its hash, never the cookie;
# - a bad token is 401, a wrong body 400/415, a sign-in another site's
#   page posts (Sec-Fetch-Site: cross-site) 403; bad sign-ins count against
#   the address's failed token attempts: 10 judged, then 429, even for a
#   good token or a bearer token from that address;
# - GET /api/v1/session says who is signed in (and whether the data is
#   public), private and never stored;
# - the cookie reads as its token: its own municipality unsuppressed,
#   others withheld on every route that reads figures (series, data as
#   JSON and CSV, latest, charts; activity and flags 403), privately
#   cached; Authorization wins over it;
# - a write with the cookie needs X-CSRF-Token: 403 without or with
#   another's, 202 with it (audited as the token's);
# - sign-out ends the session and drops the cookie; a session expires
#   after session_hours (the test clock moved on) and its row is pruned;
#   revoking the token ends its sessions at once;
# - with public = no the pages, their assets, /api/v1/session and
#   /healthz answer without a session (the page shows sign-in), the API
#   does not, and a session reads it.
# Requests come from different loopback addresses (127.0.0.N) so the
# failed-attempt limit of one does not spill into another part.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3
need_loopback_sources

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=3600 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

P1=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
{
	echo "area,period,measure,value"
	for k in 1 2 3; do
		p=$(date -u -d "$(date -u +%Y-%m-15) -$k month" +%Y-%m)
		for a in KU091 KU049; do
			echo "$a,$p,contacts,3"
			echo "$a,$p,contacts_remote,1"
		done
	done
} >"$T/history.csv"
mkdir -p "$T/var"
ctl import "$T/history.csv" >"$T/import.out"
check_eq "history imported" "$?" 0
TOK91=$(ctl token create KU091 2>/dev/null)  # id 1
TOK49=$(ctl token create KU049 2>/dev/null)  # id 2
MIN=$(ctl token create --ministry 2>/dev/null) # id 3
BAD="km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
RANGE="start=$(($(date +%s) - 120 * 86400))&end=$(date +%s)"

start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"

# req FROM METHOD PATH [CURL ARGS]: from 127.0.0.FROM; the body in
# $T/body, the headers in $T/headers; sets CODE
req() {
	_from=$1 _m=$2 _p=$3
	shift 3
	CODE=$(curl -s --max-time 20 --interface "127.0.0.$_from" -X "$_m" \
		-o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$URL$_p")
}
# header NAME: the last answer's header value, without CR
header() { grep -i "^$1:" "$T/headers" | tail -n 1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }
jqe() { jq -e "$1" "$T/body" >/dev/null; }
# sign_in FROM TOKEN: sets COOKIE (the Cookie header's value) and CSRF
sign_in() {
	req "$1" POST /api/v1/session -H "Content-Type: application/json" \
		--data "{\"token\": \"$2\"}"
	COOKIE=$(header Set-Cookie | cut -d';' -f1)
	CSRF=$(jq -r '.csrf // empty' "$T/body")
}
has_value() { jqe "[.points[][1] | select(. == 3)] | length > 0"; }
no_value() { jqe "[.points[][1] | select(. != null)] | length == 0"; }
series() { # series FROM AREA [CURL ARGS]
	_f=$1 _a=$2
	shift 2
	req "$_f" GET "/api/v1/series?area=$_a&indicator=contacts&$RANGE" "$@"
}
submit() { # submit FROM [CURL ARGS]: KU091's last month, as held
	_f=$1
	shift
	req "$_f" POST /api/v1/submissions -H "Content-Type: application/json" "$@" \
		--data "{\"municipality\": \"KU091\", \"period\": \"$P1\", \"measures\": {\"contacts\": 3, \"contacts_remote\": 1}}"
}

# ---- sign-in ----
sign_in 10 "$TOK91"
check_eq "sign-in: 200" "$CODE" 200
check "sign-in: who (municipality KU091, its names)" \
	jqe '.signed_in == true and .role == "municipality" and .area == "KU091" and .area_name.fi == "Helsinki" and .area_name.sv == "Helsingfors"'
check "sign-in: says public" jqe '.public == true'
check "sign-in: a CSRF value of 43 base64url characters" \
	jqe '.csrf | test("^[A-Za-z0-9_-]{43}$")'
NOW=$(date +%s)
check "sign-in: expires in 12 hours" \
	jqe ".expires >= $NOW + 43200 - 60 and .expires <= $NOW + 43200 + 60"
SC=$(header Set-Cookie)
check "cookie: kuntamon_session, 43 base64url characters ($SC)" \
	test -n "$(echo "$SC" | grep -E '^kuntamon_session=[A-Za-z0-9_-]{43};')"
for attr in HttpOnly SameSite=Strict Path=/ Max-Age=43200; do
	check "cookie: $attr" sh -c "echo '$SC' | tr ';' '\n' | sed 's/^ *//' | grep -qx '$attr'"
done
check "cookie: not Secure over plain HTTP" sh -c "! echo '$SC' | grep -qi secure"
check "cookie: differs from the CSRF value" test "${COOKIE#*=}" != "$CSRF"
check_eq "sign-in: Cache-Control" "$(header Cache-Control)" "private, no-store"
C91=$COOKIE X91=$CSRF
check_eq "stored: one session row of token 1" "$(db 'SELECT COUNT(*) FROM sessions WHERE token_id = 1')" 1
check "stored hashed: the cookie's text is nowhere in the database" \
	sh -c "! cat '$T'/var/kuntamon.db* | grep -qa -- '${C91#*=}'"

req 11 POST /api/v1/session -H "Content-Type: application/x-www-form-urlencoded" \
	--data "token=$TOK49"
check_eq "sign-in by form: 200" "$CODE" 200
check "sign-in by form: KU049" jqe '.area == "KU049"'
C49=$(header Set-Cookie | cut -d';' -f1)
sign_in 11 "$MIN"
check "sign-in as the ministry: no area" jqe '.role == "ministry" and .area == null and .area_name == null'
CMIN=$COOKIE

req 12 POST /api/v1/session -H "Content-Type: application/x-www-form-urlencoded" \
	-H "Sec-Fetch-Site: cross-site" --data "token=$TOK91"
check_eq "sign-in posted by another site's page (login CSRF): 403" "$CODE" 403
check "... and no cookie" test -z "$(header Set-Cookie)"
req 12 POST /api/v1/session -H "Content-Type: application/x-www-form-urlencoded" \
	-H "Sec-Fetch-Site: same-origin" --data "token=$TOK91"
check_eq "sign-in from the dashboard's own page: 200" "$CODE" 200
req 12 POST /api/v1/session -H "Content-Type: text/plain" --data "$TOK91"
check_eq "sign-in: text/plain: 415" "$CODE" 415
req 12 POST /api/v1/session -H "Content-Type: application/json" --data '{"tok": 1}'
check_eq "sign-in: no token in the JSON: 400" "$CODE" 400
check "sign-in: no cookie on a refusal" test -z "$(header Set-Cookie)"
req 12 POST /api/v1/session -H "Content-Type: application/json" --data "{\"token\": \"$BAD\"}"
check_eq "sign-in: an unknown token: 401" "$CODE" 401
check "sign-in: says why" jqe '.error | test("unknown or revoked")'
check "sign-in: no cookie for a bad token" test -z "$(header Set-Cookie)"

# ---- who is signed in ----
req 13 GET /api/v1/session -H "Cookie: theme=dark; $C91"
check "GET session: signed in as KU091, the same CSRF value" \
	jqe ".signed_in == true and .area == \"KU091\" and .csrf == \"$X91\" and .public == true"
check "GET session: no new cookie" test -z "$(header Set-Cookie)"
check_eq "GET session: never stored" "$(header Cache-Control)" "private, no-store"
req 13 GET /api/v1/session
check "GET session without a cookie: signed out, public" jqe '. == {"signed_in": false, "public": true}'
req 13 GET /api/v1/session -H "Cookie: kuntamon_session=${BAD#km_}"
check "GET session with a stale cookie: signed out" jqe '.signed_in == false'
check "GET session with a stale cookie: it is dropped" \
	sh -c "echo '$(header Set-Cookie)' | grep -q '^kuntamon_session=; .*Max-Age=0'"

# ---- reading with the cookie ----
series 20 KU091
check "public: KU091's small count withheld" no_value
check "public: Cache-Control public" sh -c "echo '$(header Cache-Control)' | grep -q '^public'"
series 20 KU091 -H "Cookie: $C91"
check_eq "cookie KU091 on KU091: 200" "$CODE" 200
check "cookie KU091 on KU091: its own count, unsuppressed" has_value
check "cookie read: Cache-Control private" sh -c "echo '$(header Cache-Control)' | grep -q '^private'"
check "cookie read: Vary names Cookie" sh -c "echo '$(header Vary)' | grep -q Cookie"
series 20 KU049 -H "Cookie: $C91"
check "cookie KU091 on KU049: withheld" no_value
series 20 KU049 -H "Cookie: $CMIN"
check "ministry cookie on KU049: unsuppressed" has_value
# every other route that reads figures: KU091's session sees KU049 as
# the public does (withheld), its own unsuppressed; the ministry all
req 20 GET "/api/v1/data?area=KU049,KU091&indicator=contacts&period=$P1" -H "Cookie: $C91"
check "data with KU091's cookie: KU049 withheld, KU091 its own" \
	jqe '[.rows[] | [.[0], .[5], .[10]]] == [["KU049", null, "suppressed"], ["KU091", 3, null]]'
req 20 GET "/api/v1/data.csv?area=KU049&indicator=contacts&period=$P1" -H "Cookie: $C91"
check_eq "data.csv with KU091's cookie: KU049 withheld" "$(sed -n 2p "$T/body" | cut -d, -f6,11 | tr -d '\r')" ",suppressed"
req 20 GET "/api/v1/data?area=KU049&indicator=contacts&period=$P1" -H "Cookie: $CMIN"
check "data with the ministry's cookie: KU049 unsuppressed" jqe '.rows[0][5] == 3'
req 20 GET "/api/v1/latest?indicator=contacts&level=municipality&region=MK01" -H "Cookie: $C91"
check "latest with KU091's cookie: KU049 withheld, KU091 its own" \
	jqe '([.[] | select(.area == "KU049")][0] | .value == null and .suppressed) and ([.[] | select(.area == "KU091")][0].value == 3)'
for path in "/api/v1/activity?area=KU049" "/api/v1/flags?area=KU049"; do
	req 20 GET "$path" -H "Cookie: $C91"
	check_eq "GET $path with KU091's cookie: 403" "$CODE" 403
done
req 20 GET "/chart/KU049/contacts.svg?$RANGE" -H "Cookie: $C91"
cp "$T/body" "$T/chart-91.svg"
req 20 GET "/chart/KU049/contacts.svg?$RANGE"
check "chart of KU049 with KU091's cookie: the public's chart" cmp -s "$T/body" "$T/chart-91.svg"
req 20 GET "/chart/KU049/contacts.svg?$RANGE" -H "Cookie: $CMIN"
check "chart of KU049 with the ministry's cookie: another (the count drawn)" \
	sh -c "! cmp -s '$T/body' '$T/chart-91.svg'"
series 20 KU091 -H "Cookie: $C91" -H "Authorization: Bearer $TOK49"
check "cookie KU091 with KU049's token: the token wins (KU091 withheld)" no_value
series 20 KU091 -H "Cookie: kuntamon_session=${BAD#km_}"
check_eq "a stale cookie on a read: 200, as the public" "$CODE" 200
check "a stale cookie on a read: withheld" no_value
req 20 GET "/api/v1/revisions?area=KU091&measure=contacts" -H "Cookie: $C91"
check_eq "revisions with the cookie (a token route): 200" "$CODE" 200
req 20 GET "/api/v1/revisions?area=KU049&measure=contacts" -H "Cookie: $C91"
check_eq "revisions of another municipality with the cookie: 403" "$CODE" 403

# ---- writing with the cookie: X-CSRF-Token ----
submit 21 -H "Cookie: $C91"
check_eq "submission with the cookie, no X-CSRF-Token: 403" "$CODE" 403
check "403 names X-CSRF-Token" jqe '.error | test("X-CSRF-Token")'
submit 21 -H "Cookie: $C91" -H "X-CSRF-Token: ${C49#*=}"
check_eq "submission with another value as X-CSRF-Token: 403" "$CODE" 403
submit 21 -H "Cookie: $C91" -H "X-CSRF-Token: $X91"
check_eq "submission with the cookie and its X-CSRF-Token: 202" "$CODE" 202
check "submission: as the token's (kind unchanged)" jqe '.kind == "unchanged"'
check_eq "audited as token 1" \
	"$(db "SELECT COUNT(*) FROM audit WHERE token_id = 1 AND outcome = 'accepted'")" 1
check "refusal audited as token 1 too" \
	test "$(db "SELECT COUNT(*) FROM audit WHERE token_id = 1 AND outcome = 'forbidden'")" -ge 1
submit 21 -H "Authorization: Bearer $TOK91"
check_eq "submission with a bearer token needs no X-CSRF-Token: 202" "$CODE" 202
submit 21 -H "Cookie: kuntamon_session=${BAD#km_}" -H "X-CSRF-Token: $X91"
check_eq "a stale cookie on a write: 401" "$CODE" 401

# ---- failed sign-ins are limited per address ----
n401=0 n429=0
for k in $(seq 1 15); do
	req 30 POST /api/v1/session -H "Content-Type: application/json" \
		--data "{\"token\": \"km_$(printf '%042d' "$k" | tr 0-9 A-J)A\"}"
	[ "$CODE" = 401 ] && n401=$((n401 + 1))
	[ "$CODE" = 429 ] && n429=$((n429 + 1))
done
check_eq "bad sign-ins: the first 10 judged (401)" "$n401" 10
check_eq "bad sign-ins: then 429" "$n429" 5
sign_in 30 "$TOK91"
check_eq "bad sign-ins: even a good token from that address waits (429)" "$CODE" 429
req 30 GET /api/v1/catalog -H "Authorization: Bearer $TOK91"
check_eq "bad sign-ins: a bearer token from that address waits too" "$CODE" 429
req 30 GET /api/v1/catalog -H "Cookie: $C91"
check_eq "bad sign-ins: a session still reads from that address" "$CODE" 200
sign_in 31 "$TOK91"
check_eq "bad sign-ins: another address is not held" "$CODE" 200

# ---- sign-out ----
sign_in 32 "$TOK91"
CS=$COOKIE XS=$CSRF
req 32 DELETE /api/v1/session -H "Cookie: $CS"
check_eq "sign-out without X-CSRF-Token: 403" "$CODE" 403
req 32 DELETE /api/v1/session -H "Authorization: Bearer $TOK91"
check_eq "sign-out with a token and no session: 400" "$CODE" 400
req 32 DELETE /api/v1/session
check_eq "sign-out with nothing: 401" "$CODE" 401
n_before=$(db 'SELECT COUNT(*) FROM sessions')
req 32 DELETE /api/v1/session -H "Cookie: $CS" -H "X-CSRF-Token: $XS"
check_eq "sign-out: 200" "$CODE" 200
check "sign-out: signed out, public" jqe '. == {"signed_in": false, "public": true}'
check "sign-out: the cookie dropped (empty, Max-Age=0)" \
	sh -c "echo '$(header Set-Cookie)' | grep -q '^kuntamon_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0'"
check_eq "sign-out: its row deleted" "$(db 'SELECT COUNT(*) FROM sessions')" $((n_before - 1))
req 32 GET /api/v1/session -H "Cookie: $CS"
check "after sign-out: GET says signed out" jqe '.signed_in == false'
series 32 KU091 -H "Cookie: $CS"
check "after sign-out: reads as the public" no_value
req 32 DELETE /api/v1/session -H "Cookie: $CS" -H "X-CSRF-Token: $XS"
check_eq "sign-out again: 401" "$CODE" 401
series 32 KU091 -H "Cookie: $C91"
check "another session of the same token goes on" has_value

# ---- revocation ends every session of the token at once ----
series 33 KU049 -H "Cookie: $C49"
check "before revoke: the KU049 session reads its own" has_value
check_eq "before revoke: KU049 has a session row" "$(db 'SELECT COUNT(*) FROM sessions WHERE token_id = 2')" 1
ctl token revoke 2 >"$T/revoke.out"
check "revoke: says the sessions ended" grep -q 'sessions ended' "$T/revoke.out"
series 33 KU049 -H "Cookie: $C49"
check "after revoke: the KU049 session reads as the public at once" no_value
req 33 GET /api/v1/session -H "Cookie: $C49"
check "after revoke: GET says signed out" jqe '.signed_in == false'
check_eq "after revoke: its rows deleted" "$(db 'SELECT COUNT(*) FROM sessions WHERE token_id = 2')" 0
sign_in 34 "$TOK49"
check_eq "after revoke: the token cannot sign in" "$CODE" 401
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- expiry: session_hours = 1, the clock 2 hours on ----
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "session_hours = 1"
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
sign_in 40 "$TOK91"
CE=$COOKIE XE=$CSRF
check "session_hours = 1: Max-Age=3600" sh -c "echo '$(header Set-Cookie)' | grep -q 'Max-Age=3600'"
check "session_hours = 1: expires in an hour" \
	jqe ".expires >= $(date +%s) + 3600 - 60 and .expires <= $(date +%s) + 3600 + 60"
series 40 KU091 -H "Cookie: $CE"
check "within the hour: reads unsuppressed" has_value
stop_daemon
n_rows=$(db 'SELECT COUNT(*) FROM sessions')
check "before the clock moves: sessions are held ($n_rows)" test "$n_rows" -ge 2
LATER=$(($(date +%s) + 2 * 3600))
KUNTAMON_TEST_NOW=$LATER start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
req 41 GET /api/v1/session -H "Cookie: $CE"
check "2 hours on: the session has expired" jqe '.signed_in == false'
series 41 KU091 -H "Cookie: $CE"
check "2 hours on: reads as the public" no_value
submit 41 -H "Cookie: $CE" -H "X-CSRF-Token: $XE"
check_eq "2 hours on: a write with it is 401" "$CODE" 401
# the 12-hour sessions of the first run are still good 2 hours on
series 41 KU091 -H "Cookie: $C91"
check "2 hours on: a 12-hour session still reads" has_value
check "retention prunes the expired session's row" \
	wait_for 30 sh -c "[ \$(sqlite3 '$T/var/kuntamon.db' \"SELECT COUNT(*) FROM sessions WHERE token_id = 1 AND expires <= $LATER\") -eq 0 ]"
check "... and keeps the live ones" test "$(db "SELECT COUNT(*) FROM sessions WHERE expires > $LATER")" -ge 1
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- public = no ----
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "public = no"
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
for p in / /region/MK01 /municipality/KU091 /health /assets/app.js /assets/app.css; do
	req 50 GET "$p"
	check_eq "public = no: GET $p without a session: 200 (the page shows sign-in)" "$CODE" 200
done
req 50 GET /healthz
check_eq "public = no: /healthz" "$(cat "$T/body")" ok
req 50 GET /api/v1/session
check "public = no: GET session says so" jqe '. == {"signed_in": false, "public": false}'
req 50 GET /api/v1/catalog
check_eq "public = no: the API without a session: 401" "$CODE" 401
req 50 GET /api/v1/catalog -H "Cookie: $C91"
check_eq "public = no: the API with a session: 200" "$CODE" 200
series 50 KU091 -H "Cookie: $C91"
check "public = no: the session reads its own unsuppressed" has_value
series 50 KU049 -H "Cookie: $C91"
check "public = no: ... and others withheld" no_value
req 50 GET /municipality/KU091 -H "Authorization: Bearer $BAD"
check_eq "public = no: a bad token on a page is still 401" "$CODE" 401
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- TLS: the cookie is Secure ----
if command -v openssl >/dev/null; then
	export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp ${LSAN_OPTIONS:-}"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$T/server.key" -out "$T/server.crt" 2>"$T/openssl.log"
	INTERVAL=3600 write_conf "$T/k.conf" "[server]" "tls_cert = server.crt" "tls_key = server.key"
	start_daemon "$T/k.conf" || exit 1
	URL="https://127.0.0.1:$D_PORT"
	req 60 POST /api/v1/session --cacert "$T/server.crt" \
		-H "Content-Type: application/json" --data "{\"token\": \"$TOK91\"}"
	check_eq "TLS: sign-in 200" "$CODE" 200
	SC=$(header Set-Cookie)
	for attr in Secure HttpOnly SameSite=Strict Path=/; do
		check "TLS: cookie $attr ($SC)" sh -c "echo '$SC' | tr ';' '\n' | sed 's/^ *//' | grep -qx '$attr'"
	done
	CT=$(echo "$SC" | cut -d';' -f1)
	req 60 DELETE /api/v1/session --cacert "$T/server.crt" -H "Cookie: $CT" \
		-H "X-CSRF-Token: $(jq -r .csrf "$T/body")"
	check "TLS: the dropping cookie is Secure too" sh -c "echo '$(header Set-Cookie)' | grep -q 'Max-Age=0; Secure'"
	stop_daemon
	check_eq "SIGTERM: exit 0" "$D_STATUS" 0
else
	skip "86_session: TLS part (openssl is not installed)"
fi
exit 0
