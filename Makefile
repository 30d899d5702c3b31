# faasbus: one non-recursive Makefile. `make` builds every binary into
# build/bin/; SANITIZE=1 builds an ASan+UBSan tree in build/san/.

PREFIX  ?= /usr/local
# /usr installs configure /etc; any other prefix keeps its own etc/.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
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
PKGS := libcurl jansson libconfig
CFLAGS  += -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SANFLAGS) -Ilib \
           $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LDFLAGS += $(SANFLAGS)
BASE_LIBS = $(shell pkg-config --libs jansson libconfig) -lpthread -lm
LIBS     = $(shell pkg-config --libs libcurl) $(BASE_LIBS)
NATS_LIBS  = $(shell pkg-config --libs libnats) $(CRYPTO_LIBS)
KAFKA_LIBS = $(shell pkg-config --libs rdkafka)
YAML_LIBS  = $(shell pkg-config --libs yaml-0.1)
CRYPTO_LIBS = $(shell pkg-config --libs libcrypto)
# The connector allocates and frees a dozen small blocks per event, half
# of them in librdkafka and cnats; jemalloc, linked in statically so that
# it serves those libraries too, took 18% off its CPU per record against
# glibc's malloc. Sanitized builds keep the sanitizer's allocator.
ifeq ($(SANITIZE),1)
  FAST_ALLOC_LIBS :=
else
  FAST_ALLOC_LIBS = $(shell pkg-config --variable=libdir jemalloc)/libjemalloc_pic.a -lm -ldl
endif

include lib/sources.mk
include watchdog/sources.mk
include gateway/sources.mk
include devkafka/sources.mk
include gateway/worker/sources.mk
include connector/sources.mk
include cli/sources.mk
include tests/sources.mk
include bench/sources.mk
include fuzz/sources.mk

LIB_OBJ := $(LIB_SRC:%.c=$(OBJ)/%.o)
WD_OBJ  := $(WD_SRC:%.c=$(OBJ)/%.o)
GW_OBJ  := $(GW_SRC:%.c=$(OBJ)/%.o)
# libcurl loaded on its first call (lib/curl_ondemand.c), in place of
# -lcurl, for the gateway and the connector only: unit tests and the other
# daemons link libcurl itself.
CURL_ONDEMAND_OBJ := $(OBJ)/lib/curl_ondemand.o
# The gateway's main() is only the daemon's.
GW_MAIN_OBJ := $(OBJ)/gateway/main.o
GW_LIB_OBJ := $(filter-out $(GW_MAIN_OBJ),$(GW_OBJ))
# Everything of the watchdog but main(), so unit tests can link it.
WD_LIB_OBJ := $(filter-out $(OBJ)/watchdog/main.o,$(WD_OBJ))
QW_OBJ  := $(QW_SRC:%.c=$(OBJ)/%.o)
QW_LIB_OBJ := $(filter-out $(OBJ)/gateway/worker/main.o,$(QW_OBJ))
CN_OBJ  := $(CN_SRC:%.c=$(OBJ)/%.o)
CN_LIB_OBJ := $(filter-out $(OBJ)/connector/main.o,$(CN_OBJ))
CLI_OBJ := $(CLI_SRC:%.c=$(OBJ)/%.o)
CLI_LIB_OBJ := $(filter-out $(OBJ)/cli/main.o,$(CLI_OBJ))

# V=1 shows the full commands.
V ?= 0
ifeq ($(V),1)
  Q :=
else
  Q := @
endif

DAEMONS := $(BIN)/faasbus-watchdog $(BIN)/fwatchdog $(BIN)/faasbus-gateway $(BIN)/faasbus-devkafka \
           $(BIN)/faasbus-queue-worker $(BIN)/faasbus-connector
