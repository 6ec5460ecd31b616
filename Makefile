# kuntamon: GNU make. `make` builds build/kuntamond and build/kuntamonctl.
# `make SANITIZE=address,undefined check` builds into build/san-address-undefined.

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
CC ?= cc
PKG_CONFIG ?= pkg-config

PKGS := libmicrohttpd librrd sqlite3 libcjson libcurl inih

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
ALL_CFLAGS := $(WARN) $(OPT) $(SANFLAGS) -D_GNU_SOURCE -Idaemon -Icollectors \
	-Idashboard -I$(B)/gen $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lpthread -lm

MAINS := daemon/kuntamond.c daemon/kuntamonctl.c
LIB_SRC := $(filter-out $(MAINS),$(sort $(wildcard daemon/*.c collectors/*.c dashboard/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.SECONDARY:
.PHONY: all check unit clean format format-check lint install demo bench fuzz
all: $(B)/kuntamond $(B)/kuntamonctl $(B)/fakemuni

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libkuntamon.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/kuntamond: $(B)/obj/daemon/kuntamond.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/kuntamonctl: $(B)/obj/daemon/kuntamonctl.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/fakemuni: $(B)/obj/tests/fakemuni/fakemuni.o $(B)/libkuntamon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libkuntamon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/fuzz/replay_%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/replay.o $(B)/libkuntamon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer builds (clang): `make fuzz`, then build/fuzz/fuzz_NAME CORPUS_DIR
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-Idaemon -Icollectors -Idashboard -Ibuild/gen $(PKG_CFLAGS) \
		-o $@ $< $(LIB_SRC) $(LIBS)
fuzz: $(FUZZ_BIN)

unit: $(UNIT_BIN) $(FUZZ_REPLAY)

check: all $(UNIT_BIN) $(FUZZ_REPLAY)
	@sh tests/run.sh $(B)

bench: all
	@sh bench/collect

demo: all
	@sh tests/demo.sh $(B)

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find daemon collectors dashboard tests -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRC) && echo "format ok"

lint:
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem -Idaemon -Icollectors -Idashboard \
		daemon collectors dashboard tests/fakemuni

install: $(B)/kuntamond $(B)/kuntamonctl
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/kuntamon
	install -m 755 $(B)/kuntamond $(B)/kuntamonctl $(DESTDIR)$(PREFIX)/bin/
	install -m 644 config/kuntamon.conf config/regions.csv \
		config/municipalities.csv config/measures.json \
		config/endpoints.csv $(DESTDIR)$(SYSCONFDIR)/kuntamon/

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
