#!/bin/bash
# Submissions and tokens end to end. kuntamonctl token create prints a
# token once and stores only its hash; POST /api/v1/submissions takes a
# municipality's document through the same ingest path as a poll (202
# with accepted and rejected measures, values in the RRD file with the
# same heartbeat as a polled one, the poll log, reports, violations); v2:
# the receipt's kind is new, revision, late or unchanged, as the figures
# held say, and two documents in the same second both land (v1's 429 is
# gone); every refusal has its status: 400 (not a document, future
# period), 401 (no, bad or revoked token), 403 (another municipality, a
# ministry token), 405, 413 (declared or chunked, not buffered), 415, 429
# (past submit_rate); every submission with a valid token is in the
# audit log, the others only counted on /metrics; a revocation counts at
# once in the running daemon; a token still works after a restart; logs
# past retention_days are pruned at start, figures and history never.
. "$(dirname "$0")/lib.sh"
STARTED=$(date +%s)

need curl jq sqlite3 rrdtool

MAX_BODY=4096
start_fakemuni || exit 1
# KU049 is polled; KU091 and KU092 report only by submission.
write_endpoints "$T/endpoints.csv" KU049
INTERVAL=3600 write_conf "$T/k.conf" "[collect]" "max_body = $MAX_BODY"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

# ---- tokens ----
mkdir -p "$T/var"
TOK91=$(ctl token create KU091 2>"$T/create.err")
check_eq "token create: exit 0" "$?" 0
check "token create: stdout is the token alone ($TOK91)" \
	bash -c "[[ '$TOK91' =~ ^km_[A-Za-z0-9_-]{43}\$ ]]"
check "token create: what it is on stderr" grep -q '^token 1 (municipality KU091) created' "$T/create.err"
TOK49=$(ctl token create KU049 2>/dev/null)
TOK92=$(ctl token create KU092 2>/dev/null)
MIN=$(ctl token create --ministry 2>"$T/create.err")
check "ministry token created" grep -q '^token 4 (ministry) created' "$T/create.err"
check "two tokens differ" test "$TOK91" != "$TOK49"
ctl token create KU999 >"$T/bad.out" 2>&1
check_eq "token create for an unknown area: exit 2" "$?" 2
ctl token create MK01 >/dev/null 2>&1
check_eq "token create for a region: exit 2" "$?" 2
check_eq "token create for an unknown area prints no token" "$(grep -c km_ "$T/bad.out")" 0
check_eq "only hashes are stored (32 bytes each)" \
	"$(db "select count(*) from tokens where length(hash) = 32")" 4
check "no token text in the database files" \
	bash -c "! cat '$T'/var/kuntamon.db* | grep -qaF -e '$TOK91' -e '$MIN'"
ctl token list >"$T/list"
check "token list: header" grep -qE '^id +role +area +created +last_used +revoked' "$T/list"
check "token list: a municipal token" grep -qE '^1 +municipality +KU091 +[0-9T:Z-]+ +- +-$' "$T/list"
check "token list: the ministry token" grep -qE '^4 +ministry +- ' "$T/list"
check "token list: no token text" bash -c "! grep -q km_ '$T/list'"
ctl token revoke x >/dev/null 2>&1
check_eq "token revoke of a non-number: exit 2" "$?" 2
ctl token revoke 99 >/dev/null 2>&1
check_eq "token revoke of no such token: exit 1" "$?" 1

start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
URL="http://127.0.0.1:$D_PORT"
PERIOD=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
EARLIER=$(date -u -d "$(date -u +%Y-%m-15) -3 month" +%Y-%m)
FUTURE=$(date -u -d "$(date -u +%Y-%m-15) +2 month" +%Y-%m)
N_POSTS=0 N_ANON=0

