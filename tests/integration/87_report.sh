#!/bin/bash
# Reporting by browser, the server's half (SPEC §8): a dry run
# (?dry_run=1) takes the same path as a submission and stores nothing -
# no figure, history, record, rejection, violation, audit line or RRD
# write - and answers 200 with the receipt a real one gets; a CSV upload
# in the import format is all rows or none (a bad row: 400 naming its
# line, another municipality's row: 403 naming its line, nothing stored),
# and a good one lands whole in one transaction with each period's kind
# (late, revision, new) in SQLite, the RRD file and /api/v1/series; GET
# /api/v1/activity shows a municipality its own record (submissions with
# their outcome and kind, polls, rejections with their reason, rule
# violations, revisions) - 200 for its own token and the ministry's, 403
# for another municipality's, 401 without.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 rrdtool

start_fakemuni || exit 1
# KU049 is polled; KU091 reports only by submission.
write_endpoints "$T/endpoints.csv" KU049
INTERVAL=3600 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
mkdir -p "$T/var"
TOK91=$(ctl token create KU091 2>/dev/null)
TOK49=$(ctl token create KU049 2>/dev/null)
MIN=$(ctl token create --ministry 2>/dev/null)
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
URL="http://127.0.0.1:$D_PORT"
CUR=$(date -u +%Y-%m)
P=$(period_add "$CUR" -1)
PA=$(period_add "$CUR" -2)
EARLIER=$(period_add "$CUR" -3)
RRD=$T/var/rrd/KU091.rrd

# [CT=TYPE] post TOKEN BODY [QUERY]: POSTs to /api/v1/submissions; the
# answer in $T/body; sets CODE.
post() {
	_auth=()
	[ -n "$1" ] && _auth=(-H "Authorization: Bearer $1")
	CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' -X POST \
		"${_auth[@]}" -H "Content-Type: ${CT-application/json}" \
		--data-binary "$2" "$URL/api/v1/submissions${3:+?$3}")
}
# get TOKEN PATH: GETs; the answer in $T/body; sets CODE
get() {
	_auth=()
	[ -n "$1" ] && _auth=(-H "Authorization: Bearer $1")
	CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' \
		"${_auth[@]}" "$URL$2")
}
jqe() { jq -e "$1" "$T/body" >/dev/null; }
doc() { printf '{"municipality": "%s", "period": "%s", "measures": %s}' "$1" "$2" "$3"; }
fig() { db "SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$1") AND measure = '$2'"; }
# the rows of every table a submission or upload writes, and the file
state() {
	db "SELECT (SELECT COUNT(*) FROM figures), (SELECT COUNT(*) FROM history),
		(SELECT COUNT(*) FROM polls), (SELECT COUNT(*) FROM rejections),
		(SELECT COUNT(*) FROM violations), (SELECT COUNT(*) FROM reports),
		(SELECT COUNT(*) FROM audit)"
	rrdtool lastupdate "$RRD" 2>/dev/null | tr '\n' ' '
	stat -c %Y.%i "$RRD" 2>/dev/null
}

# ---- a dry run stores nothing ----
post "$TOK91" "$(doc KU091 "$PA" '{"contacts": 40, "contacts_remote": 10, "gp_open": 1}')"
check_eq "a first real submission: 202" "$CODE" 202
before=$(state)
BAD='{"contacts": 30, "contacts_remote": 50, "gp_open": 5, "bogus": 1}'
post "$TOK91" "$(doc KU091 "$P" "$BAD")" dry_run=1
check_eq "dry run: 200" "$CODE" 200
check "dry run: says so" jqe '.dry_run == true'
check "dry run: kind new (a period not held)" jqe '.kind == "new"'
check "dry run: an out-of-range value rejected with its reason" \
	jqe '.rejected | index({"measure": "gp_open", "reason": "out_of_range"})'
check "dry run: an unknown measure rejected" jqe '.rejected | index({"measure": "bogus", "reason": "unknown"})'
check "dry run: the rule violation" jqe '.violations == ["contacts_remote <= contacts"]'
cp "$T/body" "$T/dry.json"
post "$TOK91" "$(doc KU091 "$PA" '{"contacts": 41, "contacts_remote": 10, "gp_open": 1}')" dry_run=1
check_eq "dry run: a changed figure of a period held is a revision" "$(jq -r .kind "$T/body")" revision
post "$TOK91" "$(doc KU091 "$PA" '{"contacts": 40, "contacts_remote": 10, "gp_open": 1}')" dry_run=1
check_eq "dry run: the same figures are unchanged" "$(jq -r .kind "$T/body")" unchanged
post "$TOK91" "$(doc KU091 "$EARLIER" '{"contacts": 9}')" dry_run=true
check_eq "dry run: an earlier period is late" "$(jq -r .kind "$T/body")" late
post "$TOK91" "$(doc KU049 "$P" '{"contacts": 9}')" dry_run=1
check_eq "dry run: another municipality's document 403, as a real one" "$CODE" 403
post "$TOK91" 'not json' dry_run=1
check_eq "dry run: not a document 400, as a real one" "$CODE" 400
check_eq "dry runs stored nothing (figures, history, polls, rejections, violations, reports, audit; RRD file)" \
	"$(state)" "$before"