# The command-line client, and what it writes from its option tables.
CLI_BIN := $(BIN)/faasbus
CLI_DOCS := $(BUILD)/share/faasbus.1 $(BUILD)/share/faasbus.bash $(BUILD)/share/_faasbus
FIXTURES := $(FIXTURE_SRC:tests/fixtures/%.c=$(BUILD)/fixtures/%)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test test-unit fuzz test-system test-valgrind tests bench lint format run install clean docs images
all: $(DAEMONS) $(CLI_BIN) $(CLI_DOCS) $(FIXTURES)
tests: all $(UNIT_BINS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libcommon.a: $(LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libwatchdog.a: $(WD_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libgateway.a: $(GW_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libqueueworker.a: $(QW_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libconnector.a: $(CN_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libcli.a: $(CLI_LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# $(call link,EXTRA LIBS) links with $(LIBS) and those; $(call
# link_only,LIBS) with just LIBS.
define link_only
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(1)
endef
link = $(call link_only,$(LIBS) $(1))

$(BIN)/faasbus-watchdog: $(OBJ)/watchdog/main.o $(BUILD)/libwatchdog.a $(BUILD)/libcommon.a
	$(call link)

$(BIN)/faasbus-gateway: $(GW_MAIN_OBJ) $(CURL_ONDEMAND_OBJ) $(BUILD)/libgateway.a $(BUILD)/libcommon.a
	$(call link_only,$(BASE_LIBS) $(NATS_LIBS) $(YAML_LIBS))

$(BIN)/faasbus-queue-worker: $(OBJ)/gateway/worker/main.o $(BUILD)/libqueueworker.a $(BUILD)/libcommon.a
	$(call link,$(NATS_LIBS))

$(BIN)/faasbus-connector: $(OBJ)/connector/main.o $(CURL_ONDEMAND_OBJ) $(BUILD)/libconnector.a $(BUILD)/libcommon.a
	$(call link_only,$(BASE_LIBS) $(KAFKA_LIBS) $(NATS_LIBS) $(CRYPTO_LIBS) $(FAST_ALLOC_LIBS))

$(BIN)/faasbus: $(OBJ)/cli/main.o $(BUILD)/libcli.a $(BUILD)/libcommon.a
	$(call link,$(YAML_LIBS) $(KAFKA_LIBS) $(NATS_LIBS))

$(BUILD)/share/faasbus.1: $(CLI_BIN)
	@mkdir -p $(dir $@)
	$(Q)$< man > $@.tmp && mv $@.tmp $@

$(BUILD)/share/faasbus.bash: $(CLI_BIN)
	@mkdir -p $(dir $@)
	$(Q)$< completion bash > $@.tmp && mv $@.tmp $@

$(BUILD)/share/_faasbus: $(CLI_BIN)
	@mkdir -p $(dir $@)
	$(Q)$< completion zsh > $@.tmp && mv $@.tmp $@

$(BIN)/faasbus-devkafka: $(DK_SRC:%.c=$(OBJ)/%.o) $(BUILD)/libcommon.a
	$(call link,$(shell pkg-config --libs rdkafka))

$(BIN)/fwatchdog: $(BIN)/faasbus-watchdog
	$(Q)ln -sf faasbus-watchdog $@

$(BUILD)/fixtures/%: $(OBJ)/tests/fixtures/%.o $(BUILD)/libcommon.a
	$(call link)

$(BUILD)/tests/%: $(OBJ)/tests/unit/%.o $(BUILD)/libwatchdog.a $(BUILD)/libgateway.a \
                  $(BUILD)/libqueueworker.a $(BUILD)/libconnector.a $(BUILD)/libcli.a \
                  $(BUILD)/libcommon.a
	$(call link,$(shell pkg-config --libs cmocka) $(KAFKA_LIBS) $(NATS_LIBS) $(YAML_LIBS) $(CRYPTO_LIBS))

$(BUILD)/bench/%: $(OBJ)/bench/%.o $(BUILD)/libcommon.a
	$(call link)

deps:
	./scripts/deps.sh

# test, run and bench first make sure the packages are there, then build in
# a fresh make (so pkg-config sees what deps just installed).
test:
	./scripts/deps.sh
	$(MAKE) tests
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run

test-unit: tests
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run unit

test-system: all
	BUILD=$(BUILD) SANITIZE=$(SANITIZE) ./tests/run system

# The system tests with every daemon under valgrind (leaks, invalid
# accesses); slow, so not part of make test. PYTEST_ARGS picks tests.
# A daemon's forked child (the process driver's, before it execs a
# replica) is silent: it ends without the threads whose allocations it
# inherited, which valgrind would otherwise report as its own leaks.
test-valgrind: all
	FAASBUS_WRAP="valgrind -q --soname-synonyms=somalloc=NONE --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --trace-children=no --child-silent-after-fork=yes" \
	BUILD=$(BUILD) ./tests/run system

# The fuzz harnesses are built with clang's libFuzzer whatever CC is; the
# seed corpora in fuzz/corpus/ are read, never written. make test runs each
# for FUZZ_SMOKE_SECONDS; a longer search is make fuzz FUZZ_SECONDS=3600.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_DIR := build/fuzz
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%)
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -Ilib \
              -Ifuzz -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(FUZZ_DIR)/%: fuzz/%.c fuzz/harness.h $(FUZZ_LIB) lib/*.h gateway/model.h
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(shell pkg-config --cflags $(FUZZ_PKGS)) -o $@ $< $(FUZZ_LIB) \
	    $(shell pkg-config --libs $(FUZZ_PKGS))

fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$n $(FUZZ_DIR)/crashes; \
	    echo "  FUZZ    $$n for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crashes/$$n- \
	        $(FUZZ_DIR)/corpus/$$n fuzz/corpus/$$n > $(FUZZ_DIR)/$$n.log 2>&1 \
	        || { tail -40 $(FUZZ_DIR)/$$n.log; exit 1; }; \
	    sed -n 's/^stat::number_of_executed_units: */    runs: /p' $(FUZZ_DIR)/$$n.log; \
	done

bench:
	./scripts/deps.sh
	$(MAKE) all $(BENCH_BINS)
	BUILD=$(BUILD) ./bench/run

lint:
	./scripts/lint.sh

# Formats every C source and header in place by .clang-format.
FORMAT_DIRS := lib watchdog gateway connector cli devkafka tests bench fuzz
format:
	find $(FORMAT_DIRS) -name '*.[ch]' -print0 | xargs -0 clang-format -i

# faasbus's container images, built locally (no registry): see
# scripts/images.sh. DOCKER_HOST picks the engine.
images: all
	BUILD=$(BUILD) ./scripts/images.sh

# docs/settings.md from the daemons' option tables.
docs: all
	./scripts/settings-doc.sh $(BIN) > docs/settings.md

run:
	./scripts/deps.sh
	$(MAKE) all
	BUILD=$(BUILD) ./scripts/run.sh

# Binaries, --help texts, the portal's files (ui/, where the gateway's
# default ui_dir finds them), sample configs (also into SYSCONFDIR/faasbus,
# never over an existing file), systemd units with the paths filled in,
# and the CLI with its man page and bash and zsh completions.
UNITS := faasbus-gateway faasbus-queue-worker faasbus-connector
DOCDIR = $(PREFIX)/share/doc/faasbus
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/faasbus/config \
	        $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/faasbus $(DESTDIR)$(UNITDIR)
	install -m 755 $(filter-out $(BIN)/fwatchdog,$(DAEMONS)) $(DESTDIR)$(PREFIX)/bin/
	ln -sf faasbus-watchdog $(DESTDIR)$(PREFIX)/bin/fwatchdog
	install -m 644 config/*.conf $(DESTDIR)$(PREFIX)/share/faasbus/config/
	install -d $(DESTDIR)$(PREFIX)/share/faasbus/ui
	install -m 644 ui/*.html ui/*.js ui/*.css $(DESTDIR)$(PREFIX)/share/faasbus/ui/
	for f in config/*.conf; do \
	    [ -e $(DESTDIR)$(SYSCONFDIR)/faasbus/$${f#config/} ] || \
	        install -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/faasbus/; \
	done
	for d in $(filter-out $(BIN)/fwatchdog,$(DAEMONS)); do \
	    $$d --help > $(DESTDIR)$(DOCDIR)/$${d##*/}.txt; \
	done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 \
	        $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	        $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/share/faasbus.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(BUILD)/share/faasbus.bash \
	        $(DESTDIR)$(PREFIX)/share/bash-completion/completions/faasbus
	install -m 644 $(BUILD)/share/_faasbus $(DESTDIR)$(PREFIX)/share/zsh/site-functions/
	for u in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@DOCDIR@|$(DOCDIR)|g' deploy/systemd/$$u.service.in \
	        > $(DESTDIR)$(UNITDIR)/$$u.service; \
	done

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
