#!/bin/bash
# Periods (SPEC §4-6): every figure belongs to the month it describes.
# From outside, as its users would see it: a document lands under its own
# period in SQLite and in the RRD file (rrdtool fetch over the month's days
# gives that month's figure, an unreported month is unknown); an unchanged
# re-poll leaves the file untouched (mtime, inode); a revision by poll and
# by submission keeps the old values in the history; a late report lands
# under its own period and never touches the latest one; the receipt says
# new, revision, late or unchanged; a region's latest figure equals its
# monthly series point and the figure recomputed from the municipal ones
# (read as the ministry: Uusimaa stands on two municipalities in P, too few
# for the public, SPEC §7); an import into the running daemon is served
# within seconds; a v1 data
# directory is refused.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 rrdtool


P=$(expected_period)
P0=$(period_add "$P" -1)
P2=$(period_add "$P" -2)
# KU091 and KU049 poll period P; KU092 stays at P0 (Uusimaa: 2 of 3 at P)
start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" "KU091?period=$P&unset.gp_languages=1" \
	"KU049?period=$P" "KU092?period=$P0"
INTERVAL=1 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }
mkdir -p "$T/var"
TOKEN=$(ctl token create KU020 2>>"$T/ctl.log")
check "token created" test -n "$TOKEN"
MIN=$(ctl token create --ministry 2>>"$T/ctl.log")
check "ministry token created" test -n "$MIN"
start_daemon "$T/k.conf" || exit 1
URL="http://127.0.0.1:$D_PORT"
wait_cycles 1 60 || { not_ok "first cycle"; exit 1; }

fig() { # fig AREA PERIOD MEASURE: the figure in SQLite
	db "SELECT value FROM figures WHERE area = '$1' AND period = $(period_num "$2") AND measure = '$3'"
}
# days_of FILE DS PERIOD: the distinct daily values of DS over PERIOD's days
days_of() {
	s=$(first_second "$3")
	e=$(first_second "$(period_add "$3" 1)")
	rrdtool fetch "$1" AVERAGE -r 86400 -s "$s" -e "$((e - 1))" |
		awk -v ds="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 && $1 + 0 < '"$e"' { print $(c + 1) }' | sort -u
}
num() { awk '{ printf "%.6g\n", $1 }'; }

