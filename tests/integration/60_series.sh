#!/bin/bash
# Series end to end, in period time (SPEC §4-7): two months of history
# (p2, p1) imported for a few municipalities of Uusimaa (MK01) and one
# elsewhere, then the real daemon polling fakemuni with fixed values
# (set.* knobs) for the expected period P. Checked from outside:
# - a polled figure lands under P, in SQLite and on every day of P in the
#   RRD file;
# - step=month (the default) gives one point per period at its first
#   second, with "periods" and "reported" beside the points; each point of
#   a region's indicator equals sum/sum recomputed by hand per period,
#   from the municipal RRD files (rrdtool fetch over the period's days,
#   the municipalities' pop_fl from the catalog) and from SQLite's
#   figures, over the municipalities that reported both that period;
# - step=86400 gives every day the figure of the period it lies in, equal
#   to the RRD files' days;
# - the CSV says what the JSON says (period,value by month, time,value
#   otherwise); `kuntamonctl export` gives the API's bytes (a ministry
#   token's: the operator reads unsuppressed);
# - small counts are withheld from the public, also a region's figure that
#   stands on one municipality's small count, and that municipality's
#   months when it stands alone in its region (figure.h: a total of fewer
#   than three is withheld, and so is a member it could be read off);
# - reporting_rate is reported / expected per period;
# - bad questions get 400 or 404;
# - the cache hits, hits again after re-polls that change nothing, and
#   misses once a revision lands, in the region and (every area's public
#   figures may depend on it) elsewhere.
. "$(dirname "$0")/lib.sh"

need jq rrdtool sqlite3 curl


P=$(expected_period)
p1=$(period_add "$P" -1)
p2=$(period_add "$P" -2)
S=$(first_second "$p2")                    # p2's first second
M=$(first_second "$p1")                    # p1's
L=$(first_second "$P")                     # P's
E=$(first_second "$(period_add "$P" 1)")   # the first second after P
MUNIS=$SRC/config/municipalities.csv

start_fakemuni || exit 1
# KU091's knobs go through /control, so that a revision can change them
# later (knobs in the URL would win over /control)
write_endpoints "$T/endpoints.csv" KU091 \
	"KU049?period=$P&set.gp_open=1&set.contacts=600" \
	"KU005?period=$P&set.contacts=3&set.contacts_remote=1"
fake_knob KU091 "period=$P&set.contacts=1500&set.contacts_remote=150&set.gp_open=1" ||
	{ not_ok "fakemuni knobs set"; exit 1; }
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
ctl import "$T/h.csv" >/dev/null || { not_ok "history imported"; exit 1; }
MIN=$(ctl token create --ministry 2>/dev/null)
[ -n "$MIN" ] || { not_ok "ministry token created"; exit 1; }

start_daemon "$T/k.conf" || exit 1
wait_cycles 2 30 || { not_ok "two cycles"; exit 1; }

fig() { # fig AREA PERIOD MEASURE: the figure in SQLite
	db "SELECT printf('%g', value) FROM figures WHERE area = '$1' AND period = $(period_num "$2") AND measure = '$3'"
}
# period_value FILE DS PERIOD: the value every day of PERIOD holds in the
# file (rrdtool fetch from its first second to its last; a row is stamped
# with its day's end), U if every day is unknown, MIXED if the days differ
period_value() {
	_s=$(first_second "$3")
	_e=$(first_second "$(period_add "$3" 1)")
	rrdtool fetch "$1" AVERAGE -r 86400 -s "$_s" -e "$((_e - 1))" |
		awk -v ds="$2" -v s="$_s" -v e="$_e" '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 && NF > 1 { t = $1 + 0
				if (t - 86400 < s || t > e) next
				n++; v = $(c + 1); v = v ~ /nan/ ? "U" : sprintf("%.17g", v + 0)
				if (!(v in seen)) { seen[v] = 1; k++; one = v } }
			END { print (n == 0 ? "NONE" : k == 1 ? one : "MIXED") }'
}
check_eq "polled figure landed under $P (KU091 contacts in SQLite)" "$(fig KU091 "$P" contacts)" 1500
check_eq "polled figure on every day of $P (KU091.rrd)" \
	"$(period_value "$T/var/rrd/KU091.rrd" contacts "$P")" 1500
