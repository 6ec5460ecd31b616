#!/bin/bash
# Access (SPEC §6-7) end to end, on three months of imported history with
# small counts (contacts 3 in KU091 and KU049, 50 in KU092 every month):
# - an invalid token is refused (401) on every route but /healthz;
# - the public reads small counts withheld; a municipal token reads its own
#   municipality unsuppressed and every other one as the public does,
#   through every route that shows figures (series by month, the default,
#   and by day; series.csv both ways; latest; charts in SVG and PNG, a
#   token's marked private); a ministry token reads everything;
# - a municipal token submits for its own municipality only, and reads
#   the revisions of its own only (403 for another's, 401 without a
#   token); a ministry token reads anyone's;
# - guessing tokens is held to AUTH_FAIL_BURST tries, then 429, even for a
#   good token from that address, while others go on;
# - revocation counts at once; tokens work after a restart;
# - with public = no every read needs a token, and any valid one reads
#   (a municipal token still sees other municipalities withheld); the
#   pages and their assets need none (they hold no figures, and the
#   page's script shows sign-in: 86_session.sh).
# Requests come from different loopback addresses (127.0.0.N) so the
# brute-force limit of one does not spill into another part.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 md5sum
need_loopback_sources

echo "area,url,profile" >"$T/endpoints.csv"
INTERVAL=3600 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

# Three past months of history: P3, P2, P1 (the previous month).
P1=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
{
	echo "area,period,measure,value"
	for k in 1 2 3; do
		p=$(date -u -d "$(date -u +%Y-%m-15) -$k month" +%Y-%m)
		for a in KU091 KU049; do
			echo "$a,$p,contacts,3"
			echo "$a,$p,contacts_remote,1"
		done
		echo "KU092,$p,contacts,50"
		echo "KU092,$p,contacts_remote,20"
	done
} >"$T/history.csv"
mkdir -p "$T/var"
ctl import "$T/history.csv" >"$T/import.out"
check_eq "history imported" "$?" 0
TOK91=$(ctl token create KU091 2>/dev/null)
TOK49=$(ctl token create KU049 2>/dev/null)
MIN=$(ctl token create --ministry 2>/dev/null)
BAD="km_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
START=$(( $(date +%s) - 120 * 86400 ))
END=$(date +%s)
RANGE="start=$START&end=$END"

start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"

# get FROM TOKEN PATH: GET from 127.0.0.FROM with TOKEN ("" for none);
# the body in $T/body, the headers in $T/headers; sets CODE
get() {
	_auth=()
	[ -n "$2" ] && _auth=(-H "Authorization: Bearer $2")
	CODE=$(curl -s --max-time 20 --interface "127.0.0.$1" -o "$T/body" \
		-D "$T/headers" -w '%{http_code}' "${_auth[@]}" "$URL$3")
}
jqe() { jq -e "$1" "$T/body" >/dev/null; }

READS="/metrics
/api/v1/catalog
/api/v1/series?area=KU091&indicator=contacts&$RANGE
/api/v1/series.csv?area=KU091&indicator=contacts&$RANGE
/api/v1/latest?indicator=contacts&level=municipality
/api/v1/health
/chart/KU091/contacts.svg?$RANGE
/chart/KU091/contacts.png?$RANGE
/
/region/MK01
/municipality/KU091
/health
/assets/app.js
/assets/app.css
/assets/favicon.svg"

# ---- an invalid token: 401 everywhere but /healthz ----
i=10
for r in $READS; do
	i=$((i + 1))
	get $i "$BAD" "$r"
	check_eq "invalid token: GET ${r%%\?*}: 401" "$CODE" 401
	get $i "" "$r"
	check "no token, public = yes: GET ${r%%\?*} is not refused ($CODE)" \
		test "$CODE" != 401 -a "$CODE" != 429