rrd=$T/var/rrd/KU091.rrd
want=$("$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print KU091 "$P" | jq .measures.contacts)
check_eq "KU091: contacts of $P in SQLite" "$(fig KU091 "$P" contacts | num)" "$(echo "$want" | num)"
check_eq "KU091: every day of $P holds $P's figure (rrdtool fetch)" \
	"$(days_of "$rrd" contacts "$P" | num | sort -u | tr '\n' ' ')" "$(echo "$want" | num) "
check_eq "KU091: $P0, never reported, is unknown on every day" \
	"$(days_of "$rrd" contacts "$P0" | tr A-Z a-z | sed 's/^-//' | sort -u | tr '\n' ' ')" "nan "
check_eq "KU091: RRD step is one day" "$(rrdtool info "$rrd" | awk '$1 == "step" { print $3 }')" 86400

# --- unchanged re-polls write nothing --------------------------------------
stat1=$(stat -c '%i %Y' "$rrd")
n_rej=$(db "SELECT COUNT(*) FROM rejections r JOIN polls p ON p.id = r.poll_id WHERE p.area = 'KU091'")
n_polls=$(db "SELECT COUNT(*) FROM polls WHERE area = 'KU091'")
have=$(n_cycles)
wait_cycles $((have + 3)) 60 || not_ok "three more cycles"
check "unchanged re-polls were logged" \
	test "$(db "SELECT COUNT(*) FROM polls WHERE area = 'KU091'")" -ge $((n_polls + 3))
check_eq "unchanged re-polls leave the RRD file untouched (inode, mtime)" "$(stat -c '%i %Y' "$rrd")" "$stat1"
check_eq "unchanged re-polls write no history" "$(db "SELECT COUNT(*) FROM history WHERE area = 'KU091'")" 0
check_eq "a missing measure is recorded once per period, not at every poll" \
	"$(db "SELECT COUNT(*) FROM rejections r JOIN polls p ON p.id = r.poll_id WHERE p.area = 'KU091'")" "$n_rej"
check "the missing measure was recorded" test "$n_rej" -ge 1
check "the log counts unchanged polls" grep -q 'unchanged=[1-9]' "$T/daemon.log"

# --- a revision by poll ----------------------------------------------------
fake_knob KU091 "period=$P&unset.gp_languages=1&set.contacts=777"
wait_for 30 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$P") AND measure = 'contacts'\")\" = 777.0 ]"
check_eq "revision by poll: the figure is replaced" "$(fig KU091 "$P" contacts | num)" 777
check_eq "revision by poll: the old value is in the history" \
	"$(db "SELECT value FROM history WHERE area = 'KU091' AND measure = 'contacts'" | num)" "$(echo "$want" | num)"
check_eq "revision by poll: the file holds the new figure on every day of $P" \
	"$(days_of "$rrd" contacts "$P" | num | sort -u | tr '\n' ' ')" "777 "

# --- submissions: new, late, unchanged, revision -----------------------------
submit() { # submit PERIOD CONTACTS: the receipt's kind
	curl -s --max-time 10 -o "$T/receipt" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data "{\"municipality\":\"KU020\",\"period\":\"$1\",\"measures\":{\"contacts\":$2,\"contacts_remote\":5,\"staff_fte\":2}}" \
		"$URL/api/v1/submissions" >"$T/code"
	jq -r .kind "$T/receipt"
}
check_eq "submission of $P: new" "$(submit "$P" 100)" new
check_eq "submission: 202" "$(cat "$T/code")" 202
check_eq "submission of $P2 after $P: late" "$(submit "$P2" 40)" late
check_eq "the late report lands under its own period" "$(fig KU020 "$P2" contacts | num)" 40
check_eq "the late report leaves the latest period's figure" "$(fig KU020 "$P" contacts | num)" 100
curl -s "$URL/api/v1/latest?indicator=contacts&level=municipality&region=MK06" -H "Authorization: Bearer $TOKEN" >"$T/l.json"
check_eq "/api/v1/latest: KU020 is still at $P" "$(jq -r '.[] | select(.area == "KU020") | .period' "$T/l.json")" "$P"
check_eq "/api/v1/latest: KU020's value is $P's" "$(jq -r '.[] | select(.area == "KU020") | .value' "$T/l.json")" 100
check_eq "the same document again: unchanged" "$(submit "$P" 100)" unchanged
check_eq "a changed figure of a period held: revision" "$(submit "$P" 120)" revision
curl -s "$URL/api/v1/revisions?area=KU020&measure=contacts" -H "Authorization: Bearer $TOKEN" >"$T/r.json"
check_eq "revisions: every value, newest first" \
	"$(jq -c '[.[] | [.period, .value, (.replaced == null), .source]]' "$T/r.json")" \
	"[[\"$P\",120,true,\"submission\"],[\"$P2\",40,true,\"submission\"],[\"$P\",100,false,\"submission\"]]"
check_eq "revisions: another municipality's token is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/revisions?area=KU091" -H "Authorization: Bearer $TOKEN")" 403
check_eq "revisions: no token, 401" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/revisions?area=KU020")" 401
rrd20=$T/var/rrd/KU020.rrd
check_eq "KU020's file: $P2 holds the late report" "$(days_of "$rrd20" contacts "$P2" | num | sort -u | tr '\n' ' ')" "40 "
check_eq "KU020's file: $P holds the revision" "$(days_of "$rrd20" contacts "$P" | num | sort -u | tr '\n' ' ')" "120 "

# --- one number: a region's latest = its monthly series point = recomputed --
# Uusimaa: KU091 and KU049 report P, KU092 P0: P is its latest period.
# Two behind it: withheld from the public (figure.h), so read as the
# ministry
curl -s "$URL/api/v1/latest?indicator=remote_share&level=region" >"$T/reg.pub.json"
check_eq "public: Uusimaa's latest, on two municipalities, withheld" \
	"$(jq -c '.[] | select(.area == "MK01") | [.period, .value, .suppressed]' "$T/reg.pub.json")" "[\"$P\",null,true]"