# [CT=TYPE] post TOKEN BODY [CURL ARGS]: POSTs to /api/v1/submissions
# with Content-Type application/json or CT; the answer in $T/body,
# headers in $T/head; sets CODE.
post() {
	_tok=$1 _data=$2
	shift 2
	_auth=()
	[ -n "$_tok" ] && _auth=(-H "Authorization: Bearer $_tok")
	CODE=$(curl -s --max-time 20 -o "$T/body" -D "$T/head" -w '%{http_code}' \
		-X POST "${_auth[@]}" -H "Content-Type: ${CT-application/json}" \
		"$@" --data-binary "$_data" "$URL/api/v1/submissions")
	N_POSTS=$((N_POSTS + 1))
	[ "$CODE" = 401 ] && N_ANON=$((N_ANON + 1))
}
jqe() { jq -e "$1" "$T/body" >/dev/null; }
err_is() { jq -r .error "$T/body" | grep -q "$1"; }
kind() { jq -r .kind "$T/body"; }
fig() { # fig AREA PERIOD MEASURE: the figure in SQLite
	db "SELECT value FROM figures WHERE area = '$1' AND period = $(period_num "$2") AND measure = '$3'"
}
n_history() { db "SELECT COUNT(*) FROM history WHERE area = '$1'"; }
doc() { # doc AREA PERIOD MEASURES-JSON
	printf '{"municipality": "%s", "period": "%s", "measures": %s}' "$1" "$2" "$3"
}
# next_second: returns just after the wall clock turns a second, so two
# quick requests land in the same second
next_second() {
	_s=$(date +%s)
	wait_for 3 test "$(date +%s)" -gt "$_s"
}

# ---- 202: the same ingest path as a poll ----
post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 3, "contacts_remote": 7, "gp_open": 1, "gp_hours": "x", "staff_fte": null, "bogus": 1}')"
check_eq "202: status" "$CODE" 202
check "202: JSON" grep -qi '^content-type: application/json' "$T/head"
check "202: area and period" jqe ".area == \"KU091\" and .period == \"$PERIOD\""
check "202: accepted measures" jqe '.accepted == ["gp_open", "contacts", "contacts_remote"]'
check "202: not a number" jqe '.rejected | index({"measure": "gp_hours", "reason": "not_number"})'
check "202: null" jqe '.rejected | index({"measure": "staff_fte", "reason": "null"})'
check "202: unknown" jqe '.rejected | index({"measure": "bogus", "reason": "unknown"})'
check "202: missing" jqe '.rejected | index({"measure": "referrals", "reason": "missing"})'
check "202: 16 measures judged, plus the unknown" jqe '(.accepted | length) + (.rejected | length) == 17'
check "202: rule violation" jqe '.violations == ["contacts_remote <= contacts"]'
check_eq "202: kind new (a period not held)" "$(kind)" new
rrd=$T/var/rrd/KU091.rrd
check_eq "stored in the RRD file: contacts" "$(rrd_last_value "$rrd" contacts)" 3
check_eq "stored in the RRD file: gp_hours unknown" "$(rrd_last_value "$rrd" gp_hours)" U
hb_submit=$(rrdtool info "$rrd" | sed -n 's/^ds\[contacts\]\.minimal_heartbeat = //p')
check "heartbeat spans a month ($hb_submit s)" test "${hb_submit:-0}" -ge $((31 * 86400))
check_eq "RRD step one day" "$(rrdtool info "$rrd" | awk '$1 == "step" { print $3 }')" 86400
check_eq "stored in SQLite under its period" "$(fig KU091 "$PERIOD" contacts)" 3.0
check_eq "poll log: a submission, 3 accepted" \
	"$(db "select source, accepted, error is null from polls where area = 'KU091'")" "submission|3|1"
check_eq "poll log: rejections recorded" \
	"$(db "select count(*) from rejections r join polls p on p.id = r.poll_id where p.area = 'KU091' and r.reason in ('not_number', 'null', 'unknown')")" 3
check_eq "violation recorded" \
	"$(db "select count(*) from violations v join polls p on p.id = v.poll_id where p.area = 'KU091'")" 1
