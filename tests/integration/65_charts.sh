#!/bin/bash
# Charts end to end: a year of history imported for three municipalities of
# Uusimaa (MK01), the real daemon polling fakemuni. PNG and SVG come at the
# size asked for, titled in the language asked for, reporting_rate too;
# bad parameters are 400 and unknown names 404, as JSON; path tricks never
# reach a file; the same chart again is served from the cache; JSON
# answers stay quick while charts render; with rrdcached, a chart flushes
# the files it draws.
. "$(dirname "$0")/lib.sh"

for tool in curl od; do
	command -v $tool >/dev/null || { skip "65_charts: $tool not installed"; exit 0; }
done

start_fakemuni || exit 1
write_endpoints "$T/endpoints.csv" KU091 KU049 KU092
INTERVAL=1200 write_conf "$T/import.conf"
INTERVAL=300 TIMEOUT=2 write_conf "$T/k.conf"

# Twelve months before the last: contacts, remote contacts, a guidance point.
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
		echo "KU092,$p,contacts,$((700 + i))"
		echo "KU092,$p,gp_open,1"
	done
} >"$T/h.csv"
"$B/kuntamonctl" -c "$T/import.conf" import "$T/h.csv" >/dev/null ||
	{ not_ok "history imported"; exit 1; }
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

# PNG: the signature, and IHDR's width and height are the whole image's.
for size in 640x240 200x100 2000x1200 800x300; do
	w=${size%x*} h=${size#*x}
	st=$(get "/chart/MK01/remote_share.png?width=$w&height=$h")
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
st=$(get "/chart/KU091/contacts.svg?width=500&height=200&lang=sv")
check_eq "SVG: 200" "$st" 200
check_eq "SVG: content type" "$(header Content-Type)" "image/svg+xml"
check "SVG: an svg root of 500x200" grep -q '<svg .*width="500" height="200"' "$T/body"
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
check_eq "SVG by Accept-Language: Vary" "$(header Vary)" "Accept-Language"
st=$(get "/chart/MK01/gp_coverage.svg")
check "SVG without a language: Finnish" grep -q '<title>Uusimaa — Ohjauspisteiden kattavuus' "$T/body"
# the whole country, 308 municipalities, most without a file
st=$(get "/chart/SSS/remote_share.png?start=-2y")
check_eq "the whole country: 200" "$st" 200
check "the whole country: a PNG" is_png
# a region none of whose municipalities has a file: a frame
st=$(get "/chart/MK19/contacts.svg?width=300&height=150")
check_eq "a region without files: 200" "$st" 200
check "a region without files: SVG" grep -q '<svg .*width="300" height="150"' "$T/body"
st=$(get "/chart/KU091/contacts.png" -I)
check_eq "HEAD: 200" "$st" 200
# reporting_rate, counted by month from the database
st=$(get "/chart/MK01/reporting_rate.png?start=-400d&width=400&height=200")
check_eq "reporting_rate: 200" "$st" 200
check "reporting_rate: a PNG" is_png
check_eq "reporting_rate: 400x200" "$(be32 16)x$(be32 20)" "400x200"

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
# are not cached (every width another), and the catalog is timed meanwhile.
clients=""
for c in 1 2 3 4; do
	(for w in $(seq $((200 + c)) 4 $((260 + c))); do
		curl -s --max-time 30 -o /dev/null "$U/chart/SSS/remote_share.png?width=$w"
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

# With rrdcached: a chart flushes the files it draws, so it is not stale.
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
		INTERVAL=300 TIMEOUT=2 write_conf "$T/c.conf" "[storage]" "rrdcached = unix:$sock"
		start_daemon "$T/c.conf" || exit 1
		wait_cycles 1 30 || { not_ok "rrdcached: first cycle"; exit 1; }
		U="http://127.0.0.1:$D_PORT"
		rrd=$T/var/rrd/KU049.rrd
		before=$(rrdtool last "$rrd")
		st=$(get "/chart/KU049/contacts.png")
		after=$(rrdtool last "$rrd")
		check_eq "rrdcached: chart 200" "$st" 200
		check "rrdcached: the chart flushed the file (last $before, then $after)" test "$after" -gt "$before"
		stop_daemon
		kill -TERM "$RC_PID"; wait "$RC_PID" 2>/dev/null
	else
		not_ok "rrdcached started"
	fi
else
	skip "65_charts rrdcached part (rrdcached or rrdtool not installed)"
fi
exit 0
