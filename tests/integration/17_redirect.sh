#!/bin/bash
# Redirects of a loopback endpoint (collectors/redirect.h): to loopback,
# by address or by name, they are followed (the endpoint's own kind); to
# the unspecified, a link-local or a private address they are refused
# without a fetch, and the poll fails saying so; [collect] allow_private =
# yes, taken on SIGHUP, opens the private address only. The private
# target is a second fakemuni on this host's own private address, which
# counts the documents it serves: a refused redirect fetched nothing.
. "$(dirname "$0")/lib.sh"

# private_address: this host's first address in a private network
# (RFC 1918, shared 100.64/10, unique local fc00::/7), as a URL host
# (from ip, else hostname -I)
private_address() {
	if command -v ip >/dev/null; then
		ip -o addr show | awk '$3 ~ /^inet6?$/ { split($4, a, "/"); print a[1] }'
	else
		hostname -I 2>/dev/null | tr ' ' '\n'
	fi |
		sed 's/^\(.*:.*\)$/[\1]/' |
		grep -E '^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|\[f[cd])' |
		head -n 1
}

start_fakemuni || exit 1
F=http://127.0.0.1:$FAKE_PORT
X=$(private_address)
if [ -n "$X" ]; then
	"$B/fakemuni" -c "$SRC/config/kuntamon.conf" --listen "$X:0" \
		--port-file "$T/fake2.port" 2>>"$T/fake2.log" &
	PIDS="$PIDS $!"
	wait_for 20 test -s "$T/fake2.port" || { not_ok "fakemuni on $X started ($(cat "$T/fake2.log"))"; exit 1; }
	F2=http://$X:$(cat "$T/fake2.port")
	served2() { curl -sf --max-time 5 "$F2/stats" | jq .documents; }
else
	skip "redirect to a private address (this host has no address in a private network)"
fi

{
	echo "area,url,profile"
	echo "KU091,$F/KU091?redirect_to=http://localhost:$FAKE_PORT/KU091,"
	echo "KU092,$F/KU092?redirect_to=http://[::ffff:127.0.0.1]:$FAKE_PORT/KU092,"
	echo "KU049,$F/KU049?redirect_to=http://169.254.169.254/latest/meta-data/,"
	echo "KU005,$F/KU005?redirect_to=http://0.0.0.0:$FAKE_PORT/KU005,"
	echo "KU564,$F/KU564?redirect=4,"
	[ -n "$X" ] && echo "KU837,$F/KU837?redirect_to=$F2/KU837,"
} >"$T/endpoints.csv"
INTERVAL=1 write_conf "$T/k.conf"
start_daemon "$T/k.conf" || exit 1
wait_cycles 1 30 || { not_ok "first cycle finished"; exit 1; }

last_error() { db "select coalesce(error, 'none') from polls where area='$1' order by id desc limit 1"; }
check_eq "loopback to localhost: followed" "$(last_error KU091)" none
check "loopback to localhost: figures stored" test -e "$T/var/rrd/KU091.rrd"
check_eq "loopback to ::ffff:127.0.0.1: followed" "$(last_error KU092)" none
check_eq "loopback to link-local: refused" "$(last_error KU049)" \
	"redirect refused: 169.254.169.254 is a link-local address and the endpoint's is not"
check_eq "loopback to 0.0.0.0: refused" "$(last_error KU005)" \
	"redirect refused: 0.0.0.0 is an unspecified address"
check "loopback to 0.0.0.0: nothing stored" test ! -e "$T/var/rrd/KU005.rrd"
check_eq "four redirects: too many" "$(last_error KU564)" "more than 3 redirects"
check "refusal logged" grep -q 'msg="poll failed" area=KU049 .*redirect refused' "$T/daemon.log"
got=$(curl -sf --max-time 5 "http://127.0.0.1:$D_PORT/api/v1/health" |
	jq -r '.endpoints[] | select(.area == "KU049") | .last_error')
check_eq "/api/v1/health: the refusal is KU049's last error" "$got" \
	"redirect refused: 169.254.169.254 is a link-local address and the endpoint's is not"

if [ -n "$X" ]; then
	host=${X#[}
	host=${host%]}
	check_eq "loopback to $X: refused" "$(last_error KU837)" \
		"redirect refused: $host is a private address and the endpoint's is not ([collect] allow_private = no)"
	check_eq "loopback to $X: nothing fetched there" "$(served2)" 0

	# allow_private = yes on SIGHUP: the private address opens, the
	# others stay refused (at their next poll after the reload).
	INTERVAL=1 write_conf "$T/k.conf" "[collect]" "allow_private = yes"
	n0=$(db "select coalesce(max(id), 0) from polls")
	kill -HUP "$D_PID"
	wait_for 30 sh -c "[ \$(sqlite3 '$T/var/kuntamon.db' \"select count(*) from polls where area='KU837' and error is null\") -ge 1 ]"
	check_eq "allow_private: loopback to $X followed" "$(last_error KU837)" none
	check "allow_private: the document came from $X ($(served2) served)" test "$(served2)" -ge 1
	check "allow_private: KU837 figures stored" test -e "$T/var/rrd/KU837.rrd"
	wait_for 30 sh -c "[ \$(sqlite3 '$T/var/kuntamon.db' \"select count(*) from polls where area='KU049' and id > $n0\") -ge 1 ]"
	check_eq "allow_private: link-local still refused" "$(last_error KU049)" \
		"redirect refused: 169.254.169.254 is a link-local address and the endpoint's is not"
fi

stop_daemon
check_eq "SIGTERM: exit 0" "$D_STATUS" 0
exit 0