check_eq "polled figure landed under $P (KU005 contacts)" "$(fig KU005 "$P" contacts)" 3
check_eq "the imported months kept (KU091 contacts $p2 $p1)" \
	"$(period_value "$T/var/rrd/KU091.rrd" contacts "$p2") $(period_value "$T/var/rrd/KU091.rrd" contacts "$p1")" "1200 1300"
check_eq "a month never reported is unknown on every day (KU092 $P)" \
	"$(period_value "$T/var/rrd/KU092.rrd" contacts "$P")" U

URL="http://127.0.0.1:$D_PORT"
# api PATH OUT [CURL ARGS]: body to OUT, prints "STATUS CONTENT-TYPE"
api() {
	_p=$1 _o=$2; shift 2
	curl -s --max-time 20 -o "$_o" -D "$_o.h" "$@" "$URL$_p" >/dev/null
	printf '%s %s\n' "$(awk 'NR == 1 { print $2 }' "$_o.h")" \
		"$(awk -F': ' 'tolower($1) == "content-type" { sub("\r", "", $2); print $2 }' "$_o.h")"
}
# mapi PATH OUT: api with the ministry token (unsuppressed)
mapi() { api "$1" "$2" -H "Authorization: Bearer $MIN"; }
metric() { curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
munis_of() { awk -F, -v r="$1" 'NR > 1 && $4 == r { print "KU" $1 }' "$MUNIS"; }
pop_fl() { awk -F, -v c="${1#KU}" 'NR > 1 && $1 == c { print $8 }' "$MUNIS"; }

# hand_months REGION DS WEIGHTED SCALE PERIOD...: "t value" per period, t
# its first second: sum(DS * pop_fl if WEIGHTED else DS) / sum(pop_fl) *
# SCALE over the region's municipalities whose file holds DS in that
# period (every day the same value), "null" where none does
hand_months() {
	_r=$1 _ds=$2 _w=$3 _sc=$4; shift 4
	for _per in "$@"; do
		for code in $(munis_of "$_r"); do
			f=$T/var/rrd/$code.rrd
			[ -e "$f" ] || continue
			echo "$(period_value "$f" "$_ds" "$_per") $(pop_fl "$code")"
		done | awk -v t="$(first_second "$_per")" -v w="$_w" -v sc="$_sc" '
			$1 == "U" { next }
			$1 !~ /^[0-9.e+-]+$/ { bad = 1; next }
			{ num += (w ? $1 * $2 : $1); den += $2; n++ }
			END { if (bad) print t, "MIXED"
				else if (n == 0) print t, "null"
				else printf "%d %.17g\n", t, num / den * sc }'
	done
}
# hand_days REGION DS WEIGHTED SCALE START END: "t value" per day with a
# value, from each file's daily rows (rrdtool fetch -r 86400); the API
# stamps a point with its start, rrdtool fetch a row with its end
hand_days() {
	for code in $(munis_of "$1"); do
		f=$T/var/rrd/$code.rrd
		[ -e "$f" ] || continue
		rrdtool fetch "$f" AVERAGE -r 86400 -s "$5" -e "$6" |
			awk -v ds="$2" -v fl="$(pop_fl "$code")" -v s="$5" -v e="$6" '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 && NF > 1 { t = $1 - 86400; v = $(c + 1)
				if (t >= s && t < e && v !~ /nan/) print t, v + 0, fl }'
	done | awk -v w="$3" -v scale="$4" '
		{ num[$1] += (w ? $2 * $3 : $2); den[$1] += $3 }
		END { for (t in num) printf "%d %.17g\n", t, num[t] / den[t] * scale }' |
		sort -n
}
# points FILE: "t value" of a JSON answer's points, null included
points() { jq -r '.points[] | "\(.[0]) \(.[1])"' "$1"; }
# same_points API HAND: "BAD KNOWN N": API points that differ from the
# hand's (1e-9 relative; null exactly where the hand has none or null),
# the API's known points, all of them
same_points() {
	awk 'NR == FNR { if ($2 != "null") h[$1] = $2; next }
		{ n++; if ($2 == "null") { if ($1 in h) bad++ }
		  else if (!($1 in h)) bad++
		  else { d = $2 - h[$1]; if (d < 0) d = -d
			 m = h[$1] < 0 ? -h[$1] : h[$1]; if (d > 1e-9 * (m > 1 ? m : 1)) bad++ }
		  if ($2 != "null") known++ }
		END { print (bad + 0) " " (known + 0) " " (n + 0) }' "$2" "$1"
}
# round6: every number of the line to 6 decimals (null kept)
round6() { awk '{ for (i = 1; i <= NF; i++) if ($i != "null") $i = sprintf("%.6f", $i); print }'; }
days=$(( (E - S) / 86400 ))
n_mk01=$(munis_of 01 | wc -l)
in_mk01=$(munis_of 01 | sed "s/.*/'&'/" | paste -sd,)
fl91=$(pop_fl KU091) fl49=$(pop_fl KU049) fl92=$(pop_fl KU092)

