# tandem: top-level build.
#
# Non-recursive and convention-driven, so adding a file never means editing
# this Makefile:
#   libs/<lib>/*.c                  -> build/<v>/libtandem.a
#   libs/<lib>/*_test.c             -> one cmocka test binary per file
#   services/<svc>/*.c              -> build/<v>/bin/<svc>   (main.c is the entry)
#   services/<svc>/*_test.c         -> test binary linked with the service's
#                                      objects minus main.c
#   tools/<tool>/*.c                -> build/<v>/bin/<tool>
#   fuzz/fuzz_*.c                   -> libFuzzer targets (VARIANT=fuzz, clang)
#   proto/tandem/*.proto            -> build/<v>/gen/tandem/*.pb-c.[ch]
#
# Variants: release (default, -O2), asan (ASan+UBSan, what the tests use),
# fuzz (clang, libFuzzer + ASan/UBSan).

VARIANT ?= release
B       := build/$(VARIANT)
V       ?= 0
ifeq ($(V),0)
Q       := @
say      = printf '  %-6s %s\n' $(1) $(2);
else
Q       :=
say      =
endif

ifeq ($(VARIANT),fuzz)
CC      := clang
endif
CC      ?= cc

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation \
           -Wnull-dereference -Wundef
ifeq ($(VARIANT),fuzz)
WARN    += -Wno-unknown-warning-option # clang: -Wno-format-truncation is gcc's
endif
PKGS    := yajl libpq hiredis libprotobuf-c libmicrohttpd libsodium jansson libsystemd libcurl openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
CPPFLAGS += -D_GNU_SOURCE -Ilibs -I$(B)/gen $(PKG_CFLAGS)
CFLAGS   += -std=c11 $(WARN) -g -fno-strict-aliasing -pthread -MMD -MP
LDFLAGS  += -pthread
LDLIBS   += -Wl,--as-needed $(PKG_LIBS) -lnng -lm

ifeq ($(VARIANT),release)
CFLAGS  += -O2
else ifeq ($(VARIANT),asan)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
LDFLAGS += -fsanitize=address,undefined
else
$(error unknown VARIANT '$(VARIANT)': use release, asan or fuzz)
endif

# --- sources -----------------------------------------------------------------
PROTOS      := $(wildcard proto/tandem/*.proto)
PROTO_C     := $(patsubst proto/%.proto,$(B)/gen/%.pb-c.c,$(PROTOS))
PROTO_H     := $(PROTO_C:.c=.h)
PROTO_OBJS  := $(patsubst $(B)/gen/%.c,$(B)/obj/gen/%.o,$(PROTO_C))

LIB_TESTS   := $(wildcard libs/*/*_test.c)
LIB_SRCS    := $(filter-out $(LIB_TESTS) $(wildcard libs/*/fuzz_*.c),$(wildcard libs/*/*.c))
LIB_OBJS    := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS)) $(PROTO_OBJS)
LIBTANDEM   := $(B)/libtandem.a

