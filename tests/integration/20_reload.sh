#!/bin/bash
# SIGHUP, and the catalog's measures in the RRD files (SPEC §1, §5): a
# measure added to the catalog is added to existing files on SIGHUP and on
# start (rrdtool info shows its data source), no figure is lost (every day
# of each period still holds that period's figure), the new measure is
# unknown on periods that never had it and lands on its own period's days
# once reported; a broken catalog or config is refused with FILE:LINE and
# the old one kept.
. "$(dirname "$0")/lib.sh"

need curl jq sqlite3 rrdtool

# days_of FILE DS PERIOD: the distinct values of DS on PERIOD's days (the
# rows of rrdtool fetch -r 86400 ending in the period), U for unknown
days_of() {
	_s=$(first_second "$3")
	_e=$(first_second "$(period_add "$3" 1)")
	rrdtool fetch "$1" AVERAGE -r 86400 -s "$_s" -e "$_e" |
		awk -v ds="$2" -v s="$_s" -v e="$_e" '
			NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) c = i }
			NR > 2 && $1 + 0 > s && $1 + 0 <= e {
				v = $(c + 1)
				if (tolower(v) ~ /nan/) print "U"; else printf "%.6g\n", v
			}' | sort -u | tr '\n' ' '
}
# printed AREA PERIOD MEASURE: fakemuni's figure, as days_of prints it
printed() {
	"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --print "$1" "$2" |
		jq -r ".measures.$3" | awk '{ printf "%.6g \n", $1 }'
}
fig() { # fig AREA PERIOD MEASURE: the figure in SQLite
	db "SELECT value FROM figures WHERE area = '$1' AND period = $(period_num "$2") AND measure = '$3'"
}
# add_measures FILE ID...: the shipped catalog plus counts named ID...
add_measures() {
	_f=$1; shift
	_m='[]'
	for id in "$@"; do
		_m=$(jq -c --arg id "$id" '. + [{"id":$id,"unit":"persons","min":0,"max":100000,"aggregate":"sum","is_count":true,"name":{"fi":$id,"sv":$id,"en":$id}}]' <<<"$_m")
	done
	jq --argjson m "$_m" '.measures += $m' "$SRC/config/measures.json" >"$_f.new" && mv "$_f.new" "$_f"
}

# KU091 and KU092 report P0 first, then KU091 P: its file holds two periods.
P=$(expected_period)
P0=$(period_add "$P" -1)
start_fakemuni || exit 1
fake_knob KU091 "period=$P0"
fake_knob KU092 "period=$P0"
write_endpoints "$T/endpoints.csv" KU091 KU092
cp "$SRC/config/measures.json" "$T/measures.json"
INTERVAL=1 MEASURES=$T/measures.json write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle"; exit 1; }
fake_knob KU091 "period=$P"
wait_for 30 sh -c "[ -n \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$P") AND measure = 'contacts'\")\" ]" ||
	not_ok "KU091's $P polled"

rrd=$T/var/rrd/KU091.rrd
want0=$(printed KU091 "$P0" contacts)
want=$(printed KU091 "$P" contacts)
check_eq "before: $P0's days hold $P0's contacts" "$(days_of "$rrd" contacts "$P0")" "$want0"
check_eq "before: $P's days hold $P's contacts" "$(days_of "$rrd" contacts "$P")" "$want"
before=$(rrd_last_value "$rrd" contacts)
first=$(rrdtool first "$rrd" --rraindex 0)
check "no DS volunteers yet" sh -c "! rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\]'"

# KU092 already sends a key the catalog does not know yet: rejected.
fake_knob KU092 "period=$P0&set.volunteers=5"
unknown_seen() {
	[ "$(db "SELECT COUNT(*) FROM rejections r JOIN polls p ON p.id = r.poll_id
		WHERE p.area = 'KU092' AND r.measure = 'volunteers' AND r.reason = 'unknown'")" -ge 1 ]
}
check "an unknown key is rejected as unknown" wait_for 30 unknown_seen

# ---- a measure added by SIGHUP ----
add_measures "$T/measures.json" volunteers
n0=$(n_cycles)
p0=$(db "SELECT COUNT(*) FROM polls")
kill -HUP "$D_PID"
wait_for 20 grep -q 'msg=reloaded' "$T/daemon.log"
check "reload logged" grep -q 'msg=reloaded.*measures=17' "$T/daemon.log"
check "new DS added to existing file" sh -c "rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\].type = \"GAUGE\"'"
check "new DS added to the other existing file" \
	sh -c "rrdtool info '$T/var/rrd/KU092.rrd' | grep -q 'ds\\[volunteers\\].type = \"GAUGE\"'"
check_eq "RRD step still one day" "$(rrdtool info "$rrd" | awk '$1 == "step" { print $3 }')" 86400
check_eq "first RRA row unchanged" "$(rrdtool first "$rrd" --rraindex 0)" "$first"
check_eq "after reload: $P0's days still hold $P0's contacts" "$(days_of "$rrd" contacts "$P0")" "$want0"
check_eq "after reload: $P's days still hold $P's contacts" "$(days_of "$rrd" contacts "$P")" "$want"
check_eq "after reload: the latest value of contacts kept" "$(rrd_last_value "$rrd" contacts)" "$before"
check_eq "after reload: KU092's $P0 figure kept" "$(days_of "$T/var/rrd/KU092.rrd" contacts "$P0")" \
	"$(printed KU092 "$P0" contacts)"