curl -s "$URL/api/v1/latest?indicator=remote_share&level=region" -H "Authorization: Bearer $MIN" >"$T/reg.json"
lat_p=$(jq -r '.[] | select(.area == "MK01") | .period' "$T/reg.json")
lat_v=$(jq -r '.[] | select(.area == "MK01") | .value' "$T/reg.json")
check_eq "Uusimaa's latest period is the one most of it reported" "$lat_p" "$P"
curl -s "$URL/api/v1/series?area=MK01&indicator=remote_share&start=$P2&end=$P" -H "Authorization: Bearer $MIN" >"$T/s.json"
ser_v=$(jq -r --arg p "$P" '[.periods, .points] | transpose | .[] | select(.[0] == $p) | .[1][1]' "$T/s.json")
check_eq "Uusimaa: latest value = the series point of $P" "$(echo "$lat_v" | num)" "$(echo "$ser_v" | num)"
check_eq "series: step is month, t is the period's first second" \
	"$(jq -r '.step' "$T/s.json") $(jq -r '.points[-1][0]' "$T/s.json")" "month $(first_second "$P")"
mk01=$(awk -F, 'NR > 1 && $4 == "01" { printf "%s'\''KU%s'\''", (n++ ? "," : ""), $1 }' "$SRC/config/municipalities.csv")
pn=$(period_num "$P")
recomputed=$(db "SELECT 100.0 * SUM(r.value) / SUM(c.value) FROM figures r JOIN figures c
	ON c.area = r.area AND c.period = r.period AND c.measure = 'contacts'
	WHERE r.measure = 'contacts_remote' AND r.period = $pn AND r.area IN ($mk01)")
check_eq "Uusimaa: latest value = sum(remote)/sum(contacts) recomputed from SQLite" \
	"$(echo "$lat_v" | num)" "$(echo "$recomputed" | num)"
check_eq "Uusimaa: 2 of its municipalities reported $P" \
	"$(jq -r '.[] | select(.area == "MK01") | "\(.reporting) \(.expected)"' "$T/reg.json")" \
	"2 $(echo "$mk01" | tr ',' '\n' | wc -l)"
curl -s "$URL/api/v1/series.csv?area=MK01&indicator=remote_share&start=$P&end=$P" -H "Authorization: Bearer $MIN" >"$T/s.csv"
check_eq "series.csv: period,value" "$(tr -d '\r' <"$T/s.csv" | head -n 1)" "period,value"
check_eq "series.csv: the same number" "$(tr -d '\r' <"$T/s.csv" | awk -F, -v p="$P" '$1 == p { print $2 }' | num)" "$(echo "$lat_v" | num)"

# --- an import into the running daemon ---------------------------------------
P9=$(period_add "$P" -9)
printf 'area,period,measure,value\nKU049,%s,contacts,4321\n' "$P9" >"$T/back.csv"
check "import of a backfill while the daemon runs" ctl import "$T/back.csv"
# (as the ministry: KU049 is all of Uusimaa in P9, withheld with its total)
served() { curl -s "$URL/api/v1/series?area=KU049&indicator=contacts&start=$P9&end=$P9" -H "Authorization: Bearer $MIN" | jq -e '.points[0][1] == 4321' >/dev/null; }
check "the daemon serves the imported figure within seconds" wait_for 15 served
check_eq "the backfill leaves KU049's latest period" \
	"$(curl -s "$URL/api/v1/latest?indicator=contacts&level=municipality&region=MK01" | jq -r '.[] | select(.area == "KU049") | .period')" "$P"

stop_daemon
check_eq "daemon stopped cleanly" "$D_STATUS" 0

# --- a v1 data directory is refused ------------------------------------------
mkdir -p "$T/v1/rrd"
sqlite3 "$T/v1/kuntamon.db" "PRAGMA user_version = 1; CREATE TABLE polls (id INTEGER PRIMARY KEY);"
sed "s|^dir = .*|dir = $T/v1|" "$T/k.conf" >"$T/v1.conf"
"$B/kuntamond" -c "$T/v1.conf" >"$T/v1.out" 2>&1 &
v1_pid=$!
PIDS="$PIDS $v1_pid"
wait "$v1_pid"
st=$?
check "a v1 data directory: the daemon refuses to start" test "$st" -ne 0
check "a v1 data directory: the message says why and what to do" \
	sh -c "grep -q 'kuntamon v1' '$T/v1.out' && grep -q 'kuntamonctl import' '$T/v1.out'"
check_eq "a v1 data directory: left as it was" "$(sqlite3 "$T/v1/kuntamon.db" 'PRAGMA user_version')" 1

exit 0