SERVICES    := $(notdir $(patsubst %/,%,$(dir $(wildcard services/*/main.c))))
TOOLS       := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/main.c))))
FUZZERS     := $(basename $(notdir $(wildcard fuzz/fuzz_*.c)))

svc_srcs     = $(filter-out %_test.c,$(wildcard services/$(1)/*.c))
svc_objs     = $(patsubst %.c,$(B)/obj/%.o,$(call svc_srcs,$(1)))
svc_libobjs  = $(filter-out %/main.o,$(call svc_objs,$(1)))
# A tool that needs a service's module (e.g. routing-probe runs sip-router's
# routing loader) names its sources in tools/<tool>/extra-sources.
tool_extra   = $(if $(wildcard tools/$(1)/extra-sources),$(shell cat tools/$(1)/extra-sources))
tool_objs    = $(patsubst %.c,$(B)/obj/%.o,$(filter-out %_test.c,$(wildcard tools/$(1)/*.c)) \
               $(call tool_extra,$(1)))
tool_libobjs = $(filter-out %/main.o,$(call tool_objs,$(1)))

SVC_TESTS   := $(wildcard services/*/*_test.c)
TOOL_TESTS  := $(wildcard tools/*/*_test.c)
TEST_BINS   := $(patsubst libs/%.c,$(B)/test/%,$(LIB_TESTS)) \
               $(patsubst services/%.c,$(B)/test/%,$(SVC_TESTS)) \
               $(patsubst tools/%.c,$(B)/test/tools/%,$(TOOL_TESTS))
BINS        := $(addprefix $(B)/bin/,$(SERVICES) $(TOOLS))

.PHONY: all test unit-bins fuzz-bins unit-test integration-test check-config-docs format format-check \
        fuzz fuzz-smoke bench clean distclean run stop
.DEFAULT_GOAL := all

all: $(BINS)

# --- protobuf ----------------------------------------------------------------
$(B)/gen/.stamp: $(PROTOS)
	@mkdir -p $(B)/gen
	$(Q)$(call say,PROTO,$(PROTOS))protoc-c --proto_path=proto --c_out=$(B)/gen $(PROTOS)
	@touch $@
$(PROTO_C) $(PROTO_H): $(B)/gen/.stamp

# The version header changes only when `git describe` does.
$(B)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define TANDEM_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# --- compile -----------------------------------------------------------------
$(B)/obj/%.o: %.c | $(B)/gen/.stamp $(B)/gen/version.h
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# protobuf-c's generated code is not ours to keep warning-clean.
$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$<)$(CC) $(CPPFLAGS) $(filter-out -Werror -Wmissing-prototypes,$(CFLAGS)) -c -o $@ $<

$(LIBTANDEM): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

# --- link --------------------------------------------------------------------
define daemon_rule
$(B)/bin/$(1): $(call svc_objs,$(1)) $(LIBTANDEM)
	@mkdir -p $$(@D)
	$$(Q)$$(call say,LINK,$$@)$$(CC) $$(LDFLAGS) -o $$@ $(call svc_objs,$(1)) $(LIBTANDEM) $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call daemon_rule,$(s))))

define tool_rule
$(B)/bin/$(1): $(call tool_objs,$(1)) $(LIBTANDEM)
	@mkdir -p $$(@D)
	$$(Q)$$(call say,LINK,$$@)$$(CC) $$(LDFLAGS) -o $$@ $(call tool_objs,$(1)) $(LIBTANDEM) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(B)/test/%_test: $(B)/obj/libs/%_test.o $(LIBTANDEM)
	@mkdir -p $(@D)
	$(Q)$(call say,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< $(LIBTANDEM) $(LDLIBS) -lcmocka

define svc_test_rule
$(B)/test/$(1)/%_test: $(B)/obj/services/$(1)/%_test.o $(call svc_libobjs,$(1)) $(LIBTANDEM)
	@mkdir -p $$(@D)
	$$(Q)$$(call say,LINK,$$@)$$(CC) $$(LDFLAGS) -o $$@ $$< $(call svc_libobjs,$(1)) $(LIBTANDEM) $$(LDLIBS) -lcmocka
endef
$(foreach s,$(SERVICES),$(eval $(call svc_test_rule,$(s))))

define tool_test_rule
$(B)/test/tools/$(1)/%_test: $(B)/obj/tools/$(1)/%_test.o $(call tool_libobjs,$(1)) $(LIBTANDEM)
	@mkdir -p $$(@D)
	$$(Q)$$(call say,LINK,$$@)$$(CC) $$(LDFLAGS) -o $$@ $$< $(call tool_libobjs,$(1)) $(LIBTANDEM) $$(LDLIBS) -lcmocka
endef
$(foreach t,$(TOOLS),$(eval $(call tool_test_rule,$(t))))

# --- tests -------------------------------------------------------------------
# `make test` is the one command the README and CI run: unit tests and
# integration tests, all against ASan+UBSan builds.
test:
	$(MAKE) VARIANT=asan all unit-bins
	$(MAKE) VARIANT=fuzz fuzz-bins
	tests/run

unit-bins: $(TEST_BINS)
unit-test: unit-bins
	tests/run --only unit

fuzz-bins: $(addprefix $(B)/fuzz/,$(FUZZERS))
$(B)/fuzz/%: fuzz/%.c $(LIBTANDEM)
	@mkdir -p $(@D)
	$(Q)$(call say,FUZZ,$@)$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIBTANDEM) $(LDLIBS)

# --- housekeeping --------------------------------------------------------------
check-config-docs: all
	scripts/gen-config-docs --check

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

bench: all
	bench/cdr-path.sh

run: all
	scripts/tandem up
stop:
	scripts/tandem down

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
