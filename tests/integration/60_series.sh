#!/bin/bash
# Series end to end: two months of history imported for a few
# municipalities of Uusimaa (MK01) and one elsewhere, then the real daemon
# polling fakemuni with fixed values (set.* knobs) for a few cycles. A
# region's value recomputed by hand from the municipal files (rrdtool
# fetch, the municipalities' pop_fl from the catalog) equals the API's,
# with the 22 municipalities that never reported left out; the CSV says
# what the JSON says; `kuntamonctl export` gives the API's bytes; small
# counts are withheld from the public; bad questions get 400 or 404; the
# cache hits, and misses once new data lands.
. "$(dirname "$0")/lib.sh"

for tool in jq rrdtool sqlite3 curl; do
	command -v $tool >/dev/null || { skip "60_series: $tool not installed"; exit 0; }
done

p2=$(date -u -d "$(date -u +%Y-%m-01) -2 month" +%Y-%m)
p1=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
S=$(date -u -d "${p2}-01" +%s)            # p2's first second
M=$(date -u -d "${p1}-01" +%s)            # p1's
E=$(date -u -d "$(date -u +%Y-%m-01)" +%s) # this month's
MUNIS=$SRC/config/municipalities.csv

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" \
	"KU091?set.contacts=1500&set.contacts_remote=150&set.gp_open=1" \
	"KU049?set.gp_open=1&set.contacts=600" "KU005?set.contacts=3"
# The history goes in with hourly samples (heartbeat 3 h); the daemon then
# polls every 2 s and brings the heartbeats down on start.
INTERVAL=1200 write_conf "$T/import.conf"
INTERVAL=2 TIMEOUT=2 write_conf "$T/k.conf"
ctl() { "$B/kuntamonctl" -c "$T/k.conf" "$@"; }

cat >"$T/h.csv" <<EOC
area,period,measure,value
KU091,$p2,gp_open,1
KU091,$p2,contacts,1200
KU091,$p2,contacts_remote,100
KU091,$p1,gp_open,1
KU091,$p1,contacts,1300
KU091,$p1,contacts_remote,120
KU049,$p2,gp_open,0
KU049,$p2,contacts,400
KU049,$p2,contacts_remote,3
KU049,$p1,gp_open,1
KU049,$p1,contacts,500
KU049,$p1,contacts_remote,40
KU092,$p2,gp_open,1
KU092,$p2,contacts,700
KU092,$p1,gp_open,1
KU092,$p1,contacts,800
KU235,$p1,gp_open,1
KU005,$p2,contacts,40
KU005,$p1,contacts,3
KU005,$p1,gp_open,1
EOC
"$B/kuntamonctl" -c "$T/import.conf" import "$T/h.csv" >/dev/null ||
	{ not_ok "history imported"; exit 1; }

start_daemon "$T/k.conf" || exit 1
wait_cycles 2 30 || { not_ok "two cycles"; exit 1; }
check_eq "polled value landed (KU091 contacts)" \
	"$(rrd_last_value "$T/var/rrd/KU091.rrd" contacts)" "1500"
check_eq "polled value landed (KU005 contacts)" \
	"$(rrd_last_value "$T/var/rrd/KU005.rrd" contacts)" "3"

URL="http://127.0.0.1:$D_PORT"
# api PATH OUT: body to OUT, prints "STATUS CONTENT-TYPE"
api() {
	curl -s -o "$2" -D "$2.h" "$URL$1" >/dev/null
	printf '%s %s\n' "$(awk 'NR == 1 { print $2 }' "$2.h")" \
		"$(awk -F': ' 'tolower($1) == "content-type" { sub("\r", "", $2); print $2 }' "$2.h")"
}
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
munis_of() { awk -F, -v r="$1" 'NR > 1 && $4 == r { print "KU" $1 }' "$MUNIS"; }
pop_fl() { awk -F, -v c="${1#KU}" 'NR > 1 && $1 == c { print $8 }' "$MUNIS"; }

