#!/bin/bash
# make install into a temporary DESTDIR: binaries, config and catalog, man
# pages and the systemd unit land where PREFIX says; the installed config
# keeps its data in the unit's StateDirectory and passes --check against
# the installed catalog; the unit passes systemd-analyze verify; the man
# pages render without warnings; a second install keeps the operator's
# changed files; uninstall leaves config and data.
. "$(dirname "$0")/lib.sh"

# inst DESTDIR [MAKE ARGS]: installs the binaries `make check` linked for
# installing, in $B/dist (-o: make must not rebuild them here, e.g.
# without a sanitizer's flags)
inst() {
	_root=$1
	shift
	make -s -C "$SRC" B="$B" -o "$B/dist/kuntamond" -o "$B/dist/kuntamonctl" \
		DESTDIR="$_root" "$@" install >"$T/install.log" 2>&1
}

R=$T/root
if ! inst "$R" PREFIX=/usr; then
	not_ok "make install DESTDIR=... PREFIX=/usr"
	cat "$T/install.log"
	exit 1
fi
ok "make install DESTDIR=... PREFIX=/usr"

# Every file, and nothing else.
(cd "$R" && find . -type f | sort) >"$T/files"
cat >"$T/want" <<'EOF'
./etc/kuntamon/endpoints.csv
./etc/kuntamon/kuntamon.conf
./etc/kuntamon/measures.json
./etc/kuntamon/municipalities.csv
./etc/kuntamon/regions.csv
./lib/systemd/system/kuntamond.service
./usr/bin/kuntamonctl
./usr/bin/kuntamond
./usr/share/man/man8/kuntamonctl.8
./usr/share/man/man8/kuntamond.8
EOF
check_eq "installed files" "$(diff "$T/want" "$T/files" | grep '^[<>]' | tr '\n' ' ')" ""
check "binaries are executable" test -x "$R/usr/bin/kuntamond" -a -x "$R/usr/bin/kuntamonctl"
check_eq "kuntamond installed as built" "$(cmp "$B/dist/kuntamond" "$R/usr/bin/kuntamond" && echo same)" same
for f in regions.csv municipalities.csv measures.json endpoints.csv; do
	check "catalog $f as shipped" cmp -s "$SRC/config/$f" "$R/etc/kuntamon/$f"
done
check_eq "mode of the config" "$(stat -c %a "$R/etc/kuntamon/kuntamon.conf")" 644

# The installed config differs from the shipped one in the storage folder
# only: the unit's StateDirectory.
d=$(diff "$SRC/config/kuntamon.conf" "$R/etc/kuntamon/kuntamon.conf" | grep '^[<>]' | tr '\n' '|')
check_eq "installed config: only [storage] dir changed" "$d" "< dir = var|> dir = /var/lib/kuntamon|"
out=$("$R/usr/bin/kuntamond" --check -c "$R/etc/kuntamon/kuntamon.conf" 2>&1)
check "installed config passes kuntamond --check ($out)" test $? -eq 0
out=$("$R/usr/bin/kuntamonctl" -c "$R/etc/kuntamon/kuntamon.conf" check 2>&1)
check "installed config passes kuntamonctl check" test $? -eq 0
check "--check created no storage" test ! -e "$R/var"

# The unit: installed paths, the hardening asked for, reload by SIGHUP.
U=$R/lib/systemd/system/kuntamond.service
check_eq "unit: ExecStart" "$(grep '^ExecStart=' "$U")" \
	"ExecStart=/usr/bin/kuntamond -c /etc/kuntamon/kuntamon.conf"
check_eq "unit: ExecReload sends SIGHUP" "$(grep '^ExecReload=' "$U")" \
	"ExecReload=/bin/kill -HUP \$MAINPID"
for kv in DynamicUser=yes StateDirectory=kuntamon ProtectSystem=strict \
	NoNewPrivileges=yes SystemCallFilter=@system-service; do
	check "unit: $kv" grep -qx "$kv" "$U"
done
check "unit: no @placeholders@ left" sh -c "! grep -n '@[A-Z]*@' '$U'"
check "state folder of the config is the unit's StateDirectory" \
	grep -qx "dir = /var/lib/$(sed -n 's/^StateDirectory=//p' "$U")" "$R/etc/kuntamon/kuntamon.conf"

