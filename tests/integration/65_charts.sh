#!/bin/bash
# Charts end to end, in period time: a year of monthly history imported for
# three municipalities of Uusimaa (MK01), the real daemon polling fakemuni
# for the previous month. PNG and SVG come at the size asked for, titled in
# the language asked for, reporting_rate too; bad parameters are 400 and
# unknown names 404, as JSON; path tricks never reach a file; the same
# chart again is served from the cache; JSON answers stay quick while
# charts render.
# What a chart draws (SPEC §6, v2: one number per area, indicator and
# period) is read back from the SVG: the line is a step function with one
# plateau per month that has a value (none where unknown or withheld),
# each plateau at the height of the series API's monthly point for that
# month (heights an affine function of the values, the steps at the
# months' first seconds); a month given as end is included; a revision of
# an old month imported into the running daemon is drawn within seconds.
# With rrdcached, a chart flushes the file it draws on, and a new month is
# drawn at once.
. "$(dirname "$0")/lib.sh"

need curl od jq

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU049 KU092
INTERVAL=1200 write_conf "$T/import.conf"
INTERVAL=300 TIMEOUT=2 write_conf "$T/k.conf"

CUR=$(date -u +%Y-%m)

# Twelve months before the last: contacts, remote contacts, a guidance
# point; Vantaa (KU092) leaves one month (7 months ago) unreported.
{
	echo "area,period,measure,value"
	for i in $(seq 13 -1 2); do
		p=$(date -u -d "$(date -u +%Y-%m-01) -$i month" +%Y-%m)
		echo "KU091,$p,contacts,$((1000 + i * 10))"
		echo "KU091,$p,contacts_remote,$((100 + i))"
		echo "KU091,$p,gp_open,1"
		echo "KU049,$p,contacts,$((400 + i * 5))"
		echo "KU049,$p,contacts_remote,$((i % 6))"
		echo "KU049,$p,gp_open,$((i % 2))"
		[ "$i" -eq 7 ] && continue
		echo "KU092,$p,contacts,$((700 + i))"
		echo "KU092,$p,gp_open,1"
	done
} >"$T/h.csv"
"$B/kuntamonctl" -c "$T/import.conf" import "$T/h.csv" >/dev/null ||
	{ not_ok "history imported"; exit 1; }
MIN=$("$B/kuntamonctl" -c "$T/k.conf" token create --ministry 2>/dev/null)
[ -n "$MIN" ] || { not_ok "ministry token created"; exit 1; }
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }
U="http://127.0.0.1:$D_PORT"