# hand REGION DS WEIGHTED SCALE STEP START END: "t value" per point with a
# value: sum(DS * pop_fl if WEIGHTED else DS) / sum(pop_fl) * SCALE over
# the region's municipalities whose file has DS known at t. rrdtool fetch
# stamps a row with its interval's end; the API with its start.
hand() {
	for code in $(munis_of "$1"); do
		f=$T/var/rrd/$code.rrd
		[ -e "$f" ] || continue
		rrdtool fetch "$f" AVERAGE -r "$5" -s "$6" -e "$7" |
			awk -v ds="$2" -v fl="$(pop_fl "$code")" -v step="$5" \
				-v s="$6" -v e="$7" '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 { t = substr($1, 1, length($1) - 1) - step; v = $(c + 1)
				if (t >= s && t < e && v !~ /nan/) print t, v + 0, fl }'
	done | awk -v w="$3" -v scale="$4" '
		{ num[$1] += (w ? $2 * $3 : $2); den[$1] += $3 }
		END { for (t in num) printf "%d %.17g\n", t, num[t] / den[t] * scale }' |
		sort -n
}
# points FILE: "t value" of a JSON answer's points, null included
points() { jq -r '.points[] | "\(.[0]) \(.[1])"' "$1"; }
# same_points API HAND: every API point equals the hand value (1e-9
# relative), null exactly where the hand has none
same_points() {
	awk 'NR == FNR { h[$1] = $2; next }
		{ n++; if ($2 == "null") { if ($1 in h) bad++ }
		  else if (!($1 in h)) bad++
		  else { d = $2 - h[$1]; if (d < 0) d = -d
			 m = h[$1] < 0 ? -h[$1] : h[$1]; if (d > 1e-9 * (m > 1 ? m : 1)) bad++ }
		  if ($2 != "null") known++ }
		END { print (bad + 0) " " (known + 0) " " (n + 0) }' "$2" "$1"
}
days=$(( (E - S) / 86400 ))
n_mk01=$(munis_of 01 | wc -l)

# --- a region's indicator, recomputed by hand ---
Q="start=$S&end=$E&step=86400"
check_eq "MK01 contacts_per_1000: 200 JSON" \
	"$(api "/api/v1/series?area=MK01&indicator=contacts_per_1000&$Q" "$T/a.json")" \
	"200 application/json; charset=utf-8"
check_eq "MK01 contacts_per_1000: fields" \
	"$(jq -r '[.area, .indicator, .unit, .start, .end, .step, (.points | length), .reporting, .expected, .suppressed] | join(" ")' "$T/a.json")" \
	"MK01 contacts_per_1000 per 1000 $S $E 86400 $days 3 $n_mk01 false"
points "$T/a.json" >"$T/a.pts"
hand 01 contacts 0 1000 86400 "$S" "$E" >"$T/a.hand"
check_eq "MK01 contacts_per_1000: every day equals sum/sum by hand" \
	"$(same_points "$T/a.pts" "$T/a.hand")" "0 $days $days"
# the two months, as numbers: KU091, KU049, KU092 reported contacts
fl91=$(pop_fl KU091) fl49=$(pop_fl KU049) fl92=$(pop_fl KU092)
want=$(awk -v a="$fl91" -v b="$fl49" -v c="$fl92" \
	'BEGIN { printf "%.6f %.6f", 2300 / (a + b + c) * 1000, 2600 / (a + b + c) * 1000 }')
check_eq "MK01 contacts_per_1000: the months' values" \
	"$(jq -r --argjson m "$M" '[.points[0][1], (.points[] | select(.[0] == $m) | .[1])] | map(. * 1e6 | round / 1e6 | tostring) | join(" ")' "$T/a.json" |
		awk '{ printf "%.6f %.6f", $1, $2 }')" "$want"

api "/api/v1/series?area=MK01&indicator=gp_coverage&$Q" "$T/g.json" >/dev/null
points "$T/g.json" >"$T/g.pts"
hand 01 gp_open 1 100 86400 "$S" "$E" >"$T/g.hand"
check_eq "MK01 gp_coverage: every day equals sum/sum by hand" \
	"$(same_points "$T/g.pts" "$T/g.hand")" "0 $days $days"
