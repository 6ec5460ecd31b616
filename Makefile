# kuntamon: GNU make. `make` builds build/kuntamond and build/kuntamonctl.
# `make SANITIZE=address,undefined check` builds into build/san-address-undefined.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# Debian's packages put units in /lib/systemd/system; systemd also looks in
# /usr/local/lib/systemd/system.
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# The unit's StateDirectory=kuntamon; the installed config's [storage] dir.
STATEDIR := /var/lib/kuntamon
CC ?= cc
PKG_CONFIG ?= pkg-config

PKGS := libmicrohttpd librrd sqlite3 libcjson libcurl inih libsodium xlsxwriter

comma := ,
ifeq ($(SANITIZE),)
B := build
SANFLAGS :=
else
B := build/san-$(subst $(comma),-,$(SANITIZE))
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
ifneq ($(CI),)
WARN += -Werror
endif
OPT ?= -O2 -g
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
# The folders, top to bottom: each uses only the folders below it.
DIRS := cmd ctl dashboard figures daemon store collectors model lib
INC := $(addprefix -I,$(filter-out cmd,$(DIRS)))
ALL_CFLAGS := $(WARN) $(OPT) $(SANFLAGS) -D_GNU_SOURCE $(INC) \
	-Itests -Itests/unit -I$(B)/gen $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(sort $(wildcard $(addsuffix /*.c,$(filter-out cmd,$(DIRS)))))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
# The dashboard's assets, embedded into the library by a host tool: every
# file under dashboard/assets/ becomes bytes in $(B)/gen/assets.c.
ASSET_SRC := $(sort $(shell find dashboard/assets -type f ! -name '.*' 2>/dev/null))
EMBED := build/tools/embed
LIB_OBJ += $(B)/obj/gen/assets.o
UNIT_SRC := $(sort $(wildcard tests/unit/*/test_*.c))
UNIT_BIN := $(addprefix $(B)/tests/,$(notdir $(UNIT_SRC:.c=)))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.SECONDARY:
.PHONY: all check check-all check-dates unit clean format format-check lint install uninstall demo bench fuzz
all: $(B)/kuntamond $(B)/kuntamonctl $(B)/fakemuni $(B)/hostile

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(EMBED): tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -O2 -o $@ $<

# One run writes both files (a pattern rule with two targets).
%/gen/assets.c %/gen/assets.h: $(EMBED) $(ASSET_SRC)
	@mkdir -p $(dir $@)
	$(EMBED) $*/gen/assets.c $*/gen/assets.h dashboard/assets $(ASSET_SRC)

$(B)/obj/gen/assets.o: $(B)/gen/assets.c $(B)/gen/assets.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/obj/dashboard/pages.o $(B)/obj/tests/unit/dashboard/test_pages.o: $(B)/gen/assets.h

# The version /metrics reports: `git describe`, or "unknown" outside a git
# checkout; a release sets it (make VERSION=2.0.1). version.h is written
# only when it changes, so only then does what includes it rebuild.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
.PHONY: FORCE
FORCE:
$(sort $(B)/gen/version.h build/gen/version.h): FORCE
	@mkdir -p $(dir $@)
	@printf '#define KUNTAMON_VERSION "%s"\n' '$(VERSION)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/dashboard/metrics.o $(B)/obj/dashboard/export_xlsx.o: $(B)/gen/version.h

$(B)/obj/dashboard/api_openapi.o $(B)/obj/tests/unit/dashboard/test_openapi.o: $(B)/gen/assets.h

$(B)/libkuntamon.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/kuntamond: $(B)/obj/cmd/kuntamond.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/kuntamonctl: $(B)/obj/cmd/kuntamonctl.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The test clock (lib/clock.h): every binary built here reads
# KUNTAMON_TEST_NOW, so that tests can run on any date. The binaries `make
# install` installs are linked with a clock.o that does not: an object
# named before the library keeps the library's clock.o out.
$(B)/obj/lib/clock.o: ALL_CFLAGS += -DKUNTAMON_TEST_CLOCK
$(B)/obj/release/clock.o: lib/clock.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@
$(B)/dist/kuntamond $(B)/dist/kuntamonctl: $(B)/dist/%: $(B)/obj/cmd/%.o $(B)/obj/release/clock.o $(B)/libkuntamon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/fakemuni: $(B)/obj/tests/fakemuni/fakemuni.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The attack clients of tests/integration/95_hostile.sh: libc only.
$(B)/hostile: $(B)/obj/tests/hostile/hostile.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# tests/unit/FOLDER/test_NAME.c -> $(B)/tests/test_NAME
define unit_rule
$(B)/tests/$(notdir $(1:.c=)): $(B)/obj/$(1:.c=.o) $(B)/obj/tests/fixture.o $(B)/libkuntamon.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(UNIT_SRC),$(eval $(call unit_rule,$(t))))