done
get 30 "$BAD" /healthz
check_eq "invalid token: /healthz still ok" "$(cat "$T/body")" ok
CODE=$(curl -s --interface 127.0.0.31 -o /dev/null -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $BAD" -H "Content-Type: application/json" \
	--data '{}' "$URL/api/v1/submissions")
check_eq "invalid token: POST /api/v1/submissions: 401" "$CODE" 401

# ---- who reads what, through every route that shows figures ----
# series: KU091's own counts to its token, withheld from others; by month
# (the default step), and by day
series() { # series FROM TOKEN AREA [INDICATOR]
	get "$1" "$2" "/api/v1/series?area=$3&indicator=${4:-contacts}&$RANGE"
}
daily() { # daily FROM TOKEN AREA [INDICATOR]
	get "$1" "$2" "/api/v1/series?area=$3&indicator=${4:-contacts}&$RANGE&step=86400"
}
has_value() { jqe "[.points[][1] | select(. != null)] | length > 0"; }
no_value() { jqe "[.points[][1] | select(. != null)] | length == 0"; }
series 40 "" KU092
check "series: public sees a large count" has_value
check "series: public: not suppressed" jqe '.suppressed == false'
series 40 "" KU091
check "series: public: KU091 withheld" no_value
check "series: public: says suppressed" jqe '.suppressed == true'
series 40 "$TOK91" KU091
check_eq "series: KU091 token on KU091: 200" "$CODE" 200
check "series: KU091 token sees its own count" jqe '[.points[][1] | select(. == 3)] | length > 0'
check "series: KU091 token on KU091: not suppressed" jqe '.suppressed == false'
series 40 "$TOK91" KU049
check "series: KU091 token on KU049: withheld" no_value
check "series: KU091 token on KU049: says suppressed" jqe '.suppressed == true'
series 40 "$TOK91" KU049 contacts_per_1000
check "series: KU091 token on KU049, indicator on a count: withheld" no_value
series 40 "$TOK49" KU049
check "series: KU049 token sees its own count" jqe '[.points[][1] | select(. == 3)] | length > 0'
series 40 "$TOK49" KU091
check "series: KU049 token on KU091: withheld" no_value
series 40 "$MIN" KU049
check "series: ministry sees KU049" jqe '[.points[][1] | select(. == 3)] | length > 0'
series 40 "$MIN" KU091 contacts_per_1000
check "series: ministry sees an indicator on a count" has_value
series 40 "$MIN" KU049
check_eq "series: by month (the default), KU049's three months to the ministry" \
	"$(jq -r '[.step, ([.points[][1] | select(. != null)] | map(tostring) | join(","))] | join(" ")' "$T/body")" \
	"month 3,3,3"
series 40 "" KU049
check_eq "series: by month, the public's withheld points are those months" \
	"$(jq -r '[(.suppressed_points | length), ([.points[][1] | select(. != null)] | length)] | map(tostring) | join(" ")' "$T/body")" "3 0"
daily 40 "$TOK91" KU091
check "series by day: KU091 token sees its own count" jqe '[.points[][1] | select(. == 3)] | length > 27'
daily 40 "$TOK91" KU049
check "series by day: KU091 token on KU049: withheld" no_value
check "series by day: KU091 token on KU049: says suppressed" jqe '.suppressed == true and (.suppressed_points | length) > 27'
daily 40 "$MIN" KU049
check "series by day: ministry sees KU049" jqe '[.points[][1] | select(. == 3)] | length > 27'

csv() { get "$1" "$2" "/api/v1/series.csv?area=$3&indicator=contacts&$RANGE${4:+&step=$4}"; }
csv_values() { tail -n +2 "$T/body" | tr -d '\r' | cut -d, -f2 | grep -c '^3$'; }
csv 41 "$TOK91" KU049
check_eq "series.csv: KU091 token on KU049: 200" "$CODE" 200
check_eq "series.csv: KU091 token on KU049: no value 3" "$(csv_values)" 0
check "series.csv: KU091 token on KU049: the withheld month is empty" \
	sh -c "tr -d '\\r' <'$T/body' | grep -qx '$P1,'"
csv 41 "$TOK91" KU049 86400
check_eq "series.csv by day: KU091 token on KU049: no value 3" "$(csv_values)" 0
check "series.csv by day: KU091 token on KU049: withheld rows are empty" grep -q 'Z,$' "$T/body"
csv 41 "$TOK91" KU091
check_eq "series.csv: KU091 token on KU091: its three months" "$(csv_values)" 3
csv 41 "$TOK91" KU091 86400
check "series.csv by day: KU091 token on KU091: values" test "$(csv_values)" -gt 27
csv 41 "$MIN" KU049
check_eq "series.csv: ministry on KU049: its three months" "$(csv_values)" 3
csv 41 "" KU049
check_eq "series.csv: public on KU049: no value 3" "$(csv_values)" 0
csv 41 "" KU049 86400
check_eq "series.csv by day: public on KU049: no value 3" "$(csv_values)" 0

latest() { get "$1" "$2" "/api/v1/latest?indicator=contacts&level=municipality"; }
row() { jq -c ".[] | select(.area == \"$1\") | [.value, .suppressed]" "$T/body"; }
latest 42 ""
check_eq "latest: public: KU091 withheld" "$(row KU091)" "[null,true]"
check_eq "latest: public: KU091's period is still said ($P1)" \
	"$(jq -r '.[] | select(.area == "KU091") | .period' "$T/body")" "$P1"
check_eq "latest: public: KU092 shown" "$(row KU092)" "[50,false]"
latest 42 "$TOK91"
check_eq "latest: KU091 token: its own value" "$(row KU091)" "[3,false]"
check_eq "latest: KU091 token: KU049 withheld" "$(row KU049)" "[null,true]"
latest 42 "$MIN"
check_eq "latest: ministry: KU049 shown" "$(row KU049)" "[3,false]"
check_eq "latest: ministry: KU091 shown" "$(row KU091)" "[3,false]"

# Charts: withheld points are not drawn, so another municipality's chart
# to a municipal token is the public's chart, byte for byte, and not the
# ministry's.
chart_sum() { # chart_sum FROM TOKEN AREA EXT
	get "$1" "$2" "/chart/$3/contacts.$4?$RANGE&width=400&height=200"
	[ "$CODE" = 200 ] || { echo "status-$CODE"; return; }
	md5sum <"$T/body" | cut -d' ' -f1
}
for ext in svg png; do
	pub49=$(chart_sum 43 "" KU049 $ext)
	mun49=$(chart_sum 43 "$TOK91" KU049 $ext)
	min49=$(chart_sum 43 "$MIN" KU049 $ext)
	pub91=$(chart_sum 43 "" KU091 $ext)
	mun91=$(chart_sum 43 "$TOK91" KU091 $ext)
	min91=$(chart_sum 43 "$MIN" KU091 $ext)
	check "chart $ext: rendered" test "${pub49#status}" = "$pub49" -a "${mun49#status}" = "$mun49"
	check_eq "chart $ext: KU091 token on KU049 = the public's chart" "$mun49" "$pub49"
	check "chart $ext: the ministry's KU049 chart differs (points drawn)" test "$min49" != "$pub49"
	check_eq "chart $ext: KU091 token on KU091 = the ministry's chart" "$mun91" "$min91"
	check "chart $ext: the public's KU091 chart differs" test "$pub91" != "$mun91"
	chart_sum 43 "$TOK91" KU091 $ext >/dev/null
	check "chart $ext: a token's chart is private to it" grep -qi '^Cache-Control: private' "$T/headers"
	chart_sum 43 "" KU091 $ext >/dev/null
	check "chart $ext: the public's chart is public" grep -qi '^Cache-Control: public' "$T/headers"
done

# A municipal token cannot write for another municipality.
PERIOD=$(date -u -d "$(date -u +%Y-%m-15) -1 month" +%Y-%m)
CODE=$(curl -s --interface 127.0.0.44 -o "$T/body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $TOK91" -H "Content-Type: application/json" \
	--data "{\"municipality\": \"KU049\", \"period\": \"$PERIOD\", \"measures\": {\"contacts\": 99}}" \
	"$URL/api/v1/submissions")
check_eq "KU091 token submitting KU049's document: 403" "$CODE" 403
series 44 "$MIN" KU049
check "nothing written for KU049" jqe '[.points[][1] | select(. == 99)] | length == 0'
check_eq "nothing written for KU049 (SQLite)" "$(db "SELECT COUNT(*) FROM figures WHERE area = 'KU049' AND value = 99")" 0
# ... and can for its own: the same figures again change nothing
CODE=$(curl -s --interface 127.0.0.44 -o "$T/body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $TOK91" -H "Content-Type: application/json" \
	--data "{\"municipality\": \"KU091\", \"period\": \"$P1\", \"measures\": {\"contacts\": 3, \"contacts_remote\": 1}}" \
	"$URL/api/v1/submissions")
check_eq "KU091 token submitting its own document: 202, unchanged" "$CODE $(jq -r .kind "$T/body" 2>/dev/null)" "202 unchanged"

# Revisions: a municipality's own, or a ministry's; a token always.
revisions() { get "$1" "$2" "/api/v1/revisions?area=$3&measure=contacts"; }
revisions 45 "" KU091
check_eq "revisions: no token: 401" "$CODE" 401
revisions 45 "$BAD" KU091
check_eq "revisions: an invalid token: 401" "$CODE" 401
revisions 45 "$TOK91" KU091
check_eq "revisions: KU091 token on KU091: 200" "$CODE" 200
check_eq "revisions: KU091 token on KU091: its three months, unsuppressed" \
	"$(jq -c '[.[] | .value] | unique' "$T/body")/$(jq -r 'length' "$T/body")" "[3]/3"
revisions 45 "$TOK91" KU049
check_eq "revisions: KU091 token on KU049: 403" "$CODE" 403
check "revisions: KU091 token on KU049: no figure in the answer" sh -c "! grep -q '\"value\"' '$T/body'"
revisions 45 "$MIN" KU049
check_eq "revisions: ministry on KU049: 200 with its three months" "$CODE $(jq -r 'length' "$T/body")" "200 3"

# ---- brute force ----
n401=0 n429=0
for k in $(seq 1 15); do
	get 50 "km_$(printf '%042d' "$k" | tr 0-9 A-J)A" /api/v1/catalog
	[ "$CODE" = 401 ] && n401=$((n401 + 1))
	[ "$CODE" = 429 ] && n429=$((n429 + 1))
done
check_eq "guessing: the first 10 are judged (401)" "$n401" 10
check_eq "guessing: then 429" "$n429" 5
get 50 "$TOK91" /api/v1/catalog
check_eq "guessing: even a good token from that address waits (429)" "$CODE" 429
check "guessing: says why" grep -q "too many failed token attempts" "$T/body"
get 50 "" /api/v1/catalog
check_eq "guessing: that address still reads as the public" "$CODE" 200
get 51 "$TOK91" /api/v1/catalog
check_eq "guessing: another address is not held" "$CODE" 200

# ---- revocation at once ----
get 60 "$TOK49" "/api/v1/series?area=KU049&indicator=contacts&$RANGE"
check_eq "before revoke: KU049 token reads" "$CODE" 200
ctl token revoke 2 >/dev/null
get 60 "$TOK49" "/api/v1/series?area=KU049&indicator=contacts&$RANGE"
check_eq "after revoke: KU049 token refused at once" "$CODE" 401

# ---- public = no, after a restart ----
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
INTERVAL=3600 write_conf "$T/k.conf" "[server]" "public = no"
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
i=70
for r in $READS; do
	i=$((i + 1))
	get $i "" "$r"
	case $r in
	/api/* | /chart/* | /metrics)
		check_eq "public = no: GET ${r%%\?*} without a token: 401" "$CODE" 401 ;;
	*) # a page or asset: no figures; the page's script shows sign-in
		check_eq "public = no: GET ${r%%\?*} without a token: 200 (a page)" "$CODE" 200 ;;
	esac
	get $i "$TOK91" "$r"
	check_eq "public = no: GET ${r%%\?*} with a municipal token: 200" "$CODE" 200
done
get 90 "" /healthz
check_eq "public = no: /healthz needs nothing" "$(cat "$T/body")" ok
get 90 "$TOK49" /api/v1/catalog
check_eq "after restart: a revoked token stays refused" "$CODE" 401
series 91 "$TOK91" KU091
check "public = no: KU091 token sees its own count" jqe '[.points[][1] | select(. == 3)] | length > 0'
series 91 "$TOK91" KU049
check "public = no: KU091 token on KU049: withheld" no_value
series 91 "$MIN" KU049
check "public = no: ministry sees KU049" jqe '[.points[][1] | select(. == 3)] | length > 0'
revisions 91 "$TOK91" KU091
check_eq "public = no: revisions: KU091 token on KU091: 200" "$CODE" 200
revisions 91 "$TOK91" KU049
check_eq "public = no: revisions: KU091 token on KU049: 403" "$CODE" 403
latest 92 "$TOK91"
check_eq "public = no: latest: KU049 withheld from the KU091 token" "$(row KU049)" "[null,true]"

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