check_eq "MK01 gp_coverage: 4 of $n_mk01 reporting" \
	"$(jq -r '"\(.reporting) \(.expected)"' "$T/g.json")" "4 $n_mk01"
# not a mean of ratios: in p2 Helsinki and Vantaa are open, Espoo not
want=$(awk -v a="$fl91" -v b="$fl49" -v c="$fl92" \
	'BEGIN { printf "%.9f", (a + c) / (a + b + c) * 100 }')
check_eq "MK01 gp_coverage: ratio of sums in $p2" \
	"$(jq -r '.points[0][1]' "$T/g.json" | awk '{ printf "%.9f", $1 }')" "$want"

# the country's count: a sum over every file
api "/api/v1/series?area=SSS&indicator=contacts&$Q" "$T/s.json" >/dev/null
points "$T/s.json" >"$T/s.pts"
for f in "$T"/var/rrd/*.rrd; do
	rrdtool fetch "$f" AVERAGE -r 86400 -s "$S" -e "$E" | awk -v s="$S" -v e="$E" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "contacts") c = i }
		NR > 2 { t = substr($1, 1, length($1) - 1) - 86400; v = $(c + 1)
			if (t >= s && t < e && v !~ /nan/) print t, v + 0 }'
done | awk '{ sum[$1] += $2 } END { for (t in sum) printf "%d %.17g\n", t, sum[t] }' |
	sort -n >"$T/s.hand"
check_eq "SSS contacts: every day equals the sum by hand" \
	"$(same_points "$T/s.pts" "$T/s.hand")" "0 $days $days"
check_eq "SSS contacts: 4 reporting of 308" \
	"$(jq -r '"\(.reporting) \(.expected)"' "$T/s.json")" "4 308"

# --- CSV ---
check_eq "CSV: 200 text/csv" \
	"$(api "/api/v1/series.csv?area=MK01&indicator=contacts_per_1000&$Q" "$T/a.csv")" \
	"200 text/csv; charset=utf-8"
check "CSV: Content-Disposition names the file" \
	grep -qi '^content-disposition: attachment; filename="MK01_contacts_per_1000.csv"' "$T/a.csv.h"
check_eq "CSV: header" "$(head -n 1 "$T/a.csv")" "time,value"
tail -n +2 "$T/a.csv" | while IFS=, read -r when v sup; do
	printf '%s %s\n' "$(date -u -d "$when" +%s)" "${v:-null}"
done >"$T/a.csv.pts"
check_eq "CSV: the same points as the JSON" "$(cat "$T/a.csv.pts")" "$(cat "$T/a.pts")"
check_eq "CSV: ISO 8601 UTC times" "$(sed -n 2p "$T/a.csv" | cut -d, -f1)" \
	"$(date -u -d "@$S" +%Y-%m-%dT%H:%M:%SZ)"

# --- kuntamonctl export: the API's bytes ---
ctl export --area MK01 --indicator contacts_per_1000 --start "$S" --end "$E" \
	--step 86400 --format json >"$T/x.json"
check "export json equals the API's bytes" cmp -s "$T/x.json" "$T/a.json"
ctl export --area MK01 --indicator contacts_per_1000 --start "$S" --end "$E" \
	--step 86400 >"$T/x.csv"
check "export csv (the default) equals the API's bytes" cmp -s "$T/x.csv" "$T/a.csv"
api "/api/v1/series?area=KU091&indicator=gp_open&start=$p2&end=$(date -u -d "@$E" +%Y-%m)" "$T/k.json" >/dev/null
ctl export --area KU091 --indicator gp_open --start "$p2" \
	--end "$(date -u -d "@$E" +%Y-%m)" --format json >"$T/xk.json"
check "export of a municipality's measure equals the API's bytes" cmp -s "$T/xk.json" "$T/k.json"
ctl export --indicator gp_open >/dev/null 2>"$T/err"; s=$?
check_eq "export without --area: exit 2" "$s" 2
ctl export --area MK01 --indicator gp_open --format xml >/dev/null 2>&1; s=$?
check_eq "export --format xml: exit 2" "$s" 2
ctl export --area KU999 --indicator gp_open >/dev/null 2>"$T/err"; s=$?
check "export of an unknown area: exit 2 naming it ($(cat "$T/err"))" \
	sh -c "[ $s -eq 2 ] && grep -q KU999 '$T/err'"
ctl export --area MK01 --indicator gp_open --start yesterday >/dev/null 2>"$T/err"; s=$?
check "export --start yesterday: exit 2 ($(cat "$T/err"))" \
	sh -c "[ $s -eq 2 ] && grep -q -- '--start' '$T/err'"

# --- suppression: KU005's 3 contacts in p1 ---
api "/api/v1/series?area=KU005&indicator=contacts&$Q" "$T/p.json" >/dev/null
check_eq "public: small count withheld" \
	"$(jq -r --argjson m "$M" '[.suppressed, ([.points[] | select(.[0] >= $m) | .[1]] | unique | map(tostring) | join(",")), ([.points[] | select(.[0] < $m) | .[1]] | unique | map(tostring) | join(",")), (.suppressed_points | length)] | map(tostring) | join(" ")' "$T/p.json")" \
	"true null 40 $(( (E - M) / 86400 ))"
api "/api/v1/series.csv?area=KU005&indicator=contacts&$Q" "$T/p.csv" >/dev/null
check_eq "public CSV: withheld value empty" \
	"$(grep "^$(date -u -d "@$M" +%Y-%m-%d)" "$T/p.csv" | cut -d, -f2-)" ""
check "public CSV: the number never appears" sh -c "! cut -d, -f2 '$T/p.csv' | grep -qx 3"
check_eq "public CSV: shown values kept" \
	"$(sed -n 2p "$T/p.csv" | cut -d, -f2-)" "40"
api "/api/v1/series?area=KU005&indicator=contacts_per_1000&$Q" "$T/p2.json" >/dev/null
check_eq "public: an indicator built on the small count withheld" \
	"$(jq -r --argjson m "$M" '[.suppressed, (.points[] | select(.[0] == $m) | .[1])] | map(tostring) | join(" ")' "$T/p2.json")" \
	"true null"
ctl export --area KU005 --indicator contacts --start "$S" --end "$E" \
	--step 86400 --format json >"$T/px.json"
check_eq "export: the operator sees it" \
	"$(jq -r --argjson m "$M" '[.suppressed, (.points[] | select(.[0] == $m) | .[1])] | map(tostring) | join(" ")' "$T/px.json")" \
	"false 3"
api "/api/v1/series?area=MK14&indicator=contacts&$Q" "$T/r.json" >/dev/null
check_eq "a region is never withheld" \
	"$(jq -r --argjson m "$M" '[.suppressed, (.points[] | select(.[0] == $m) | .[1])] | map(tostring) | join(" ")' "$T/r.json")" \
	"false 3"
api "/api/v1/series?area=KU091&indicator=gp_coverage&$Q" "$T/nc.json" >/dev/null
check_eq "public: an indicator without counts is shown" \
	"$(jq -r '[.suppressed, .points[0][1]] | map(tostring) | join(" ")' "$T/nc.json")" "false 100"

# --- reporting_rate: per month, reported / expected ---
api "/api/v1/series?area=MK01&indicator=reporting_rate&start=$p2&end=$(date -u -d "@$E" +%Y-%m)" "$T/rr.json" >/dev/null
y=${p2%-*} m=${p2#*-}
per2=$((10#$y * 12 + 10#$m - 1))
in_mk01=$(munis_of 01 | sed "s/.*/'&'/" | paste -sd,)
r2=$(db "select count(*) from reports where period = $per2 and area in ($in_mk01)")
r1=$(db "select count(*) from reports where period = $((per2 + 1)) and area in ($in_mk01)")
want=$(awk -v a="$r2" -v b="$r1" -v n="$n_mk01" 'BEGIN { printf "%.9f %.9f", a / n * 100, b / n * 100 }')
check_eq "reporting_rate: the months, by hand ($r2 and $r1 of $n_mk01)" \
	"$(jq -r '.points | map(.[1]) | join(" ")' "$T/rr.json" | awk '{ printf "%.9f %.9f", $1, $2 }')" "$want"