# --- a region's indicator by month, recomputed by hand ---
Q="start=$p2&end=$P"
check_eq "MK01 contacts_per_1000: 200 JSON" \
	"$(mapi "/api/v1/series?area=MK01&indicator=contacts_per_1000&$Q" "$T/a.json")" \
	"200 application/json; charset=utf-8"
check_eq "MK01 contacts_per_1000: fields (step month the default, start..end whole months)" \
	"$(jq -r '[.area, .indicator, .unit, .start, .end, .step, (.points | length), .reporting, .expected, .suppressed] | join(" ")' "$T/a.json")" \
	"MK01 contacts_per_1000 per 1000 $S $E month 3 2 $n_mk01 false"
check_eq "MK01 contacts_per_1000: a point per period at its first second" \
	"$(jq -r '[(.points | map(.[0])), .periods] | flatten | join(" ")' "$T/a.json")" \
	"$S $M $L $p2 $p1 $P"
check_eq "MK01 contacts_per_1000: reported per period" \
	"$(jq -r '.reported | join(" ")' "$T/a.json")" "3 3 2"
points "$T/a.json" >"$T/a.pts"
hand_months 01 contacts 0 1000 "$p2" "$p1" "$P" >"$T/a.hand"
check_eq "MK01 contacts_per_1000: each month equals sum/sum from the RRD files" \
	"$(same_points "$T/a.pts" "$T/a.hand")" "0 3 3"
# as numbers: KU091, KU049, KU092 reported contacts in p2 and p1; in P
# only the two polled ones
want=$(awk -v a="$fl91" -v b="$fl49" -v c="$fl92" 'BEGIN {
	printf "%.6f %.6f %.6f", 2300 / (a + b + c) * 1000, 2600 / (a + b + c) * 1000, 2100 / (a + b) * 1000 }')
check_eq "MK01 contacts_per_1000: the months' values" \
	"$(jq -r '.points | map(.[1]) | join(" ")' "$T/a.json" | round6)" "$want"

mapi "/api/v1/series?area=MK01&indicator=gp_coverage&$Q" "$T/g.json" >/dev/null
points "$T/g.json" >"$T/g.pts"
hand_months 01 gp_open 1 100 "$p2" "$p1" "$P" >"$T/g.hand"
check_eq "MK01 gp_coverage: each month equals sum/sum from the RRD files" \
	"$(same_points "$T/g.pts" "$T/g.hand")" "0 3 3"