post "$TOK91" "$(doc KU091 "$P" '{}')" dry_run=maybe
check_eq "dry_run=maybe: 400" "$CODE" 400
check_eq "dry runs: no figure of the period" "$(fig "$P" contacts)" ""
post "$TOK91" "$(doc KU091 "$P" "$BAD")"
check_eq "the real one: 202" "$CODE" 202
for k in kind accepted rejected violations; do
	check_eq "dry run and real answer alike: $k" \
		"$(jq -c ".$k" "$T/dry.json")" "$(jq -c ".$k" "$T/body")"
done
check_eq "the real one is stored" "$(fig "$P" contacts)" 30.0

# ---- a CSV upload: all rows or none ----
CT=text/csv
before=$(state)
printf 'area,period,measure,value\nKU091,%s,contacts,5\nKU091,%s,contacts,31\nKU091,%s,contacts_remote,x\n' \
	"$EARLIER" "$P" "$P" >"$T/bad.csv"
post "$TOK91" "$(cat "$T/bad.csv")"
check_eq "upload: a bad value 400" "$CODE" 400
check "upload: the error names its line" jqe '.error | test("^line 4: value \"x\" is not a number")'
printf 'area,period,measure,value\nKU091,%s,contacts,5\nKU091,%s,gp_open,3\n' "$EARLIER" "$P" >"$T/range.csv"
post "$TOK91" "$(cat "$T/range.csv")"
check_eq "upload: an out-of-bounds value 400" "$CODE" 400
check "upload: ... naming its line and bounds" jqe '.error | test("^line 3: gp_open = 3 is outside")'
printf 'area,period,measure,value\nKU091,%s,contacts,5\nKU049,%s,contacts,6\n' "$EARLIER" "$EARLIER" >"$T/other.csv"
post "$TOK91" "$(cat "$T/other.csv")"
check_eq "upload: another municipality's row 403" "$CODE" 403
check "upload: ... naming its line" jqe '.error | test("^line 3: a row of KU049")'
CT="text/csv; charset=latin1" post "$TOK91" "$(cat "$T/other.csv")"
check_eq "upload: a charset other than UTF-8 415" "$CODE" 415
check_eq "refused uploads stored nothing (the good rows neither)" "$(state | cut -d'|' -f1-6)" "$(echo "$before" | cut -d'|' -f1-6)"
check_eq "refused uploads: no figure of the earlier period" "$(fig "$EARLIER" contacts)" ""
check_eq "refused uploads: in the audit log" \
	"$(db "SELECT outcome FROM audit ORDER BY id DESC LIMIT 4" | tr '\n' ' ')" "unsupported_type forbidden rejected rejected "

printf 'area,period,measure,value\r\nKU091,%s,contacts,7\r\nKU091,%s,contacts,33\r\nKU091,%s,contacts_remote,3\r\nKU091,%s,contacts,12\r\n' \
	"$EARLIER" "$P" "$P" "$CUR" >"$T/good.csv"
before=$(state)
post "$TOK91" "$(cat "$T/good.csv")" dry_run=1
check_eq "upload dry run: 200" "$CODE" 200
check "upload dry run: kinds late, revision, new" \
	jqe "[.periods[] | .period + \" \" + .kind] == [\"$EARLIER late\", \"$P revision\", \"$CUR new\"]"
check_eq "upload dry run stored nothing" "$(state)" "$before"
n_hist=$(db "SELECT COUNT(*) FROM history WHERE area = 'KU091'")
post "$TOK91" "$(cat "$T/good.csv")"
check_eq "upload: 202" "$CODE" 202
check "upload: area and rows" jqe '.area == "KU091" and .rows == 4 and (has("dry_run") | not)'
check "upload: kinds late, revision, new" \
	jqe "[.periods[] | .period + \" \" + .kind] == [\"$EARLIER late\", \"$P revision\", \"$CUR new\"]"
check "upload: a measure without a row is no rejection" jqe '[.periods[].rejected[]] == []'
check "upload: accepted per period" jqe '.periods[1].accepted == ["contacts", "contacts_remote"]'
check_eq "upload: the late period stored" "$(fig "$EARLIER" contacts)" 7.0
check_eq "upload: the revision stored" "$(fig "$P" contacts)" 33.0
check_eq "upload: the new period stored" "$(fig "$CUR" contacts)" 12.0
check_eq "upload: a measure without a row keeps its figure" "$(fig "$P" gp_open)" ""
check_eq "upload: the revised values in the history (contacts, contacts_remote)" \
	"$(db "SELECT COUNT(*) FROM history WHERE area = 'KU091'")" $((n_hist + 2))