check_eq "reporting_rate: at the months' starts, step a nominal month" \
	"$(jq -r '[.points[0][0], .points[1][0], .step] | map(tostring) | join(" ")' "$T/rr.json")" "$S $M 2592000"

# --- bad questions ---
bad() { # NAME QUERY STATUS WORD
	st=$(api "/api/v1/series?$2" "$T/bad.json" | cut -d' ' -f1)
	if [ "$st" = "$3" ] && jq -e --arg w "$4" '.error | contains($w)' "$T/bad.json" >/dev/null 2>&1; then
		ok "$1 ($st $(cat "$T/bad.json"))"
	else
		not_ok "$1 (got $st $(cat "$T/bad.json"))"
	fi
}
bad "unknown area: 404" "area=KU999&indicator=contacts" 404 "KU999"
bad "unknown indicator: 404" "area=MK01&indicator=nope" 404 "nope"
bad "no area: 400" "indicator=contacts" 400 "parameter area"
bad "no indicator: 400" "area=MK01" 400 "parameter indicator"
bad "bad start: 400" "area=MK01&indicator=contacts&start=yesterday" 400 "parameter start"
bad "bad end: 400" "area=MK01&indicator=contacts&end=2026-13" 400 "parameter end"
bad "end before start: 400" "area=MK01&indicator=contacts&start=now&end=-1d" 400 "parameter end"
bad "bad step: 400" "area=MK01&indicator=contacts&step=abc" 400 "parameter step"
bad "over 10000 points: 400" "area=MK01&indicator=contacts&start=1980-01&end=9999-12" 400 "parameter start"
bad "over 10000 points with a step: 400" "area=MK01&indicator=contacts&start=1980-01&end=9999-12&step=3600" 400 "parameter step"
bad "a path as an area: 404" "area=..%2Fetc%2Fpasswd&indicator=contacts" 404 "parameter area"
st=$(api "/api/v1/series.csv?area=KU999&indicator=contacts" "$T/bad.json" | cut -d' ' -f1)
check_eq "CSV errors are JSON errors too" "$st $(jq -r 'has("error")' "$T/bad.json")" "404 true"

