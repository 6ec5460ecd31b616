#!/bin/bash
# Outliers end to end (SPEC §8). Twelve months of steady figures come by
# submission, then a far one: it is flagged in the same transaction as
# the figure (a flags row), listed by GET /api/v1/flags for its own
# municipality and the ministry, marked "outlier" in /api/v1/data (the
# measure and an indicator built on it, JSON and CSV), listed under
# "outliers" in /api/v1/health for the ministry only, and in the
# municipality's /api/v1/activity. The municipality confirms it with a
# comment (its token; not another municipality's, not the ministry's); a
# second outlier is revised to another far value (a new flag) and then
# corrected by a revision (cleared, no longer open, not in the data). A
# CSV upload's figures are judged too; a confirmation by session needs
# its CSRF value; kuntamonctl import clears what it revises; flags
# survive a restart.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU049
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "submit_rate = 1000"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
mkdir -p "$T/var"
TOK91=$(ctl token create KU091 2>/dev/null)
TOK92=$(ctl token create KU092 2>/dev/null)
MIN=$(ctl token create --ministry 2>/dev/null)
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"

LAST=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
FAR=$(period_add "$LAST" -1)  # the outlier confirmed
FIRST=$(period_add "$LAST" -13) # twelve steady months: FIRST .. FAR - 1