# get PATH [CURL ARGS]: body to $T/body, headers to $T/headers; prints the
# status
get() {
	_p=$1; shift
	curl -s --max-time 30 -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@" "$U$_p"
}
header() { grep -i "^$1:" "$T/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
# bytes N at OFFSET of the body, as unsigned decimals
bytes() { od -An -tu1 -j "$1" -N "$2" "$T/body" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
be32() { set -- $(bytes "$1" 4); echo $(($1 * 16777216 + $2 * 65536 + $3 * 256 + $4)); }
is_png() { [ "$(bytes 0 8)" = "137 80 78 71 13 10 26 10" ] && [ "$(od -An -c -j 12 -N 4 "$T/body" | tr -d ' ')" = "IHDR" ]; }

# PNG: the signature, and IHDR's width and height are the whole image's,
# at the next of the drawn sizes (widths 400 720 800 1200 2000, heights
# 150 300 600 1200).
for size in 640x240:720x300 200x100:400x150 2000x1200:2000x1200 800x300:800x300 801x301:1200x600; do
	asked=${size%:*} size=${size#*:}
	w=${size%x*} h=${size#*x}
	st=$(get "/chart/MK01/remote_share.png?width=${asked%x*}&height=${asked#*x}")
	check_eq "PNG $size: 200" "$st" 200
	check_eq "PNG $size: content type" "$(header Content-Type)" "image/png"
	check "PNG $size: signature and IHDR" is_png
	check_eq "PNG $size: IHDR width" "$(be32 16)" "$w"
	check_eq "PNG $size: IHDR height" "$(be32 20)" "$h"
done
st=$(get "/chart/KU091/contacts.png")
check_eq "PNG default size: 200" "$st" 200
check_eq "PNG default size: 800x300" "$(be32 16)x$(be32 20)" "800x300"
check "Cache-Control max-age" grep -qi '^Cache-Control: public, max-age=60' "$T/headers"

# SVG: the size in pixels, the title as text in the language asked for.
st=$(get "/chart/KU091/contacts.svg?width=400&height=150&lang=sv")
check_eq "SVG: 200" "$st" 200
check_eq "SVG: content type" "$(header Content-Type)" "image/svg+xml"
check "SVG: an svg root of 400x150" grep -q '<svg .*width="400" height="150"' "$T/body"
check "SVG: Swedish title" grep -q '<title>Helsingfors — ' "$T/body"
check "SVG: ends" sh -c "tail -c 16 '$T/body' | grep -q '</svg>'"
if command -v xmllint >/dev/null; then
	check "SVG: well-formed XML" xmllint --noout "$T/body"
else
	skip "SVG well-formedness (xmllint not installed)"
fi
st=$(get "/chart/MK01/gp_coverage.svg" -H 'Accept-Language: de, en;q=0.8, fi;q=0.5')
check_eq "SVG by Accept-Language: 200" "$st" 200
check "SVG by Accept-Language: English title" grep -q '<title>Uusimaa — Guidance point coverage' "$T/body"
# (the server adds what tells readers apart: Authorization, Cookie)
check "SVG by Accept-Language: Vary ($(header Vary))" \
	bash -c "case '$(header Vary)' in Accept-Language*) ;; *) exit 1 ;; esac"
st=$(get "/chart/MK01/gp_coverage.svg")
check "SVG without a language: Finnish" grep -q '<title>Uusimaa — Ohjauspisteiden kattavuus' "$T/body"
# the whole country, 308 municipalities, most without a file
st=$(get "/chart/SSS/remote_share.png?start=-2y")
check_eq "the whole country: 200" "$st" 200
check "the whole country: a PNG" is_png
# a region none of whose municipalities has a file: a frame
st=$(get "/chart/MK19/contacts.svg?width=300&height=150")
check_eq "a region without files: 200" "$st" 200
check "a region without files: SVG" grep -q '<svg .*width="400" height="150"' "$T/body"
st=$(get "/chart/KU091/contacts.png" -I)
check_eq "HEAD: 200" "$st" 200
# reporting_rate, counted by month from the database
st=$(get "/chart/MK01/reporting_rate.png?start=-400d&width=400&height=300")
check_eq "reporting_rate: 200" "$st" 200
check "reporting_rate: a PNG" is_png
check_eq "reporting_rate: 400x300" "$(be32 16)x$(be32 20)" "400x300"

# ---- what a chart draws: the series API's monthly values ----
# plateaus: the horizontal runs of the chart's line (stroke-width 2, the
# line colour) in $T/body, an SVG from librrd: "X0 X1 Y" in drawing order,
# runs of 2 px or more (the steps between months are 1 px slopes)
plateaus() {
	awk '/stroke-width:2;/ && /stroke:rgb\(12\.156863%,37\.254902%,67\.843137%\)/ {
		s = $0; sub(/.* d="/, "", s); sub(/".*/, "", s)
		n = split(s, w, " ")
		for (i = 1; i + 2 <= n; i++) {
			if (w[i] != "M" && w[i] != "L") continue
			x = w[i + 1] + 0; y = w[i + 2] + 0
			if (w[i] == "M" || y != py) { flush(); x0 = x }
			x1 = x; py = y; have = 1; i += 2
		}
		flush()
	}
	function flush() { if (have && x1 - x0 >= 2) print x0, x1, py; have = 0 }' "$T/body"
}
# drawn CHART SERIES [CURL ARGS]: compares the SVG chart at CHART with the
# series API's answer at SERIES (step=month), both for the same reader.
# Prints "N plateaus at the API's values" when the chart has a plateau for
# each of the N months with a value, in order, and (with 3 or more
# distinct values) the plateaus' heights are an affine function of the
# values (0.6 px; higher values higher) and their starts one of the
# months' first seconds (1.5 px); else what differs.
drawn() {
	_c=$1 _s=$2; shift 2
	st=$(get "$_s" "$@")
	[ "$st" = 200 ] || { echo "series: $st"; return; }
	jq -r '.points[] | select(.[1] != null) | "\(.[0]) \(.[1])"' "$T/body" >"$T/want.pts"
	st=$(get "$_c" "$@")
	[ "$st" = 200 ] || { echo "chart: $st"; return; }
	cp "$T/body" "$T/drawn.svg"
	plateaus >"$T/drawn.pl"
	if [ "$(wc -l <"$T/want.pts")" -ne "$(wc -l <"$T/drawn.pl")" ]; then
		echo "$(wc -l <"$T/want.pts") months with a value, $(wc -l <"$T/drawn.pl") plateaus drawn"
		return
	fi
	paste -d' ' "$T/want.pts" "$T/drawn.pl" | awk '
		function fit(k,    i, mu, mv, suv, suu, b, a, r, worst) {
			mu = mv = suv = suu = 0
			for (i = 1; i <= n; i++) { mu += u[i]; mv += v[i] }
			mu /= n; mv /= n
			for (i = 1; i <= n; i++) { suv += (u[i] - mu) * (v[i] - mv); suu += (u[i] - mu) ^ 2 }
			b = suu > 0 ? suv / suu : 0; a = mv - b * mu; worst = 0
			for (i = 1; i <= n; i++) { r = v[i] - a - b * u[i]; if (r < 0) r = -r; if (r > worst) worst = r }
			slope[k] = b; return worst
		}
		{ n++; t[n] = $1; val[n] = $2; x0[n] = $3; y[n] = $5
		  if (!($2 in seen)) { seen[$2] = 1; distinct++ } }
		END {
			if (distinct < 3) { print (n + 0) " plateaus at the API'"'"'s values"; exit }
			for (i = 1; i <= n; i++) { u[i] = val[i]; v[i] = y[i] }
			ry = fit("y")
			for (i = 1; i <= n; i++) { u[i] = t[i]; v[i] = x0[i] }
			rx = fit("x")
			if (ry <= 0.6 && slope["y"] < 0 && rx <= 1.5 && slope["x"] > 0)
				print n " plateaus at the API'"'"'s values"
			else
				printf "%d plateaus, heights off by %.2f px (slope %g), starts off by %.2f px\n", n, ry, slope["y"], rx
		}'
}
M12=$(period_add "$CUR" -12) M1=$(period_add "$CUR" -1)
# charts of M12..M1, whole months, tall: a pixel is a small step of value
YEAR="start=$M12&end=$(first_second "$CUR")&height=1200"
SYEAR="start=$M12&end=$M1"
check_eq "KU091 contacts: the chart draws the API's 12 months" \
	"$(drawn "/chart/KU091/contacts.svg?$YEAR" "/api/v1/series?area=KU091&indicator=contacts&$SYEAR")" \
	"12 plateaus at the API's values"
check_eq "KU092 contacts: an unreported month is not drawn" \
	"$(drawn "/chart/KU092/contacts.svg?$YEAR" "/api/v1/series?area=KU092&indicator=contacts&$SYEAR")" \
	"11 plateaus at the API's values"
check_eq "MK01 remote_share (a ratio of sums): the chart draws the API's months" \
	"$(drawn "/chart/MK01/remote_share.svg?$YEAR" "/api/v1/series?area=MK01&indicator=remote_share&$SYEAR" -H "Authorization: Bearer $MIN")" \
	"12 plateaus at the API's values"
check_eq "MK01 contacts_per_1000: the chart draws the API's months" \
	"$(drawn "/chart/MK01/contacts_per_1000.svg?$YEAR" "/api/v1/series?area=MK01&indicator=contacts_per_1000&$SYEAR" -H "Authorization: Bearer $MIN")" \
	"12 plateaus at the API's values"
check_eq "KU049 contacts_remote, ministry: every month drawn" \
	"$(drawn "/chart/KU049/contacts_remote.svg?$YEAR" "/api/v1/series?area=KU049&indicator=contacts_remote&$SYEAR" -H "Authorization: Bearer $MIN")" \
	"12 plateaus at the API's values"
pub=$(drawn "/chart/KU049/contacts_remote.svg?$YEAR" "/api/v1/series?area=KU049&indicator=contacts_remote&$SYEAR")
get "/api/v1/series?area=KU049&indicator=contacts_remote&$SYEAR" >/dev/null
n_pub=$(jq '[.points[] | select(.[1] != null)] | length' "$T/body")
check_eq "KU049 contacts_remote, public: withheld months not drawn" \
	"$pub" "$n_pub plateaus at the API's values"
check "KU049 contacts_remote, public: some months withheld ($n_pub of 12 shown)" test "$n_pub" -lt 12
# a month as end is included (SPEC §6), as in the series API
M6=$(period_add "$CUR" -6) M3=$(period_add "$CUR" -3)
check_eq "end=YYYY-MM: the month is drawn ($M6..$M3: 4 months)" \
	"$(drawn "/chart/KU091/contacts.svg?start=$M6&end=$M3&height=1200" "/api/v1/series?area=KU091&indicator=contacts&start=$M6&end=$M3")" \
	"4 plateaus at the API's values"

# a revision of an old month, imported into the running daemon: drawn
# within seconds, the other months as they were
M5=$(period_add "$CUR" -5)
get "/chart/KU091/contacts.svg?$YEAR" >/dev/null
cp "$T/body" "$T/before.svg"
plateaus >"$T/before.pl"
printf 'area,period,measure,value\nKU091,%s,contacts,1111\n' "$M5" >"$T/rev.csv"
"$B/kuntamonctl" -c "$T/k.conf" import "$T/rev.csv" >"$T/rev.out" 2>&1
st=$?
check "import of a revision while the daemon runs ($(cat "$T/rev.out"))" test "$st" -eq 0
revised() {
	get "/api/v1/series?area=KU091&indicator=contacts&start=$M5&end=$M5" >/dev/null &&
		jq -e '.points[0][1] == 1111' "$T/body" >/dev/null
}
check "the series serves the revision within seconds" wait_for 15 revised
check_eq "the chart draws the revision" \
	"$(drawn "/chart/KU091/contacts.svg?$YEAR" "/api/v1/series?area=KU091&indicator=contacts&$SYEAR")" \
	"12 plateaus at the API's values"
check "the chart is not the cached one" sh -c "! cmp -s '$T/before.svg' '$T/drawn.svg'"
# the revised month (the 8th of 12) is the one that moved
check_eq "only $M5 moved" \
	"$(paste -d' ' "$T/before.pl" "$T/drawn.pl" | awk '$3 != $6 { printf "%s%d", (n++ ? "," : ""), NR }')" 8

# Bad parameters: 400 naming the parameter; unknown names: 404; JSON.
bad() { # bad NAME PATH STATUS TEXT [CURL ARGS]
	_n=$1 _p=$2 _s=$3 _t=$4; shift 4
	st=$(get "$_p" "$@")
	if [ "$st" = "$_s" ] && grep -q "\"error\":\".*$_t" "$T/body" &&
		[ "$(header Content-Type)" = "application/json; charset=utf-8" ]; then
		ok "$_n: $st $(cat "$T/body")"
	else
		not_ok "$_n: $st $(head -c 200 "$T/body")"
	fi
}
bad "width too small" "/chart/MK01/contacts.png?width=199" 400 "parameter width"
bad "width too large" "/chart/MK01/contacts.svg?width=2001" 400 "parameter width"
bad "width not a number" "/chart/MK01/contacts.png?width=8e2" 400 "parameter width"
bad "height too large" "/chart/MK01/contacts.png?height=5000" 400 "parameter height"
bad "lang unknown" "/chart/MK01/contacts.png?lang=de" 400 "parameter lang"
bad "start malformed" "/chart/MK01/contacts.png?start=yesterday" 400 "parameter start"
bad "end before start" "/chart/MK01/contacts.png?start=now&end=-1d" 400 "before end"
bad "unknown area" "/chart/KU999/contacts.png" 404 "unknown area"
bad "unknown indicator" "/chart/MK01/nope.svg" 404 "unknown indicator"

# Path tricks never reach a file: refused before any handler, or unknown.
for p in "/chart/../../etc/passwd.svg" "/chart/%2e%2e/%2e%2e/etc/passwd.svg" \
	"/chart/KU091%00/contacts.svg" "/chart/KU091/contacts%00.png" \
	"/chart/KU091/..%2fcontacts.svg" "/chart/KU091/contacts.svg/../../x.png" \
	"/chart//etc/passwd.png" "/chart/KU091/%2e%2e.png"; do
	st=$(get "$p" --path-as-is)
	if { [ "$st" = 400 ] || [ "$st" = 404 ]; } && ! grep -q 'root:' "$T/body" &&
		grep -q '"error"' "$T/body"; then
		ok "path trick $p: $st"
	else
		not_ok "path trick $p: $st $(head -c 200 "$T/body")"
	fi
done

# The cache: the same chart again is a hit.
hits() { curl -s --max-time 10 "$U/metrics" | awk '$1 == "kuntamon_cache_hits_total" { print $2 }'; }
get "/chart/MK01/contacts.png?width=700" >/dev/null
h0=$(hits)
get "/chart/MK01/contacts.png?width=700" >/dev/null
h1=$(hits)
check "the same chart again: a cache hit ($h0, then $h1)" test "$h1" -gt "$h0"

# JSON stays quick while charts render: four clients render charts that
# are not cached (every start month another), and the catalog is timed
# meanwhile.
clients=""
for c in 1 2 3 4; do
	(for m in 01 02 03 04 05 06 07 08 09 10 11 12 01 02 03 04; do
		curl -s --max-time 30 -o /dev/null "$U/chart/SSS/remote_share.png?start=20$((10 + c))-$m"
	done) &
	clients="$clients $!"
done
PIDS="$PIDS $clients"
worst=0
for i in $(seq 1 20); do
	t=$(curl -s --max-time 10 -o /dev/null -w '%{time_total}' "$U/api/v1/catalog")
	worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
done
# bounded, not measured: a JSON request never queues behind the renders
check "catalog while charts render: slowest ${worst} s" awk -v t="$worst" 'BEGIN { exit !(t < 2) }'
for p in $clients; do wait "$p"; done
check "still serving" curl -sf --max-time 10 -o /dev/null "$U/healthz"
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0

# With rrdcached: a new month waits in rrdcached (-w 3600) until a chart
# that draws on the file flushes it; the chart draws the month at once
# (from the figures).
if command -v rrdcached >/dev/null && command -v rrdtool >/dev/null; then
	mkdir -p "$T/journal"
	sock=$T/rrdcached.sock
	# -w 3600: updates stay in rrdcached unless flushed
	rrdcached -g -l "unix:$sock" -j "$T/journal" -p "$T/rrdcached.pid" -w 3600 -z 1 \
		>"$T/rrdcached.log" 2>&1 &
	RC_PID=$!
	PIDS="$PIDS $RC_PID"
	if wait_for 20 test -S "$sock"; then
		rm -rf "$T/var"
		Pa=$(period_add "$CUR" -3) Pb=$(period_add "$CUR" -2) Pc=$(period_add "$CUR" -1)
		fake_knob KU049 "period=$Pa"
		INTERVAL=2 TIMEOUT=2 write_conf "$T/c.conf" "[storage]" "rrdcached = unix:$sock"
		# KU049 is all of MK01 (and of the country) that reports $Pa and
		# $Pb: MK01's total stands on one and is withheld, and so is
		# KU049's figure, which is that total (figure.h). The public
		# chart draws nothing; the ministry's draws both months.
		CMIN=$("$B/kuntamonctl" -c "$T/c.conf" token create --ministry 2>/dev/null)
		[ -n "$CMIN" ] || { not_ok "rrdcached: ministry token created"; exit 1; }
		start_daemon "$T/c.conf" || exit 1
		wait_cycles 1 30 || { not_ok "rrdcached: first cycle"; exit 1; }
		U="http://127.0.0.1:$D_PORT"
		rrd=$T/var/rrd/KU049.rrd
		check_eq "rrdcached: KU049's new file ends with $Pa" "$(rrdtool last "$rrd")" "$(first_second "$Pb")"
		# the next month: an append, which rrdcached keeps
		fake_knob KU049 "period=$Pb"
		has_pb() { [ "$(db "SELECT COUNT(*) FROM figures WHERE area = 'KU049' AND period = $(( ${Pb%-*} * 12 + 10#${Pb#*-} - 1 ))")" -gt 0 ]; }
		check "rrdcached: $Pb polled" wait_for 30 has_pb
		n=$(n_cycles)
		wait_cycles $((n + 1)) 30 || not_ok "rrdcached: the cycle of $Pb ended"
		before=$(rrdtool last "$rrd")
		check_eq "rrdcached: $Pb waits in rrdcached (the file still ends with $Pa)" "$before" "$(first_second "$Pb")"
		check_eq "rrdcached: the chart draws $Pa and $Pb (ministry)" \
			"$(drawn "/chart/KU049/contacts.svg?start=$Pa&end=$(first_second "$Pc")" "/api/v1/series?area=KU049&indicator=contacts&start=$Pa&end=$Pb" -H "Authorization: Bearer $CMIN")" \
			"2 plateaus at the API's values"
		after=$(rrdtool last "$rrd")
		check_eq "rrdcached: the chart flushed the file (last $before, then $after)" "$after" "$(first_second "$Pc")"
		st=$(get "/chart/KU049/contacts.png")
		check_eq "rrdcached: PNG chart 200" "$st" 200
		check_eq "rrdcached: the public chart draws neither month (KU049 alone in MK01)" \
			"$(drawn "/chart/KU049/contacts.svg?start=$Pa&end=$(first_second "$Pc")" "/api/v1/series?area=KU049&indicator=contacts&start=$Pa&end=$Pb")" \
			"0 plateaus at the API's values"
		stop_daemon
		check_eq "rrdcached: SIGTERM: exit 0" "$D_STATUS" 0
		kill -TERM "$RC_PID"; wait "$RC_PID" 2>/dev/null
	else
		not_ok "rrdcached started"
	fi
else
	skip "65_charts rrdcached part (rrdcached or rrdtool not installed)"
fi
exit 0