check_eq "MK01 gp_coverage: reported per period, of $n_mk01" \
	"$(jq -r '"\(.reported | join(" ")) \(.reporting) \(.expected)"' "$T/g.json")" "3 4 2 2 $n_mk01"
# not a mean of ratios: in p2 Helsinki and Vantaa are open, Espoo not
want=$(awk -v a="$fl91" -v b="$fl49" -v c="$fl92" \
	'BEGIN { printf "%.9f", (a + c) / (a + b + c) * 100 }')
check_eq "MK01 gp_coverage: ratio of sums in $p2" \
	"$(jq -r '.points[0][1]' "$T/g.json" | awk '{ printf "%.9f", $1 }')" "$want"

# remote_share from SQLite: only municipalities that reported both
# measures that period (Vantaa has no contacts_remote)
mapi "/api/v1/series?area=MK01&indicator=remote_share&$Q" "$T/rs.json" >/dev/null
for per in "$p2" "$p1" "$P"; do
	v=$(db "SELECT printf('%.17g', 100.0 * SUM(r.value) / SUM(c.value)) FROM figures r
		JOIN figures c ON c.area = r.area AND c.period = r.period AND c.measure = 'contacts'
		WHERE r.measure = 'contacts_remote' AND r.period = $(period_num "$per") AND r.area IN ($in_mk01)")
	echo "$(first_second "$per") ${v:-null}"
done >"$T/rs.hand"
points "$T/rs.json" >"$T/rs.pts"
check_eq "MK01 remote_share: each month equals sum/sum from SQLite's figures" \
	"$(same_points "$T/rs.pts" "$T/rs.hand")" "0 3 3"
check_eq "MK01 remote_share in $p2: Vantaa (no contacts_remote) left out" \
	"$(jq -r '.points[0][1]' "$T/rs.json" | round6)" "$(awk 'BEGIN { printf "%.6f", 103 / 1600 * 100 }')"

# --- step=86400: every day the figure of its period ---
D="start=$S&end=$E&step=86400"
mapi "/api/v1/series?area=MK01&indicator=contacts_per_1000&$D" "$T/d.json" >/dev/null
check_eq "step=86400: fields" \
	"$(jq -r '[.start, .end, .step, (.points | length)] | join(" ")' "$T/d.json")" "$S $E 86400 $days"
points "$T/d.json" >"$T/d.pts"
hand_days 01 contacts 0 1000 "$S" "$E" >"$T/d.hand"
check_eq "step=86400: every day equals sum/sum of the files' days" \
	"$(same_points "$T/d.pts" "$T/d.hand")" "0 $days $days"
check_eq "step=86400: every day equals its period's monthly point" \
	"$(jq -r --slurpfile m "$T/a.json" '
		($m[0] | [.periods, (.points | map(.[1]))] | transpose | map({(.[0]): .[1]}) | add) as $by
		| [.periods, .points] | transpose | map(select(.[1][1] != $by[.[0]])) | length' "$T/d.json")" 0
check_eq "step=86400: periods run beside the days" \
	"$(jq -r '[.periods[0], .periods[-1], (.periods | unique | join(","))] | join(" ")' "$T/d.json")" \
	"$p2 $P $p2,$p1,$P"

# the country's count: a sum over every municipal file, month by month
mapi "/api/v1/series?area=SSS&indicator=contacts&$Q" "$T/s.json" >/dev/null
points "$T/s.json" >"$T/s.pts"
for per in "$p2" "$p1" "$P"; do
	for f in "$T"/var/rrd/KU*.rrd; do period_value "$f" contacts "$per"; done |
		awk -v t="$(first_second "$per")" '$1 == "U" { next }
			$1 !~ /^[0-9.e+-]+$/ { bad = 1 } { sum += $1; n++ }
			END { if (bad) print t, "MIXED"; else if (n) printf "%d %.17g\n", t, sum; else print t, "null" }'
done >"$T/s.hand"
check_eq "SSS contacts: each month equals the sum of the files by hand" \
	"$(same_points "$T/s.pts" "$T/s.hand")" "0 3 3"
check_eq "SSS contacts: the sums, and 4 4 3 of 308 reporting" \
	"$(jq -r '[(.points | map(.[1])), .reported, .expected] | flatten | join(" ")' "$T/s.json")" \
	"2340 2603 2103 4 4 3 308"

# --- CSV ---
check_eq "CSV: 200 text/csv" \
	"$(mapi "/api/v1/series.csv?area=MK01&indicator=contacts_per_1000&$Q" "$T/a.csv")" \
	"200 text/csv; charset=utf-8"
check "CSV: Content-Disposition names the file" \
	grep -qi '^content-disposition: attachment; filename="MK01_contacts_per_1000.csv"' "$T/a.csv.h"
check_eq "CSV by month: header" "$(head -n 1 "$T/a.csv" | tr -d '\r')" "period,value"
check_eq "CSV by month: the periods" "$(tail -n +2 "$T/a.csv" | cut -d, -f1 | paste -sd' ')" "$p2 $p1 $P"
tail -n +2 "$T/a.csv" | tr -d '\r' | while IFS=, read -r per v; do
	printf '%s %s\n' "$(first_second "$per")" "${v:-null}"
done >"$T/a.csv.pts"
check_eq "CSV by month: the same points as the JSON" "$(cat "$T/a.csv.pts")" "$(cat "$T/a.pts")"
mapi "/api/v1/series.csv?area=MK01&indicator=contacts_per_1000&$D" "$T/d.csv" >/dev/null
check_eq "CSV with step=86400: header" "$(head -n 1 "$T/d.csv" | tr -d '\r')" "time,value"
tail -n +2 "$T/d.csv" | tr -d '\r' | while IFS=, read -r when v; do
	printf '%s %s\n' "$(date -u -d "$when" +%s)" "${v:-null}"
done >"$T/d.csv.pts"
check_eq "CSV with step=86400: the same points as the JSON" "$(cat "$T/d.csv.pts")" "$(cat "$T/d.pts")"
check_eq "CSV with step=86400: ISO 8601 UTC times" "$(sed -n 2p "$T/d.csv" | cut -d, -f1)" \
	"$(date -u -d "@$S" +%Y-%m-%dT%H:%M:%SZ)"

# --- the defaults: a year back to this month, by month ---
mapi "/api/v1/series?area=MK01&indicator=contacts" "$T/def.json" >/dev/null
this=$(date -u +%Y-%m)
back=$(date -u -d "@$(( $(date -u +%s) - 365 * 86400 ))" +%Y-%m) # -1y: 365 days
check_eq "defaults: step month, from the month of -1y ($back) to this one" \
	"$(jq -r '[.step, .periods[0], .periods[-1], (.points | length), .points[-1][0]] | join(" ")' "$T/def.json")" \
	"month $back $this $(( $(period_num "$this") - $(period_num "$back") + 1 )) $(first_second "$this")"
mapi "/api/v1/series?area=MK01&indicator=contacts&start=$S&end=$((E - 1))&step=month" "$T/sec.json" >/dev/null
check_eq "start and end in seconds, by month: the months they lie in" \
	"$(jq -r '[.start, .end, (.periods | join(","))] | join(" ")' "$T/sec.json")" "$S $E $p2,$p1,$P"

# --- kuntamonctl export: the API's bytes (a ministry token's) ---
ctl export --area MK01 --indicator contacts_per_1000 --start "$p2" --end "$P" \
	--format json >"$T/x.json"
check "export json (by month, the default) equals the API's bytes" cmp -s "$T/x.json" "$T/a.json"
ctl export --area MK01 --indicator contacts_per_1000 --start "$p2" --end "$P" >"$T/x.csv"
check "export csv (the default) equals the API's bytes" cmp -s "$T/x.csv" "$T/a.csv"
ctl export --area MK01 --indicator contacts_per_1000 --start "$S" --end "$E" \
	--step 86400 >"$T/xd.csv"
check "export --step 86400 csv equals the API's bytes" cmp -s "$T/xd.csv" "$T/d.csv"
ctl export --area MK01 --indicator contacts_per_1000 --start "$S" --end "$E" \
	--step 86400 --format json >"$T/xd.json"
check "export --step 86400 json equals the API's bytes" cmp -s "$T/xd.json" "$T/d.json"
api "/api/v1/series?area=KU091&indicator=gp_open&start=$p2&end=$P" "$T/k.json" >/dev/null
ctl export --area KU091 --indicator gp_open --start "$p2" --end "$P" --step month \
	--format json >"$T/xk.json"
check "export of a municipality's measure equals the API's bytes" cmp -s "$T/xk.json" "$T/k.json"
check_eq "a municipality's measure by month" "$(jq -r '.points | map(.[1]) | join(" ")' "$T/k.json")" "1 1 1"
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
ctl export --area MK01 --indicator gp_open --step fortnight >/dev/null 2>"$T/err"; s=$?
check "export --step fortnight: exit 2 ($(cat "$T/err"))" \
	sh -c "[ $s -eq 2 ] && grep -q -- '--step' '$T/err'"

# --- suppression: KU005's 3 contacts in p1 and P, 40 in p2 ---
# KU005 is all of Etelä-Pohjanmaa (MK14) that reports contacts, in every
# month: the region's total stands on fewer than three municipalities and
# is withheld, and so is KU005's figure, which is that total (figure.h,
# step 4: a withheld total with no withheld member gets its smallest
# member withheld), its 40 in p2 too. The public sees none of its months.
api "/api/v1/series?area=KU005&indicator=contacts&$Q" "$T/p.json" >/dev/null
check_eq "public: small counts withheld, and p2's 40 (alone in MK14, so its region's total)" \
	"$(jq -r '[.suppressed, (.points | map(.[1] | tostring) | join(",")), (.suppressed_points | map(tostring) | join(","))] | map(tostring) | join(" ")' "$T/p.json")" \
	"true null,null,null $S,$M,$L"
api "/api/v1/series.csv?area=KU005&indicator=contacts&$Q" "$T/p.csv" >/dev/null
check_eq "public CSV: withheld values empty" \
	"$(grep -E "^($p2|$p1|$P)," "$T/p.csv" | tr -d '\r' | cut -d, -f2- | paste -sd'|')" "||"
check "public CSV: the number never appears" sh -c "! cut -d, -f2 '$T/p.csv' | tr -d '\r' | grep -qxE '3|40'"
# KU091 is MK01's largest: public in every month (MK01's smallest member,
# KU049, is the one withheld beside its withheld total)
api "/api/v1/series.csv?area=KU091&indicator=contacts&$Q" "$T/p91.csv" >/dev/null
check_eq "public CSV: shown values kept (KU091)" \
	"$(tail -n +2 "$T/p91.csv" | tr -d '\r' | cut -d, -f2 | paste -sd' ')" "1200 1300 1500"
api "/api/v1/series?area=KU005&indicator=contacts&start=$S&end=$E&step=86400" "$T/pd.json" >/dev/null
check_eq "public, by day: every day of $p2, $p1 and $P withheld" \
	"$(jq -r '[.suppressed, ([.points[] | .[1]] | unique | map(tostring) | join(",")), (.suppressed_points | length)] | map(tostring) | join(" ")' "$T/pd.json")" \
	"true null $days"
api "/api/v1/series?area=KU005&indicator=contacts_per_1000&$Q" "$T/p2.json" >/dev/null
check_eq "public: an indicator built on the small count withheld" \
	"$(jq -r '[.suppressed, .points[1][1]] | map(tostring) | join(" ")' "$T/p2.json")" "true null"
ctl export --area KU005 --indicator contacts --start "$p2" --end "$P" --format json >"$T/px.json"
check_eq "export: the operator sees them" \
	"$(jq -r '[.suppressed, (.points | map(.[1] | tostring) | join(","))] | map(tostring) | join(" ")' "$T/px.json")" \
	"false 40,3,3"
mapi "/api/v1/series?area=KU005&indicator=contacts&$Q" "$T/pm.json" >/dev/null
check "a ministry token sees them too" cmp -s "$T/pm.json" "$T/px.json"
# Etelä-Pohjanmaa: KU005 is all of it that reported p1, its count small
api "/api/v1/series?area=MK14&indicator=contacts&$Q" "$T/r.json" >/dev/null
check_eq "public: a region standing on one municipality's small count is withheld" \
	"$(jq -r '[.suppressed, .points[1][1], .reported[1]] | map(tostring) | join(" ")' "$T/r.json")" \
	"true null 1"
mapi "/api/v1/series?area=MK14&indicator=contacts&$Q" "$T/rm.json" >/dev/null
check_eq "ministry: that region's figure shown" \
	"$(jq -r '[.suppressed, .points[1][1]] | map(tostring) | join(" ")' "$T/rm.json")" "false 3"
api "/api/v1/series?area=KU091&indicator=gp_coverage&$Q" "$T/nc.json" >/dev/null
check_eq "public: an indicator without counts is shown" \
	"$(jq -r '[.suppressed, (.points | map(.[1] | tostring) | join(","))] | map(tostring) | join(" ")' "$T/nc.json")" "false 100,100,100"

# --- reporting_rate: per month, reported / expected ---
api "/api/v1/series?area=MK01&indicator=reporting_rate&$Q" "$T/rr.json" >/dev/null
for per in "$p2" "$p1" "$P"; do
	db "SELECT COUNT(DISTINCT area) FROM figures WHERE period = $(period_num "$per") AND area IN ($in_mk01)"
done >"$T/rr.n"
want=$(awk -v n="$n_mk01" '{ printf "%s%.9f", (NR > 1 ? " " : ""), $1 / n * 100 }' "$T/rr.n")
check_eq "reporting_rate: the months, by hand ($(paste -sd' ' "$T/rr.n") of $n_mk01)" \
	"$(jq -r '.points | map(.[1]) | join(" ")' "$T/rr.json" | awk '{ for (i = 1; i <= NF; i++) printf "%s%.9f", (i > 1 ? " " : ""), $i }')" "$want"
check_eq "reporting_rate: the counts are 3 4 2" "$(paste -sd' ' "$T/rr.n")" "3 4 2"
check_eq "reporting_rate: at the months' starts, step month" \
	"$(jq -r '[.points[0][0], .points[1][0], .points[2][0], .step] | map(tostring) | join(" ")' "$T/rr.json")" "$S $M $L month"
check_eq "reporting_rate: never withheld" "$(jq -r '.suppressed' "$T/rr.json")" false

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
bad "step 0: 400" "area=MK01&indicator=contacts&step=0" 400 "parameter step"
bad "step months (not month): 400" "area=MK01&indicator=contacts&step=months" 400 "parameter step"
bad "over 10000 months: 400" "area=MK01&indicator=contacts&start=1980-01&end=9999-12" 400 "parameter start"
bad "over 10000 points with a step: 400" "area=MK01&indicator=contacts&start=1980-01&end=9999-12&step=3600" 400 "parameter step"
bad "a path as an area: 404" "area=..%2Fetc%2Fpasswd&indicator=contacts" 404 "parameter area"
st=$(api "/api/v1/series.csv?area=KU999&indicator=contacts" "$T/bad.json" | cut -d' ' -f1)
check_eq "CSV errors are JSON errors too" "$st $(jq -r 'has("error")' "$T/bad.json")" "404 true"

# --- the cache: hits; unchanged re-polls keep it; a revision misses ---
# (absolute ranges: a relative one is another range once the month turns,
# which on the test clock's 31 December it does while this runs)
h0=$(metric kuntamon_cache_hits_total) m0=$(metric kuntamon_cache_misses_total)
api "/api/v1/series?area=MK02&indicator=gp_coverage&$Q" "$T/c1.json" >/dev/null
api "/api/v1/series?area=MK02&indicator=gp_coverage&$Q" "$T/c2.json" >/dev/null
h1=$(metric kuntamon_cache_hits_total) m1=$(metric kuntamon_cache_misses_total)
check_eq "cache: a miss, then a hit" "$((m1 - m0)) $((h1 - h0))" "1 1"
check "cache: the hit is the same answer" cmp -s "$T/c1.json" "$T/c2.json"
# (as the ministry: the public sees none of MK01's contacts here, the
# total withheld beside MK14's in p2 and p1 and standing on two in P; the
# ministry's answers are cached as the public's are, under their own key)
mapi "/api/v1/series?area=MK01&indicator=contacts&$Q" "$T/c3.json" >/dev/null
n=$(n_cycles)
wait_cycles $((n + 2)) 30 || not_ok "two more cycles"
m1=$(metric kuntamon_cache_misses_total)
mapi "/api/v1/series?area=MK01&indicator=contacts&$Q" "$T/c4.json" >/dev/null
check_eq "cache: re-polls that change nothing keep the region's series (a hit)" \
	"$(($(metric kuntamon_cache_misses_total) - m1))" 0
check "cache: the same answer" cmp -s "$T/c3.json" "$T/c4.json"
# a revision of KU091's P lands in MK01
fake_knob KU091 "period=$P&set.contacts=1600&set.contacts_remote=150&set.gp_open=1"
landed() { [ "$(fig KU091 "$P" contacts)" = 1600 ]; }
check "the revision landed" wait_for 30 landed
# the cycle that took it ends after the caches were told
n=$(n_cycles)
wait_cycles $((n + 1)) 30 || not_ok "the cycle of the revision ended"
m1=$(metric kuntamon_cache_misses_total)
mapi "/api/v1/series?area=MK01&indicator=contacts&$Q" "$T/c5.json" >/dev/null
check_eq "cache: new data in the region makes its series miss" \
	"$(($(metric kuntamon_cache_misses_total) - m1))" 1
check_eq "cache: only $P's point changed, by the revision" \
	"$(jq -r '.points | map(.[1]) | join(" ")' "$T/c4.json") / $(jq -r '.points | map(.[1]) | join(" ")' "$T/c5.json")" \
	"2300 2600 2100 / 2300 2600 2200"
check_eq "the revision is on every day of $P in the file" \
	"$(period_value "$T/var/rrd/KU091.rrd" contacts "$P")" 1600
# New figures anywhere make every area's cached answers stale, another
# region's too: what the public sees of an area depends on other areas'
# figures (figure.h: a region's municipalities, and through the partner
# withheld beside a withheld region, any region), so app_data_landed bumps
# every area's generation, not only the region's and the country's.
h2=$(metric kuntamon_cache_hits_total) m2=$(metric kuntamon_cache_misses_total)
api "/api/v1/series?area=MK02&indicator=gp_coverage&$Q" "$T/c6.json" >/dev/null
check_eq "cache: another region's series misses too (every generation bumped)" \
	"$(($(metric kuntamon_cache_misses_total) - m2)) $(($(metric kuntamon_cache_hits_total) - h2))" "1 0"
check "cache: and is the same answer (nothing landed in MK02)" cmp -s "$T/c1.json" "$T/c6.json"

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