check_eq "upload: one audit line" \
	"$(db "SELECT outcome, detail FROM audit ORDER BY id DESC LIMIT 1")" \
	"accepted|202 csv rows=4 periods=3 new=1 revision=1 late=1 unchanged=0"
check_eq "upload: the RRD file's last period is the new one" "$(rrd_last_value "$RRD" contacts)" 12
# rrd_period DS PERIOD: the file's value of DS on the period's first day
rrd_period() {
	_s=$(first_second "$2")
	rrdtool fetch "$RRD" AVERAGE -r 86400 -s "$_s" -e $((_s + 86400)) |
		awk -v ds="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) col = i + 1 }
			/^[0-9]+:/ { printf "%.6g\n", $col; exit }'
}
check_eq "upload: the RRD file holds the revision" "$(rrd_period contacts "$P")" 33
check_eq "upload: the RRD file holds the late period" "$(rrd_period contacts "$EARLIER")" 7
get "$TOK91" "/api/v1/series?area=KU091&indicator=contacts&start=$P&end=$P"
check_eq "upload: /api/v1/series shows the revised figure" "$(jq -c '.points[0][1]' "$T/body")" 33
get "$TOK91" "/api/v1/series?area=KU091&indicator=contacts&start=$EARLIER&end=$EARLIER"
check_eq "upload: /api/v1/series shows the late figure" "$(jq -c '.points[0][1]' "$T/body")" 7
post "$TOK91" "$(cat "$T/good.csv")"
check "upload again: all unchanged" jqe '[.periods[].kind] == ["unchanged", "unchanged", "unchanged"]'
CT="text/csv; charset=utf-8" post "$MIN" "$(cat "$T/good.csv")"
check_eq "upload with a ministry token: 403" "$CODE" 403
unset CT

# ---- the municipality's record ----
get "$TOK91" "/api/v1/activity?area=KU091"
check_eq "activity: own token 200" "$CODE" 200
cp "$T/body" "$T/activity.json"
check "activity: every list" jqe '.area == "KU091" and ([.submissions, .polls, .rejections, .violations, .revisions] | all(type == "array"))'
check "activity: the upload, newest first, with its outcome" \
	jqe '.submissions[0].outcome == "accepted" and .submissions[0].status == 202 and (.submissions[0].detail | startswith("csv rows=4"))'
check "activity: a document taken says its kind" jqe '[.submissions[] | select(.kind == "new")] | length >= 1'
check "activity: a refusal with its reason" \
	jqe '[.submissions[] | select(.status == 403 and (.detail | test("line 3: a row of KU049")))] | length == 1'
check "activity: no dry run in the record" jqe '[.submissions[] | select(.status == 200)] | length == 0'
check "activity: the rejected value (as given) with its reason" \
	jqe "[.rejections[] | select(.measure == \"gp_open\" and .value == 5 and .reason == \"out_of_range\" and .period == \"$P\")] | length == 1"
check "activity: the rule violation" jqe "[.violations[] | select(.rule == \"contacts_remote <= contacts\" and .period == \"$P\")] | length >= 1"
check "activity: revisions, the same rows as /api/v1/revisions" \
	jqe "[.revisions[] | select(.period == \"$P\" and .measure == \"contacts\" and .value == 30 and .replaced != null)] | length == 1"
get "$TOK91" "/api/v1/revisions?area=KU091"
check_eq "activity: revisions as /api/v1/revisions gives them" \
	"$(jq -c '.revisions' "$T/activity.json")" "$(jq -c '.[:50]' "$T/body")"
get "$MIN" "/api/v1/activity?area=KU091"
check_eq "activity: the ministry 200" "$CODE" 200
get "$TOK49" "/api/v1/activity?area=KU091"
check_eq "activity: another municipality's token 403" "$CODE" 403
get "" "/api/v1/activity?area=KU091"
check_eq "activity: no token 401" "$CODE" 401
get "$MIN" "/api/v1/activity?area=KU049"
check "activity: a polled municipality's polls" jqe '.polls | length >= 1 and (.[0].ok == true) and (.[0].http_status == 200) and (.[0].error == null)'
get "$TOK91" "/api/v1/activity?area=KU091&limit=1"
check "activity: limit=1 keeps one of each" jqe '[.submissions, .rejections, .violations, .revisions] | all(length <= 1)'
get "$TOK91" "/api/v1/activity?area=KU091&limit=0"
check_eq "activity: limit=0 400" "$CODE" 400
get "$MIN" "/api/v1/activity?area=MK01"
check_eq "activity: a region 404" "$CODE" 404
get "$MIN" "/api/v1/activity"
check_eq "activity: no area 400" "$CODE" 400

[ "$N_FAILED" -eq 0 ]
