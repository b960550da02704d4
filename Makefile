# Makefile for the cdp extension (PGXS)
#
#   make                     build cdp.so
#   make install             install into the server that PG_CONFIG names
#   test/run                 build, start a throw-away cluster, run every test
#   make installcheck        run the pg_regress tests against a running server

EXTENSION = cdp
MODULE_big = cdp

# every C file under src/, one concern per file
SRCS = $(sort $(wildcard src/*.c src/*/*.c))
OBJS = $(SRCS:.c=.o)

# install and upgrade scripts: sql/cdp--<version>.sql, sql/cdp--<a>--<b>.sql
DATA = $(sort $(wildcard sql/cdp--*.sql))

# pg_regress tests: every other sql/<test>.sql, run in name order
REGRESS = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/cdp--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --encoding=UTF8

ICU_CFLAGS := $(shell pkg-config --cflags icu-uc icu-i18n 2>/dev/null)
ICU_LIBS := $(shell pkg-config --libs icu-uc icu-i18n 2>/dev/null || echo -licui18n -licuuc -licudata)

PG_CPPFLAGS = -I$(srcdir)/src $(ICU_CFLAGS)
SHLIB_LINK = $(ICU_LIBS) -lm

# each object also depends on the headers it includes (gcc writes them to
# src/.../<file>.d), so that editing a header rebuilds every file using it
PG_CFLAGS = -MMD -MP
DEPS = $(OBJS:.o=.d)

EXTRA_CLEAN = results regression.diffs regression.out tmp_check log $(DEPS)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

-include $(DEPS)
