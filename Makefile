# akhound build. Sources are discovered by directory, so adding a module needs no Makefile edit:
#   scanner/**/*.c (except main.c)  -> build/libakhound.a
#   scanner/main.c                  -> build/akhound
#   tests/unit/test_*.c             -> build/tests/test_*  (cmocka, linked with libakhound.a)
#   tests/integration/*.sh          -> run by tests/run-integration.sh
#   tests/fuzz/fuzz_*.c             -> build-fuzz/fuzz_*   (clang libFuzzer)

BUILD    ?= build
CC       ?= cc
PREFIX   ?= /usr/local
PKGS     := libpcre2-8 libhs libgit2 libcurl libcrypto libssl yaml-0.1 jansson sqlite3 libdeflate
DEB_PKGS := build-essential pkg-config git openssl python3 python3-jsonschema ca-certificates \
            libpcre2-dev libvectorscan-dev libgit2-dev libcurl4-openssl-dev libssl-dev \
            libyaml-dev libjansson-dev libsqlite3-dev sqlite3 libcmocka-dev libdeflate-dev wamerican
DEV_PKGS := clang libclang-rt-14-dev clang-format cppcheck ripgrep hyperfine time pre-commit \
            chromium shellcheck man-db zsh fish

OPT      ?= -O2
SAN      ?=
CFLAGS   ?=
CFLAGS   += -std=c17 -Wall -Wextra -Werror -D_GNU_SOURCE $(OPT) -g $(SAN) -Iscanner \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl (and the libssl it brings) is not linked: scanner/util/curl_lazy.c loads it on first use,
# which keeps twenty shared libraries out of every start-up (a pre-commit scan's largest cost).
LINK_PKGS := $(filter-out libcurl libssl,$(PKGS))
LDLIBS   += $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -ldl -lpthread -lm
LDFLAGS  += $(SAN)

LIB_SRC  := $(sort $(shell find scanner -name '*.c' ! -path scanner/main.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

.PHONY: all deps dev-deps test unit integration asan bench fuzz lint format install docs clean \
        selfscan accuracy

all: $(BUILD)/akhound

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The built-in rules are assembled into the binary (scanner/detect/builtin.c uses .incbin).
$(BUILD)/obj/scanner/detect/builtin.o: patterns/alibaba.yml
# ... and so are the git hooks that `akhound hook install` writes.
$(BUILD)/obj/scanner/cli/hook.o: hooks/pre-commit hooks/pre-push
$(BUILD)/obj/scanner/respond/policy.o: scanner/respond/deny-policy.json

# The word list for word-likeness (scanner/detect/words.c), from Debian's wamerican package.
WORDS_SRC := /usr/share/dict/american-english
$(BUILD)/gen/words.txt: $(WORDS_SRC)
	@mkdir -p $(dir $@)
	@test -r $< || { echo "missing $<: install wamerican (make deps)" >&2; exit 1; }
	LC_ALL=C grep -E '^[a-z]{2,14}$$' $< | LC_ALL=C sort -u > $@
$(BUILD)/obj/scanner/detect/words_data.o: $(BUILD)/gen/words.txt
$(BUILD)/obj/scanner/detect/words_data.o: CFLAGS += -DAK_WORDS_FILE='"$(BUILD)/gen/words.txt"'

$(BUILD)/libakhound.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/akhound: $(BUILD)/obj/scanner/main.o $(BUILD)/libakhound.a
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libakhound.a tests/unit/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/libakhound.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# Installs only the packages that are missing, so a prepared machine pays nothing.
deps:
	@missing=$$(for p in $(DEB_PKGS) $(if $(WITH_DEV),$(DEV_PKGS)); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	else echo "deps: all present"; fi

dev-deps:
	@$(MAKE) --no-print-directory deps WITH_DEV=1

test: $(BUILD)/akhound $(TEST_BIN)
	@tests/run-unit.sh $(BUILD)
	@AKHOUND=$(BUILD)/akhound $(BUILD)/akhound rules test --rules patterns
	@AKHOUND=$(abspath $(BUILD)/akhound) tests/run-integration.sh

unit: $(TEST_BIN)
	@tests/run-unit.sh $(BUILD)

integration: $(BUILD)/akhound
	@AKHOUND=$(abspath $(BUILD)/akhound) tests/run-integration.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build tree.
asan:
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(MAKE) --no-print-directory test BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# Found / false alarms of akhound beside other scanners' published rules on tests/accuracy/.
accuracy: $(BUILD)/akhound
	@python3 tests/accuracy/harness.py $(BUILD)/akhound

bench: $(BUILD)/akhound
	@bench/run-all.sh

selfscan: $(BUILD)/akhound
	$(BUILD)/akhound scan --format text .

lint:
	@clang-format --dry-run --Werror $$(find scanner tests -name '*.[ch]')
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	    --inline-suppr --suppress=missingIncludeSystem -Iscanner scanner tests/unit

format:
	clang-format -i $$(find scanner tests -name '*.[ch]')

# The man page and the shell completions are generated from the --help texts built into akhound
# (doc/mkman.sh, doc/mkcompletion.sh): one source for the help, the page and the completions.
DOCS := $(BUILD)/doc/akhound.1 $(BUILD)/doc/akhound.bash $(BUILD)/doc/_akhound $(BUILD)/doc/akhound.fish

docs: $(DOCS)

$(BUILD)/doc/akhound.1: $(BUILD)/akhound doc/mkman.sh
	@mkdir -p $(dir $@)
	doc/mkman.sh $(BUILD)/akhound > $@.tmp && mv $@.tmp $@

$(BUILD)/doc/akhound.bash $(BUILD)/doc/_akhound $(BUILD)/doc/akhound.fish: $(BUILD)/akhound doc/mkcompletion.sh
	@mkdir -p $(dir $@)
	doc/mkcompletion.sh $(patsubst _akhound,zsh,$(subst akhound.,,$(notdir $@))) $(BUILD)/akhound > $@.tmp && mv $@.tmp $@

# The rules and hooks are built into the binary: nothing else is needed at run time.
install: $(BUILD)/akhound $(DOCS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BUILD)/akhound $(DESTDIR)$(PREFIX)/bin/akhound
	install -m 0644 $(BUILD)/doc/akhound.1 $(DESTDIR)$(PREFIX)/share/man/man1/akhound.1
	install -m 0644 $(BUILD)/doc/akhound.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/akhound
	install -m 0644 $(BUILD)/doc/_akhound $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_akhound
	install -m 0644 $(BUILD)/doc/akhound.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/akhound.fish

clean:
	rm -rf build build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