# req METHOD PATH TOKEN [BODY]: the answer in $T/body; sets CODE
req() {
	_auth=()
	[ -n "$3" ] && _auth=(-H "Authorization: Bearer $3")
	if [ $# -ge 4 ]; then
		CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' \
			-X "$1" "${_auth[@]}" -H 'Content-Type: application/json' \
			--data-binary "$4" "$URL$2")
	else
		CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' \
			"${_auth[@]}" "$URL$2")
	fi
}
jqe() { jq -e "$1" "$T/body" >/dev/null; }
submit() { # submit PERIOD CONTACTS [GP_OPEN (default 1)]
	req POST /api/v1/submissions "$TOK91" \
		"{\"municipality\": \"KU091\", \"period\": \"$1\", \"measures\": {\"contacts\": $2, \"staff_fte\": 4, \"gp_open\": ${3:-1}}}"
}
n_flags() { db "SELECT COUNT(*) FROM flags WHERE area = 'KU091' $1"; }

# ---- twelve steady months: nothing flagged ----
ok_all=1 p=$FIRST
for v in 100 102 98 101 99 103 97 100 102 98 101 99; do
	submit "$p" "$v"
	[ "$CODE" = 202 ] || ok_all=0
	p=$(period_add "$p" 1)
done
check_eq "twelve steady months taken (202)" "$ok_all" 1
check_eq "steady months raise no flag" "$(n_flags "")" 0

# ---- a far value: flagged with the figure ----
# history 97..103: median 100, MAD 1.5: z = 0.6745 * 300 / 1.5 = 134.9
# (the guidance point closed that month too: a yes/no measure's change
# is news, not an outlier, and is not flagged)
submit "$FAR" 400 0
check_eq "far value taken (202)" "$CODE" 202
check_eq "flags row: value, median" \
	"$(db "SELECT value || ' ' || median FROM flags WHERE area = 'KU091' AND measure = 'contacts' AND period = $(period_num "$FAR")")" \
	"400.0 100.0"
check_eq "flags row: z = 0.6745 * 300 / 1.5" \
	"$(db "SELECT printf('%.4f', z) FROM flags WHERE area = 'KU091' AND period = $(period_num "$FAR")")" \
	"134.9000"
check_eq "flags row: open, not confirmed" \
	"$(db "SELECT COUNT(*) FROM flags WHERE cleared IS NULL AND confirmed IS NULL AND raised > 0")" 1
check_eq "only contacts flagged (staff_fte steady, gp_open yes/no)" "$(n_flags "")" 1

req GET "/api/v1/flags?area=KU091" "$TOK91"
check_eq "GET flags: own municipality 200" "$CODE" 200
check "GET flags: the row" jqe "length == 1 and .[0].area == \"KU091\" and .[0].measure == \"contacts\" and .[0].period == \"$FAR\" and .[0].value == 400 and .[0].median == 100 and (.[0].z > 3.5) and .[0].comment == null and .[0].confirmed == null and .[0].cleared == null and (.[0].area_name | length > 0)"
req GET "/api/v1/flags?area=KU091" "$TOK92"
check_eq "GET flags: another municipality 403" "$CODE" 403
req GET "/api/v1/flags?area=KU091" ""
check_eq "GET flags: no token 401" "$CODE" 401
req GET "/api/v1/flags" "$TOK91"
check_eq "GET flags: a municipality names its area (400)" "$CODE" 400
req GET "/api/v1/flags" "$MIN"
check "GET flags: the ministry, every open flag" jqe 'length == 1 and .[0].area == "KU091"'

# ---- /api/v1/data: flag outlier ----
# KU091 alone reports in its region: the public sees its counts withheld
# (suppressed wins over outlier); its own token sees them
req GET "/api/v1/data?indicator=contacts&area=KU091&period=$FAR" ""
check "data: public, suppressed wins over outlier" jqe '.rows[0][10] == "suppressed"'
req GET "/api/v1/data?indicator=contacts,contacts_per_1000,reporting_rate&area=KU091&period=$FAR" "$TOK91"
check_eq "data: 200" "$CODE" 200
check "data: the measure and an indicator built on it are outliers, reporting_rate not" \
	jqe '[.rows[] | .[10]] == ["outlier", "outlier", null]'
check "data: the value is still given" jqe '.rows[0][5] == 400'
req GET "/api/v1/data?indicator=contacts&area=KU091&period=$(period_add "$FAR" -1)" "$MIN"
check "data: a steady month has no flag" jqe '.rows[0][10] == null'
curl -s -H "Authorization: Bearer $MIN" "$URL/api/v1/data.csv?indicator=contacts&area=KU091&period=$FAR" >"$T/data.csv"
check "data.csv: flag column outlier" grep -q ',outlier' "$T/data.csv"
ctl export --data --indicator contacts --area KU091 --period "$FAR" --format csv >"$T/export.csv" 2>"$T/export.err"
check "kuntamonctl export --data: the same flag" grep -q "^KU091,.*,contacts,$FAR,400,.*,outlier" "$T/export.csv"

# ---- /api/v1/health: outliers for the ministry only ----
req GET /api/v1/health "$MIN"
check "health: ministry sees outliers" jqe ".outliers | length == 1 and .[0].measure == \"contacts\" and .[0].period == \"$FAR\""
req GET /api/v1/health ""
check "health: public has no outliers" jqe 'has("outliers") | not'
req GET /api/v1/health "$TOK91"
check "health: a municipality has no outliers" jqe 'has("outliers") | not'

# ---- confirming ----
confirm() { # confirm TOKEN PERIOD COMMENT-JSON
	req POST /api/v1/flags "$1" \
		"{\"area\": \"KU091\", \"measure\": \"contacts\", \"period\": \"$2\", \"comment\": $3}"
}
confirm "$TOK92" "$FAR" '"not mine"'
check_eq "confirm: another municipality 403" "$CODE" 403
confirm "$MIN" "$FAR" '"ministry"'
check_eq "confirm: the ministry 403" "$CODE" 403
confirm "" "$FAR" '"anyone"'
check_eq "confirm: no token 401" "$CODE" 401
confirm "$TOK91" "$FIRST" '"steady"'
check_eq "confirm: no flag there 404" "$CODE" 404
confirm "$TOK91" "$FAR" '""'
check_eq "confirm: empty comment 400" "$CODE" 400
confirm "$TOK91" "$FAR" "\"$(printf 'x%.0s' $(seq 501))\""
check_eq "confirm: 501 characters 400" "$CODE" 400
confirm "$TOK91" "$FAR" '"a\u0001b"'
check_eq "confirm: a control character 400" "$CODE" 400
req POST /api/v1/flags "$TOK91" '{"area": "KU091", "measure": "contacts"}'
check_eq "confirm: no period 400" "$CODE" 400
check_eq "refused confirmations changed nothing" \
	"$(db "SELECT COUNT(*) FROM flags WHERE confirmed IS NOT NULL")" 0
# 500 characters of two bytes each are within the limit
confirm "$TOK91" "$FAR" "\"$(printf 'ä%.0s' $(seq 500))\""
check_eq "confirm: 500 characters (1000 bytes) 200" "$CODE" 200
confirm "$TOK91" "$FAR" '"Uusi toimipiste avattiin — ääkköset ok"'
check_eq "confirm: 200" "$CODE" 200
check "confirm: the flag with its comment" jqe '.comment == "Uusi toimipiste avattiin — ääkköset ok" and (.confirmed > 0) and .cleared == null'
check_eq "confirm: stored with the token (id 1)" \
	"$(db "SELECT confirmed_by || ' ' || comment FROM flags WHERE period = $(period_num "$FAR")")" \
	"1 Uusi toimipiste avattiin — ääkköset ok"
req GET "/api/v1/flags?area=KU091" "$TOK91"
check "GET flags: a confirmed flag stays listed with its comment" jqe 'length == 1 and (.[0].comment | startswith("Uusi")) and (.[0].confirmed > 0)'
req GET "/api/v1/data?indicator=contacts&area=KU091&period=$FAR" "$TOK91"
check "data: a confirmed flag is still an outlier" jqe '.rows[0][10] == "outlier"'

# ---- a second outlier, revised: re-evaluated, then cleared ----
submit "$LAST" 3
check_eq "second far value taken (202)" "$CODE" 202
check_eq "second flag raised" "$(n_flags "AND period = $(period_num "$LAST") AND cleared IS NULL")" 1
submit "$LAST" 900
check "revision to another far value: kind revision" jqe '.kind == "revision"'
check_eq "revision judged anew: the flag is the new value's" \
	"$(db "SELECT value || ' ' || (cleared IS NULL) FROM flags WHERE period = $(period_num "$LAST")")" "900.0 1"
submit "$LAST" 101
check "correction: kind revision" jqe '.kind == "revision"'
check_eq "correction clears the flag" \
	"$(db "SELECT (cleared > 0) FROM flags WHERE period = $(period_num "$LAST")")" 1
req GET "/api/v1/flags?area=KU091" "$TOK91"
check "GET flags: the cleared flag is not open" jqe "length == 1 and .[0].period == \"$FAR\""
req GET "/api/v1/flags?area=KU091&all=1" "$TOK91"
check "GET flags all=1: the cleared one too" jqe "length == 2 and ([.[] | select(.period == \"$LAST\")][0].cleared > 0)"
req GET "/api/v1/data?indicator=contacts&area=KU091&period=$LAST" "$TOK91"
check "data: a corrected figure is no outlier" jqe '.rows[0][10] == null and .rows[0][5] == 101'
confirm "$TOK91" "$LAST" '"too late"'
check_eq "confirm: a cleared flag 404" "$CODE" 404
req GET /api/v1/health "$MIN"
check "health: the cleared flag is gone from outliers" jqe '.outliers | length == 1'

# ---- the municipality's record ----
req GET "/api/v1/activity?area=KU091" "$TOK91"
if [ "$CODE" = 200 ]; then
	check "activity: flags, open and cleared" jqe '.flags | length == 2'
else
	not_ok "activity: 200 (got $CODE)"
fi

# ---- a CSV upload is judged too; no spread at all ----
# staff_fte has been 4 every month: MAD and mean deviation 0, so a tenth
# of 4 stands for one standard deviation: 5 is no outlier (z 2.5), 40 is
# (z 90)
printf 'area,period,measure,value\nKU091,%s,staff_fte,5\n' "$LAST" >"$T/up.csv"
CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $TOK91" -H 'Content-Type: text/csv' \
	--data-binary @"$T/up.csv" "$URL/api/v1/submissions")
check_eq "CSV upload taken (202)" "$CODE" 202
check_eq "CSV upload: 4 -> 5 FTE is no outlier" \
	"$(db "SELECT COUNT(*) FROM flags WHERE measure = 'staff_fte'")" 0
printf 'area,period,measure,value\nKU091,%s,staff_fte,40\n' "$LAST" >"$T/up.csv"
CODE=$(curl -s --max-time 20 -o "$T/body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $TOK91" -H 'Content-Type: text/csv' \
	--data-binary @"$T/up.csv" "$URL/api/v1/submissions")
check_eq "CSV upload taken (202)" "$CODE" 202
check_eq "CSV upload: flagged in its transaction, z = 36 / 0.4" \
	"$(db "SELECT value || ' ' || median || ' ' || printf('%.1f', z) FROM flags WHERE measure = 'staff_fte' AND period = $(period_num "$LAST")")" \
	"40.0 4.0 90.0"
req GET "/api/v1/flags?area=KU091" "$TOK91"
check "GET flags: the upload's flag" jqe '[.[] | select(.measure == "staff_fte")][0] | .z == 90 and .value == 40'

# ---- confirming in the browser: a session and its CSRF value ----
CODE=$(curl -s --max-time 20 -o "$T/session" -c "$T/jar" -w '%{http_code}' \
	-X POST -H 'Content-Type: application/json' \
	--data-binary "{\"token\": \"$TOK91\"}" "$URL/api/v1/session")
if [ "$CODE" = 200 ]; then
	CSRF=$(jq -r .csrf "$T/session")
	sconfirm() { # sconfirm [CSRF]
		CODE=$(curl -s --max-time 20 -o "$T/body" -b "$T/jar" -w '%{http_code}' \
			-X POST -H 'Content-Type: application/json' ${1:+-H "X-CSRF-Token: $1"} \
			--data-binary "{\"area\": \"KU091\", \"measure\": \"staff_fte\", \"period\": \"$LAST\", \"comment\": \"Two offices merged.\"}" \
			"$URL/api/v1/flags")
	}
	sconfirm ""
	check_eq "session confirm without X-CSRF-Token: 403" "$CODE" 403
	sconfirm "$CSRF"
	check_eq "session confirm with X-CSRF-Token: 200" "$CODE" 200
	check "session confirm: the comment" jqe '.comment == "Two offices merged." and .measure == "staff_fte"'
else
	not_ok "sign-in for the session checks (got $CODE)"
fi

# ---- an import that revises a flagged figure clears its flag ----
printf 'area,period,measure,value\nKU091,%s,contacts,101\n' "$FAR" >"$T/imp.csv"
ctl import "$T/imp.csv" >"$T/imp.out" 2>&1
check_eq "import: exit 0" "$?" 0
check_eq "import clears the revised figure's flag" \
	"$(db "SELECT (cleared > 0) FROM flags WHERE measure = 'contacts' AND period = $(period_num "$FAR")")" 1
check_eq "import raises no flag of its own" "$(n_flags "")" 3

# ---- a restart keeps the flags (never pruned) ----
stop_daemon
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
req GET "/api/v1/flags?area=KU091&all=1" "$TOK91"
check "after a restart: all three flags" jqe 'length == 3'
exit $((N_FAILED > 0))