check_eq "the new measure is unknown where never reported ($P)" "$(days_of "$rrd" volunteers "$P")" "U "
check "file passes rrdtool info" rrdtool info "$rrd" >/dev/null
wait_cycles $((n0 + 2)) 30 || not_ok "two cycles after reload"
check "collection goes on after reload (polls logged)" test "$(db "SELECT COUNT(*) FROM polls")" -gt "$p0"
# The documents are judged by the new catalog: the same bytes as before
# the reload now carry a known measure (or miss one).
missing_seen() { [ "$(db "SELECT COUNT(*) FROM rejections WHERE measure = 'volunteers' AND reason = 'missing'")" -ge 1 ]; }
check "missing new measure recorded as missing" wait_for 10 missing_seen
taken_92() { [ "$(fig KU092 "$P0" volunteers)" = 5.0 ]; }
check "a new measure the endpoint already sent is taken after the reload" wait_for 10 taken_92

# The new measure reported: a revision of P; it lands on P's days only.
fake_knob KU091 "period=$P&set.volunteers=12"
wait_for 30 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$P") AND measure = 'volunteers'\")\" = 12.0 ]"
check_eq "the new measure's figure in SQLite" "$(fig KU091 "$P" volunteers)" 12.0
# the file is rewritten after the figure is committed: wait for it
new_on_days() { [ "$(days_of "$rrd" volunteers "$P")" = "12 " ]; }
check "the new measure on $P's days" wait_for 10 new_on_days
check_eq "the new measure unknown on $P0's days" "$(days_of "$rrd" volunteers "$P0")" "U "
check_eq "and $P0's contacts still there" "$(days_of "$rrd" contacts "$P0")" "$want0"

# ---- a broken catalog is refused; the old one is kept ----
echo '{"measures": [ {"id": "Bad-Id"} ] }' >"$T/measures.json"
n0=$(n_cycles)
kill -HUP "$D_PID"
wait_for 20 grep -q 'msg="reload refused' "$T/daemon.log"
check "broken catalog refused with file and line" grep -q "msg=\"reload refused.*$T/measures.json:1" "$T/daemon.log"
wait_cycles $((n0 + 2)) 30
check "collection goes on with the old catalog" test "$(n_cycles)" -ge $((n0 + 2))
check "old catalog's DS still in the file" sh -c "rrdtool info '$rrd' | grep -q 'ds\\[volunteers\\]'"
fake_knob KU091 "period=$P&set.volunteers=13"
wait_for 30 sh -c "[ \"\$(sqlite3 '$T/var/kuntamon.db' \"SELECT value FROM figures WHERE area = 'KU091' AND period = $(period_num "$P") AND measure = 'volunteers'\")\" = 13.0 ]"
check_eq "old catalog still in use (volunteers taken)" "$(fig KU091 "$P" volunteers)" 13.0
# the file is rewritten after the figure is committed: wait for it
revised_on_days() { [ "$(days_of "$rrd" volunteers "$P")" = "13 " ]; }
check "the revision is on $P's days" wait_for 10 revised_on_days

# A broken config is refused too.
echo "[collect]
interval = 0" >"$T/k2.conf"
cp "$T/k.conf" "$T/k.conf.good"
cp "$T/k2.conf" "$T/k.conf"
kill -HUP "$D_PID"
wait_for 20 sh -c "[ \$(grep -c 'msg=\"reload refused' '$T/daemon.log') -ge 2 ]"
check "broken config refused with file and line" grep -q "reload refused.*$T/k.conf:2" "$T/daemon.log"
stop_daemon
check_eq "SIGTERM after reloads: exit 0" "$D_STATUS" 0

# ---- a measure added while stopped: added on start ----
cp "$T/k.conf.good" "$T/k.conf"
add_measures "$T/measures.json" volunteers mentors
check "no DS mentors yet" sh -c "! rrdtool info '$rrd' | grep -q 'ds\\[mentors\\]'"
start_daemon "$T/k.conf" || exit 1
check "on start: new DS added to existing file" sh -c "rrdtool info '$rrd' | grep -q 'ds\\[mentors\\].type = \"GAUGE\"'"
check "on start: and to the other one" \
	sh -c "rrdtool info '$T/var/rrd/KU092.rrd' | grep -q 'ds\\[mentors\\].type = \"GAUGE\"'"
check "on start: the rebuild is logged" grep -q 'msg="RRD files rebuilt' "$T/daemon.log"
check_eq "on start: $P0's days still hold $P0's contacts" "$(days_of "$rrd" contacts "$P0")" "$want0"
check_eq "on start: $P's days still hold $P's contacts" "$(days_of "$rrd" contacts "$P")" "$want"
check_eq "on start: volunteers of $P kept" "$(days_of "$rrd" volunteers "$P")" "13 "
check_eq "on start: mentors unknown" "$(days_of "$rrd" mentors "$P")" "U "
stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
