# Makefile: PGXS build of pg_privacy.so (glue in src/pg, linked with the core
# static library that CMake builds), SQL install script generation, and the
# project's entry points:
#   make demo    throwaway cluster with the demo dataset and policies
#   make test    every suite (unit, pg_regress, pgTAP, checks) on a throwaway cluster
#   make bench   benchmarks printing ratios measured in one run
#   make deb     the Debian package postgresql-15-pg-privacy (build/deb/)
#   make dist    the PGXN distribution zip (build/dist/)
# On a machine without the PostgreSQL server headers, these targets first
# install the dependencies (scripts/install-deps.sh) and then re-run make.

EXTENSION   = pg_privacy
EXTVERSION  = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" pg_privacy.control)
PG_CONFIG  ?= pg_config
PGXS       := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

.PHONY: demo demo-stop test test-citus unit bench fuzz deps check-versions check-exports format deb dist

ifeq ($(wildcard $(PGXS)),)

# Bootstrap mode: no PGXS yet.
all install installcheck demo test test-citus unit bench:
	bash scripts/install-deps.sh
	$(MAKE) $@

else

MODULE_big  = pg_privacy
PG_SRCS    := $(sort $(shell find src/pg -name '*.cpp'))
OBJS        = $(PG_SRCS:.cpp=.o)
DATA_built  = src/sql/$(EXTENSION)--$(EXTVERSION).sql
# the released install scripts are frozen (src/sql/pg_privacy--<released>.sql,
# committed); the current one is generated from the parts
DATA        = $(filter-out $(DATA_built),$(wildcard src/sql/pg_privacy--*.sql)) $(wildcard src/sql/updates/*.sql)
SQL_PARTS  := $(sort $(wildcard src/sql/parts/*.sql))

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)

CORE_BUILD_DIR ?= build/core
CORE_LIB        = $(CORE_BUILD_DIR)/libprivacy_core.a

PG_CPPFLAGS  = -I$(CURDIR)/src -I$(CURDIR)/src/core/include -DPRIVACY_EXTVERSION='"$(EXTVERSION)"'
PG_CXXFLAGS  = -std=gnu++17 -Wno-register -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-cast-function-type \
               -fno-omit-frame-pointer -MMD -MP
SHLIB_LINK   = $(CORE_LIB) -lssl -lcrypto -lsodium -lstdc++ -Wl,--version-script=$(CURDIR)/src/pg/exports.map

EXTRA_CLEAN  = $(DATA_built) $(OBJS:.o=.d) results regression.diffs regression.out build

# Debian's server is built with LLVM JIT; without this PGXS would also emit
# clang bitcode for every C++ object.
override with_llvm = no

include $(PGXS)

-include $(OBJS:.o=.d)

# With PRIVACY_PG_ROOT set (a private copy made by scripts/private-pg.sh),
# installing anywhere else would replace the extension that other checkouts
# on this machine are testing: refuse unless pg_config is the private one.
install: check-private-root
.PHONY: check-private-root
check-private-root:
	@if [ -n "$${PRIVACY_PG_ROOT:-}" ]; then \
		case "$(pkglibdir)" in \
		"$${PRIVACY_PG_ROOT%/}"/*) ;; \
		*) echo "make install: PRIVACY_PG_ROOT is $$PRIVACY_PG_ROOT but $(PG_CONFIG) installs into $(pkglibdir);" \
			"put $$PRIVACY_PG_ROOT/usr/lib/postgresql/15/bin first in PATH" >&2; exit 1 ;; \
		esac; \
	fi

# The install script is generated from the ordered parts.
$(DATA_built): $(SQL_PARTS) pg_privacy.control
	cat $(SQL_PARTS) > $@

# Core is built by CMake as a static, position-independent library.
$(CORE_LIB): FORCE
	@cmake -S . -B $(CORE_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRIVACY_BUILD_TESTS=OFF \
		-DPRIVACY_BUILD_BENCH=OFF > /dev/null
	@cmake --build $(CORE_BUILD_DIR) --target privacy_core

$(shlib): $(CORE_LIB)

# the version is compiled into this object only
src/pg/fmgr/version.o: pg_privacy.control

.PHONY: FORCE
FORCE:

demo:
	bash contrib/demo/run-demo.sh

demo-stop:
	bash contrib/demo/run-demo.sh stop

test:
	bash test/harness/run-all.sh

# opt-in: a coordinator and two workers when Citus is installed (skipped otherwise)
test-citus: install
	bash test/citus/run.sh

unit:
	bash test/harness/run-unit.sh

bench:
	bash test/bench/run-bench.sh

fuzz:
	bash test/fuzz/run-fuzz.sh

check-versions:
	bash scripts/check-versions.sh

# rewrites every C++ file as .clang-format says (make test checks it)
format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp' '*.h' | grep -v '^src/core/mask/dictionaries_data\.cpp$$')

check-exports: all
	bash scripts/check-exports.sh $(shlib)

endif

# packaging needs no PGXS of its own: it installs what it needs (defined
# last so that the default goal stays the build)
deb:
	bash scripts/build-deb.sh

dist:
	bash scripts/build-dist.sh