$(B)/fuzz/replay_%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/replay.o $(B)/obj/tests/fixture.o $(B)/libkuntamon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer builds (clang): `make fuzz`, then build/fuzz/fuzz_NAME CORPUS_DIR
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fixture.c $(LIB_SRC) build/gen/assets.c build/gen/version.h
	@mkdir -p $(dir $@)
	clang $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		$(INC) -Itests -Itests/unit -Ibuild/gen $(PKG_CFLAGS) \
		-o $@ $< tests/fixture.c $(LIB_SRC) build/gen/assets.c $(LIBS)
fuzz: $(FUZZ_BIN)

unit: $(UNIT_BIN) $(FUZZ_REPLAY)

check: all $(UNIT_BIN) $(FUZZ_REPLAY) $(B)/dist/kuntamond $(B)/dist/kuntamonctl
	@sh tests/run.sh $(B)

# The date-sensitive layers on the test clock, once per date (DATES: the
# test clock's start for each run; default: tests/check-dates.sh's list).
check-dates: all $(UNIT_BIN)
	@sh tests/check-dates.sh $(B) $(DATES)

# What CI runs: check, plain and under ASan+UBSan and TSan, and
# check-dates, with a total.
check-all:
	@sh tests/check-all.sh

bench: all
	@sh bench/collect

demo: all
	@sh tests/demo.sh $(B)

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find $(DIRS) tools tests -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRC) && echo "format ok"

lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem $(INC) \
		$(DIRS) tests/fakemuni tests/hostile

# Binaries, man pages, the systemd unit, and the config and catalog in
# $(SYSCONFDIR)/kuntamon. Those are the operator's once installed: one that
# exists is kept, and a different new version goes beside it as FILE.new.
CATALOG_FILES := config/regions.csv config/municipalities.csv \
	config/measures.json config/endpoints.csv
install: $(B)/dist/kuntamond $(B)/dist/kuntamonctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/kuntamon \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(B)/dist
	install -m 755 $(B)/dist/kuntamond $(B)/dist/kuntamonctl $(DESTDIR)$(BINDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/kuntamond.service.in >$(B)/dist/kuntamond.service
	install -m 644 $(B)/dist/kuntamond.service $(DESTDIR)$(UNITDIR)/
	for p in kuntamond kuntamonctl; do \
		sed 's|/etc/kuntamon|$(SYSCONFDIR)/kuntamon|g' dist/$$p.8 \
			>$(B)/dist/$$p.8 && \
		install -m 644 $(B)/dist/$$p.8 $(DESTDIR)$(MANDIR)/man8/ || exit 1; \
	done
	sed 's|^dir = var$$|dir = $(STATEDIR)|' config/kuntamon.conf \
		>$(B)/dist/kuntamon.conf
	grep -q '^dir = $(STATEDIR)$$' $(B)/dist/kuntamon.conf
	@for f in $(B)/dist/kuntamon.conf $(CATALOG_FILES); do \
		t=$(DESTDIR)$(SYSCONFDIR)/kuntamon/$${f##*/}; \
		if [ ! -e "$$t" ]; then \
			echo "install -m 644 $$f $$t"; \
			install -m 644 "$$f" "$$t" || exit 1; \
		elif ! cmp -s "$$f" "$$t"; then \
			echo "kept $$t; the new version is $$t.new"; \
			install -m 644 "$$f" "$$t.new" || exit 1; \
		fi; \
	done

# Leaves the configuration and the data.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kuntamond $(DESTDIR)$(BINDIR)/kuntamonctl \
		$(DESTDIR)$(MANDIR)/man8/kuntamond.8 \
		$(DESTDIR)$(MANDIR)/man8/kuntamonctl.8 \
		$(DESTDIR)$(UNITDIR)/kuntamond.service
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/kuntamon and $(STATEDIR)"

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