# --- the cache: hits, and a miss once new data lands ---
h0=$(metric kuntamon_cache_hits_total) m0=$(metric kuntamon_cache_misses_total)
api "/api/v1/series?area=MK02&indicator=gp_coverage&start=-30d" "$T/c1.json" >/dev/null
api "/api/v1/series?area=MK02&indicator=gp_coverage&start=-30d" "$T/c2.json" >/dev/null
h1=$(metric kuntamon_cache_hits_total) m1=$(metric kuntamon_cache_misses_total)
check_eq "cache: a miss, then a hit" "$((m1 - m0)) $((h1 - h0))" "1 1"
check "cache: the hit is the same answer" cmp -s "$T/c1.json" "$T/c2.json"
api "/api/v1/series?area=MK01&indicator=contacts&$Q" "$T/c3.json" >/dev/null
n=$(n_cycles)
wait_cycles $((n + 2)) 30 # KU091's data lands meanwhile: MK01 is stale
m1=$(metric kuntamon_cache_misses_total)
api "/api/v1/series?area=MK01&indicator=contacts&$Q" "$T/c4.json" >/dev/null
m2=$(metric kuntamon_cache_misses_total)
check_eq "cache: new data in the region makes its series miss" "$((m2 - m1))" 1
check "cache: history unchanged by the new data" cmp -s "$T/c3.json" "$T/c4.json"
h2=$(metric kuntamon_cache_hits_total)
api "/api/v1/series?area=MK02&indicator=gp_coverage&start=-30d" "$T/c5.json" >/dev/null
check_eq "cache: another region's series still hits" \
	"$(($(metric kuntamon_cache_hits_total) - h2))" 1

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