# systemd-analyze verify needs ExecStart's binary at its path: verify a
# copy whose ExecStart points into DESTDIR, with the installed man pages
# on MANPATH (it checks Documentation=). It exits 0 on warnings too, so
# any output is a failure.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/verify"
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" "$U" >"$T/verify/kuntamond.service"
	out=$(MANPATH=$R/usr/share/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify "$T/verify/kuntamond.service" 2>&1)
	s=$?
	if [ $s -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify"
	else
		not_ok "systemd-analyze verify (status $s: $out)"
	fi
	level=$(systemd-analyze security --offline=yes "$T/verify/kuntamond.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for kuntamond.service: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security: exposure ${level:-?} at most 2.0" \
		awk -v l="${level:-99}" 'BEGIN { exit !(l <= 2.0) }'
else
	skip "systemd-analyze verify (systemd-analyze is not installed)"
fi

# The man pages: groff's warnings all on, and man's own rendering.
for p in kuntamond kuntamonctl; do
	page=$R/usr/share/man/man8/$p.8
	if command -v groff >/dev/null; then
		out=$(groff -ww -z -man "$page" 2>&1)
		check_eq "$p.8: groff -ww without warnings" "$out" ""
	else
		skip "$p.8: groff (groff is not installed)"
	fi
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 man -l -Tutf8 "$page" 2>&1 >"$T/$p.txt")
		check_eq "$p.8: man -l without warnings" "$out" ""
		# bold is overstruck (X\bX) or an escape sequence
		check "$p.8: rendered with a NAME section" \
			grep -q '^NAME' <(sed -e 's/.\x08//g' -e 's/\x1b\[[0-9;]*m//g' "$T/$p.txt")
	else
		skip "$p.8: man -l (man is not installed)"
	fi
done
# Every option and command of the programs' own usage is in their page.
for opt in -c --check --help; do
	check "kuntamond.8 describes $opt" grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$R/usr/share/man/man8/kuntamond.8"
done
for cmd in check import status export "token create" "token list" "token revoke" SIGHUP SIGTERM "EXIT STATUS"; do
	check "man pages describe $cmd" grep -q "$cmd" "$R/usr/share/man/man8/kuntamonctl.8" "$R/usr/share/man/man8/kuntamond.8"
done

# A second install keeps what the operator changed, and puts the new
# version beside it; unchanged files stay single.
echo "; changed by the operator" >>"$R/etc/kuntamon/kuntamon.conf"
cp "$R/etc/kuntamon/kuntamon.conf" "$T/changed.conf"
check "make install again" inst "$R" PREFIX=/usr
check "changed config kept" cmp -s "$T/changed.conf" "$R/etc/kuntamon/kuntamon.conf"
check "new config beside it as .new" grep -qx "dir = /var/lib/kuntamon" "$R/etc/kuntamon/kuntamon.conf.new"
check "install said so" grep -q "kept $R/etc/kuntamon/kuntamon.conf" "$T/install.log"
check "unchanged catalog: no .new" test ! -e "$R/etc/kuntamon/regions.csv.new"

# The default PREFIX (/usr/local): config in /usr/local/etc, the unit in
# /usr/local/lib/systemd/system, and the paths in unit and man page agree.
L=$T/local
check "make install DESTDIR=... (PREFIX /usr/local)" inst "$L"
check "local: binary" test -x "$L/usr/local/bin/kuntamond"
check "local: config" test -f "$L/usr/local/etc/kuntamon/kuntamon.conf"
check "local: man page" test -f "$L/usr/local/share/man/man8/kuntamonctl.8"
check_eq "local: unit's ExecStart" "$(grep '^ExecStart=' "$L/usr/local/lib/systemd/system/kuntamond.service")" \
	"ExecStart=/usr/local/bin/kuntamond -c /usr/local/etc/kuntamon/kuntamon.conf"
check "local: man page names /usr/local/etc/kuntamon" grep -q "/usr/local/etc/kuntamon/kuntamon.conf" \
	"$L/usr/local/share/man/man8/kuntamond.8"
check "local: man page names no /etc/kuntamon" sh -c "! grep -q '[^l]/etc/kuntamon' '$L/usr/local/share/man/man8/kuntamond.8'"

# uninstall removes programs, pages and unit, keeps config.
check "make uninstall" sh -c "make -s -C '$SRC' B='$B' DESTDIR='$R' PREFIX=/usr uninstall >'$T/uninstall.log' 2>&1"
left=$(cd "$R" && find . -type f | grep -v '^./etc/kuntamon/' | tr '\n' ' ')
check_eq "uninstall: only the config is left" "$left" ""
check "uninstall: config kept" test -f "$R/etc/kuntamon/kuntamon.conf"
exit 0