y=${PERIOD%-*} m=${PERIOD#*-}
check_eq "the period counts as reported" \
	"$(db "select count(*) from reports where area = 'KU091' and period = $((10#$y * 12 + 10#$m - 1))")" 1
check_eq "audit: accepted, with token, address and area" \
	"$(db "select token_id, remote, area, outcome from audit order by id desc limit 1")" \
	"1|127.0.0.1|KU091|accepted"
at=$(db "select max(time) from audit")
check "audit: time is now ($at)" test "$at" -ge "$STARTED" -a "$at" -le "$(date +%s)"
curl -s "$URL/metrics" >"$T/metrics"
check "metrics count the document" grep -qE '^kuntamon_documents_accepted_total [1-9]' "$T/metrics"

# Two documents in the same second both land (v1 answered the second 429):
# the second is a revision of the first.
n=0
while :; do
	next_second
	post "$TOK92" "$(doc KU092 "$PERIOD" "{\"contacts\": $((10 + 2 * n))}")"
	c1=$CODE k1=$(kind)
	post "$TOK92" "$(doc KU092 "$PERIOD" "{\"contacts\": $((11 + 2 * n))}")"
	c2=$CODE k2=$(kind)
	n=$((n + 1))
	[ "$(db "select count(distinct time) from (select time from audit order by id desc limit 2)")" = 1 ] && break
	[ "$n" -ge 3 ] && break
done
check_eq "same second: both in one second" \
	"$(db "select count(distinct time) from (select time from audit order by id desc limit 2)")" 1
check_eq "same second: both 202" "$c1 $c2" "202 202"
check_eq "same second: the second is a revision" "$k2" revision
# (the first of a later try revises the try before)
want_k1=revision
[ "$n" -eq 1 ] && want_k1=new
check_eq "same second: the first is $want_k1" "$k1" "$want_k1"
last92=$((9 + 2 * n))
check_eq "same second: the second value stands (SQLite)" "$(fig KU092 "$PERIOD" contacts)" "$last92.0"
check_eq "same second: the second value stands (RRD file)" "$(rrd_last_value "$T/var/rrd/KU092.rrd" contacts)" "$last92"
check_eq "same second: the first value is in the history" \
	"$(db "select value from history where area = 'KU092' and measure = 'contacts' order by rowid desc limit 1")" \
	"$((last92 - 1)).0"
check_eq "audit: accepted, with the kind" \
	"$(db "select outcome, detail like '%kind=revision%' from audit order by id desc limit 1")" "accepted|1"

# The same document again: unchanged, nothing written.
rrd92=$T/var/rrd/KU092.rrd
st=$(stat -c '%i %.9Y' "$rrd92") h=$(n_history KU092)
post "$TOK92" "$(doc KU092 "$PERIOD" "{\"contacts\": $last92}")"
check_eq "the same figures again: 202" "$CODE" 202
check_eq "the same figures again: kind unchanged" "$(kind)" unchanged
check_eq "unchanged: the RRD file untouched (inode, mtime)" "$(stat -c '%i %.9Y' "$rrd92")" "$st"
check_eq "unchanged: no history entry" "$(n_history KU092)" "$h"
check_eq "unchanged: still in the poll log" \
	"$(db "select count(*) from polls where area = 'KU092' and source = 'submission'")" "$((2 * n + 1))"

# An earlier period: late, stored under its own period; the latest stays.
post "$TOK92" "$(doc KU092 "$EARLIER" '{"contacts": 77}')"
check_eq "an earlier period: 202" "$CODE" 202
check_eq "an earlier period: kind late" "$(kind)" late
check_eq "late: stored under its own period" "$(fig KU092 "$EARLIER" contacts)" 77.0
check_eq "late: the latest period's figure untouched" "$(fig KU092 "$PERIOD" contacts)" "$last92.0"
check_eq "late: the file's last update is still the latest period's" "$(rrd_last_value "$rrd92" contacts)" "$last92"
check_eq "late: no history entry (nothing replaced)" "$(n_history KU092)" "$h"

# A period held, a figure changed: revision, the old value in the history.
post "$TOK92" "$(doc KU092 "$PERIOD" '{"contacts": 12}')"
check_eq "a changed figure of a period held: 202" "$CODE" 202
check_eq "a changed figure of a period held: kind revision" "$(kind)" revision
check_eq "revision: stored" "$(rrd_last_value "$rrd92" contacts)" 12
check_eq "revision: the old value in the history" \
	"$(db "select value from history where area = 'KU092' and measure = 'contacts' order by rowid desc limit 1")" "$last92.0"
check_eq "revision: the late period untouched" "$(fig KU092 "$EARLIER" contacts)" 77.0

# A polled municipality may submit too, in the SPEC §4 layout: a revision
# of the period its endpoint reported.
post "$TOK49" "$(doc KU049 "$PERIOD" '{"contacts": 40}')"
check_eq "polled municipality submits: 202" "$CODE" 202
check_eq "polled municipality submits: a revision of its polled period" "$(kind)" revision
hb_poll=$(rrdtool info "$T/var/rrd/KU049.rrd" | sed -n 's/^ds\[contacts\]\.minimal_heartbeat = //p')
check_eq "heartbeat: the same for a polled and a submitting municipality" "$hb_poll" "$hb_submit"
check_eq "the polled value is in the history" \
	"$(db "select source from history where area = 'KU049' and measure = 'contacts'")" poll

# ---- 400 ----
post "$TOK91" 'not json'
check_eq "not JSON: 400" "$CODE" 400
check "not JSON: says why" err_is "not a JSON object"
post "$TOK91" '[1, 2]'
check_eq "an array: 400" "$CODE" 400
post "$TOK91" "$(doc KU091 "$FUTURE" '{"contacts": 1}')"
check_eq "future period: 400" "$CODE" 400
check "future period: says why" err_is "in the future"
post "$TOK91" '{"municipality": "KU091", "measures": {}}'
check_eq "no period: 400" "$CODE" 400
check_eq "audit: rejected" "$(db "select outcome, area from audit order by id desc limit 1")" "rejected|KU091"
check_eq "poll log: rejected whole" \
	"$(db "select count(*) from polls where area = 'KU091' and source = 'submission' and error like '%future%'")" 1

# ---- 401 ----
post "" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "no token: 401" "$CODE" 401
check "no token: WWW-Authenticate: Bearer" grep -qi '^www-authenticate: bearer' "$T/head"
# without a valid token: counted, not written (anyone can send these)
check_eq "no token: no audit line" "$(db "select count(*) from audit where token_id is null")" 0
post "km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "unknown token: 401" "$CODE" 401
post "" "$(doc KU091 "$PERIOD" '{"contacts": 1}')" -H "Authorization: Basic dXNlcjpwYXNz"
check_eq "Basic credentials: 401" "$CODE" 401
post "${TOK91}x" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "a token with one character more: 401" "$CODE" 401
check_eq "refusals without a valid token: no audit line" "$(db "select count(*) from audit where token_id is null")" 0
check "refusals without a valid token: counted on /metrics" \
	grep -q '^kuntamon_submissions_refused_total{reason="unauthorized"} 4$' <(curl -s "$URL/metrics")

# ---- 403 ----
post "$TOK91" "$(doc KU049 "$PERIOD" '{"contacts": 1}')"
check_eq "another municipality's document: 403" "$CODE" 403
check "another municipality: says why" err_is "names KU049, expected KU091"
check "another municipality: nothing written to its file" \
	test "$(rrd_last_value "$T/var/rrd/KU049.rrd" contacts)" = 40
check_eq "audit: forbidden" "$(db "select outcome, area from audit order by id desc limit 1")" "forbidden|KU091"
post "$MIN" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "a ministry token cannot submit: 403" "$CODE" 403
check_eq "audit: the ministry token's id" "$(db "select token_id, outcome from audit order by id desc limit 1")" "4|forbidden"

# ---- 405, 413, 415 ----
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK91" "$URL/api/v1/submissions")
check_eq "GET: 405" "$code" 405
head -c $((MAX_BODY + 1)) /dev/zero | tr '\0' ' ' >"$T/big"
post "$TOK91" "@$T/big"
check_eq "declared body past max_body: 413" "$CODE" 413
check_eq "audit: too_large" "$(db "select outcome from audit order by id desc limit 1")" too_large
# A chunked body has no length to refuse up front: it is dropped once past
# the limit, unbuffered, and answered 413 at its end (libmicrohttpd 0.9.75
# takes no answer mid-body), also in large pieces and well past the limit.
post "$TOK91" "@$T/big" -H "Transfer-Encoding: chunked"
check_eq "chunked body past max_body: 413" "$CODE" 413
check_eq "audit: too_large" "$(db "select outcome from audit order by id desc limit 1")" too_large
head -c $((MAX_BODY * 20)) /dev/zero | tr '\0' ' ' >"$T/bigger"
post "$TOK91" "@$T/bigger" -H "Transfer-Encoding: chunked"
check_eq "chunked body 20 times max_body: 413, not cut off" "$CODE" 413
# An endless body is not buffered: the connection is cut past 32 times
# the limit.
head -c $((64 * 1024 * 1024)) /dev/zero | curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
	-X POST -H "Authorization: Bearer $TOK91" -H "Content-Type: application/json" \
	-H "Transfer-Encoding: chunked" --data-binary @- "$URL/api/v1/submissions" >"$T/endless" 2>/dev/null
N_POSTS=$((N_POSTS + 1))
check "endless body: no answer but a 413 ($(cat "$T/endless"))" grep -qE '^(413|100|000)$' "$T/endless"
check_eq "endless body: audited as cut off" \
	"$(db "select outcome, detail from audit order by id desc limit 1")" "aborted|0 body too large: cut off"
check_eq "endless body: daemon still serves" "$(curl -s "$URL/healthz")" ok
CT=text/plain post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "text/plain: 415" "$CODE" 415
check_eq "audit: unsupported_type" "$(db "select outcome from audit order by id desc limit 1")" unsupported_type
CT= post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "no content type: 415" "$CODE" 415
CT="application/json; charset=latin1" post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "JSON in latin1: 415" "$CODE" 415
CT="Application/JSON; charset=UTF-8" post "$TOK91" "$(doc KU091 "$FUTURE" '{"contacts": 1}')"
check_eq "JSON, any case, charset UTF-8: judged (400)" "$CODE" 400

# ---- revocation counts at once, without a restart ----
post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 4}')"
check_eq "before revoke: 202" "$CODE" 202
ctl token revoke 1 >"$T/revoke.out"
check_eq "token revoke: exit 0" "$?" 0
check "token revoke: says so" grep -q '^token 1 revoked' "$T/revoke.out"
post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 5}')"
check_eq "after revoke: 401 at once" "$CODE" 401
check "after revoke: says why" err_is "revoked"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK91" "$URL/api/v1/catalog")
check_eq "after revoke: reads refused too" "$code" 401
check_eq "after revoke: the value before stands" "$(rrd_last_value "$rrd" contacts)" 4
check "token list shows it revoked" grep -qE '^1 +municipality +KU091 +[0-9T:Z-]+ +[0-9T:Z-]+ +[0-9T:Z-]+$' <(ctl token list)
check "token list: last use recorded" grep -qE '^3 +municipality +KU092 +[0-9T:Z-]+ +[0-9T:Z-]+ +-$' <(ctl token list)
ctl token revoke 1 >/dev/null
check_eq "revoking twice: exit 0" "$?" 0

# ---- every submission with a valid token is in the audit log ----
check_eq "audit: one line per submission with a valid token" "$(db "select count(*) from audit")" "$((N_POSTS - N_ANON))"
check_eq "audit: every line has address and time" \
	"$(db "select count(*) from audit where remote = '127.0.0.1' and time > 0 and outcome != ''")" "$((N_POSTS - N_ANON))"
check "the others are counted, by reason ($N_ANON)" \
	grep -q "^kuntamon_submissions_refused_total{reason=\"unauthorized\"} $N_ANON\$" <(curl -s "$URL/metrics")

# ---- after a restart: tokens still work; submit_rate; retention ----
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
# Logs older than retention_days (30 here) are pruned at start: polls
# with their rejections and violations, and audit lines; figures and
# their history never, however old. Rows of 31 days ago go, of 29 stay.
now=$(date +%s) old=$(($(date +%s) - 31 * 86400)) recent=$(($(date +%s) - 29 * 86400))
n_polls=$(db "select count(*) from polls") max_poll=$(db "select max(id) from polls")
n_audit=$(db "select count(*) from audit") max_audit=$(db "select max(id) from audit")
for t in $old $recent; do
	db "INSERT INTO polls (area, time, source, error) VALUES ('KU005', $t, 'poll', 'planted');
		INSERT INTO rejections (poll_id, measure, reason) VALUES (last_insert_rowid(), 'contacts', 'planted');
		INSERT INTO violations (poll_id, rule) SELECT max(id), 'planted' FROM polls;
		INSERT INTO audit (time, remote, outcome, detail) VALUES ($t, '192.0.2.1', 'unauthorized', 'planted')"
done
db "INSERT INTO figures VALUES ('KU005', 100, 'contacts', 1, $old, 'import', NULL);
	INSERT INTO history VALUES ('KU005', 100, 'contacts', 2, $old, 'import', NULL, $old)"
INTERVAL=3600 write_conf "$T/k.conf" "[collect]" "max_body = $MAX_BODY" "[server]" "submit_rate = 2" \
	"[storage]" "retention_days = 30"
start_daemon "$T/k.conf" || exit 1
check "retention: pruned at start" wait_for 20 grep -q 'msg="logs pruned" rows=2 retention_days=30' "$T/daemon.log"
check_eq "retention: old polls gone, the rest stay" \
	"$(db "select count(*) from polls where error = 'planted'")/$(db "select count(*) from polls where id <= $max_poll")" "1/$n_polls"
check_eq "retention: their rejections and violations gone" \
	"$(db "select count(*) from rejections where reason = 'planted'")/$(db "select count(*) from violations where rule = 'planted'")" 1/1
check_eq "retention: old audit lines gone, the rest stay" \
	"$(db "select count(*) from audit where detail = 'planted'")/$(db "select count(*) from audit where id <= $max_audit")" "1/$n_audit"
check_eq "retention: figures and their history are kept" \
	"$(db "select count(*) from figures where area = 'KU005'")/$(db "select count(*) from history where area = 'KU005'")" 1/1
URL="http://127.0.0.1:$D_PORT"
post "$TOK92" "$(doc KU092 "$PERIOD" '{"contacts": 20}')"
check_eq "after restart: a token still works" "$CODE" 202
post "$TOK91" "$(doc KU091 "$PERIOD" '{"contacts": 1}')"
check_eq "after restart: a revoked token stays revoked" "$CODE" 401
post "$TOK92" "$(doc KU092 "$FUTURE" '{"contacts": 21}')"
check_eq "submit_rate 2: the second is judged (400)" "$CODE" 400
post "$TOK92" "$(doc KU092 "$PERIOD" '{"contacts": 22}')"
check_eq "submit_rate 2: the third in a minute is 429" "$CODE" 429
check "submit_rate: says why" err_is "more than 2 submissions a minute"
check_eq "submit_rate: the rejected value was not stored" "$(rrd_last_value "$T/var/rrd/KU092.rrd" contacts)" 20
post "$TOK49" "$(doc KU049 "$PERIOD" '{"contacts": 41}')"
check_eq "submit_rate is per token: another one goes on" "$CODE" 202
check_eq "audit: rate_limited" "$(db "select count(*) from audit where outcome = 'rate_limited' and token_id = 3")" 1

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# ---- retention on the test clock: 31 days on, every log row is past 30 ----
# (the poll at start may add a figure or a history row, never take one)
n_fig=$(db "select count(*) from figures") n_hist=$(db "select count(*) from history")
max_hist=$(db "select max(rowid) from history")
KUNTAMON_TEST_NOW=$(($(date +%s) + 31 * 86400)) start_daemon "$T/k.conf" || exit 1
check "test clock: pruned at start" wait_for 20 grep -q 'msg="logs pruned"' "$T/daemon.log"
check_eq "test clock: no poll or audit line older than 30 days is left" \
	"$(db "select count(*) from polls where time < $(date +%s)")/$(db "select count(*) from audit where time < $(date +%s)")" 0/0
check_eq "test clock: figures and history all kept" \
	"$(db "select count(*) >= $n_fig from figures")/$(db "select count(*) from history where rowid <= $max_hist")" "1/$n_hist"
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
