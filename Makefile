# faasbus: one non-recursive Makefile. `make` builds every binary into
# build/bin/; SANITIZE=1 builds an ASan+UBSan tree in build/san/.

PREFIX  ?= /usr/local
CC      ?= cc
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
  BUILD   := build/san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT     := -O1
else
  BUILD   := build
  SANFLAGS :=
  OPT     := -O2
endif

BIN := $(BUILD)/bin
OBJ := $(BUILD)/obj

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wformat=2 -Wvla -Wpointer-arith -Wundef
PKGS := libmicrohttpd libcurl jansson libconfig
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SANFLAGS) -Ilib \
           $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LDFLAGS += $(SANFLAGS)
LIBS    := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

include lib/sources.mk
include watchdog/sources.mk
include tests/sources.mk
include bench/sources.mk

LIB_OBJ := $(LIB_SRC:%.c=$(OBJ)/%.o)
WD_OBJ  := $(WD_SRC:%.c=$(OBJ)/%.o)

DAEMONS := $(BIN)/faasbus-watchdog $(BIN)/fwatchdog
FIXTURES := $(FIXTURE_SRC:tests/fixtures/%.c=$(BUILD)/fixtures/%)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test test-unit test-system bench lint run install clean
all: $(DAEMONS) $(FIXTURES)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcommon.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN)/faasbus-watchdog: $(WD_OBJ) $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BIN)/fwatchdog: $(BIN)/faasbus-watchdog
	ln -sf faasbus-watchdog $@

$(BUILD)/fixtures/%: $(OBJ)/tests/fixtures/%.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/bench/%: $(OBJ)/bench/%.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

deps:
	./scripts/deps.sh

test: all $(UNIT_BINS)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run

test-unit: all $(UNIT_BINS)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run unit

test-system: all
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run system

bench: all $(BENCH_BINS)
	BUILD=$(BUILD) ./bench/run

lint:
	./scripts/lint.sh

run: all
	BUILD=$(BUILD) ./scripts/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/faasbus/config \
	        $(DESTDIR)$(PREFIX)/share/doc/faasbus
	install -m 755 $(BIN)/faasbus-watchdog $(DESTDIR)$(PREFIX)/bin/
	ln -sf faasbus-watchdog $(DESTDIR)$(PREFIX)/bin/fwatchdog
	install -m 644 config/*.conf $(DESTDIR)$(PREFIX)/share/faasbus/config/
	$(BIN)/faasbus-watchdog --help > $(DESTDIR)$(PREFIX)/share/doc/faasbus/faasbus-watchdog.txt

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
