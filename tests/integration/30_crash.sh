#!/bin/bash
# kill -9 while revisions and late reports are being written, then restart:
# every RRD file passes rrdtool info, the database passes integrity_check,
# and once the daemon has started every file matches the figures in SQLite
# on every day of every period (a kill between the database write and the
# file's is repaired on start). A figure answered 202 survives a kill -9.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 rrdtool


P=$(expected_period)
start_fakemuni || exit 1
# 60 municipalities, each answering after a short delay, so that a cycle
# is long enough to be killed in the middle of it.
areas=$(tail -n +2 "$SRC/config/municipalities.csv" | head -n 60 | cut -d, -f1 | sed "s/^/KU/;s/\$/?delay_ms=20\\&period=$P/")
write_endpoints "$T/endpoints.csv" $areas
INTERVAL=1 write_conf "$T/k.conf" "[collect]" "concurrency = 4"
echo "area,url,profile" >"$T/none.csv"
sed "s|^endpoints = .*|endpoints = $T/none.csv|" "$T/k.conf" >"$T/quiet.conf"
mkdir -p "$T/var"
TOKEN=$("$B/kuntamonctl" -c "$T/k.conf" token create KU020 2>>"$T/ctl.log")
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 60 || { not_ok "first cycle"; exit 1; }

# matches AREA: whether AREA's file holds each of its figures of contacts
# on every day of the figure's period, and nothing in the months between
matches() {
	_f=$T/var/rrd/$1.rrd
	for _pn in $(db "SELECT period FROM figures WHERE area = '$1' AND measure = 'contacts'"); do
		_p=$(period_text "$_pn")
		_s=$(date -u -d "$_p-01" +%s)
		_e=$(date -u -d "$(period_add "$_p" 1)-01" +%s)
		_want=$(db "SELECT printf('%.6g', value) FROM figures WHERE area = '$1' AND period = $_pn AND measure = 'contacts'")
		_got=$(rrdtool fetch "$_f" AVERAGE -r 86400 -s "$_s" -e "$((_e - 1))" |
			awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "contacts") c = i }
				NR > 2 && $1 + 0 < '"$_e"' { printf "%.6g\n", $(c + 1) }' | sort -u)
		[ "$_got" = "$_want" ] || { echo "# $1 $_p: file '$_got', figure '$_want'"; return 1; }
	done
}

for round in 1 2 3 4; do
	# every cycle writes: a revision of P, or a late report of an earlier
	# period, for all 60 at once
	if [ $((round % 2)) -eq 1 ]; then
		fake_knob '*' "delay_ms=20&period=$P&set.contacts=$((round * 100 + 7))"
	else
		fake_knob '*' "delay_ms=20&period=$(period_add "$P" "-$round")"
	fi
	# kill once the round's documents are being written
	t0=$(date +%s)
	wait_for 60 sh -c "[ \$(sqlite3 '$T/var/kuntamon.db' \"SELECT COUNT(*) FROM polls WHERE time >= $t0\") -gt 8 ]"
	kill -9 "$D_PID"
	wait "$D_PID" 2>/dev/null
	bad=0
	for f in "$T"/var/rrd/*.rrd; do
		rrdtool info "$f" >/dev/null 2>&1 || { echo "# bad file $f"; bad=$((bad + 1)); }
	done
	check_eq "round $round: every RRD file passes rrdtool info" "$bad" 0
	check_eq "round $round: integrity_check" "$(db 'pragma integrity_check')" ok
	echo "# round $round: $(db 'SELECT COUNT(*) FROM rrd_dirty') files marked for repair at the kill"
	# first a start that polls nothing, so that what the files hold is
	# the repair's work alone, not new writes racing the check
	start_daemon "$T/quiet.conf" || exit 1
	bad=0
	for a in $(db "SELECT DISTINCT area FROM figures"); do
		matches "$a" || bad=$((bad + 1))
	done
	check_eq "round $round: after restart every file matches the figures" "$bad" 0
	check "round $round: files to repair are none left" test "$(db 'SELECT COUNT(*) FROM rrd_dirty')" -eq 0
	stop_daemon
	start_daemon "$T/k.conf" || exit 1
	n0=$(n_cycles)
	wait_cycles $((n0 + 1)) 60 || not_ok "round $round: collection goes on after restart"
done

# A 202, then kill -9 at once: the figure is there after the restart.
code=$(curl -s -o "$T/receipt" -w '%{http_code}' -X POST --max-time 10 \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data "{\"municipality\":\"KU020\",\"period\":\"$P\",\"measures\":{\"contacts\":4242}}" \
	"http://127.0.0.1:$D_PORT/api/v1/submissions")
kill -9 "$D_PID"
wait "$D_PID" 2>/dev/null
check_eq "a submission answered" "$code" 202
check_eq "kill -9 right after a 202: the figure is in the database" \
	"$(db "SELECT value FROM figures WHERE area = 'KU020' AND measure = 'contacts'")" 4242.0
start_daemon "$T/quiet.conf" || exit 1
check "kill -9 right after a 202: the file has it after the restart" matches KU020
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
