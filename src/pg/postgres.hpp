// postgres.hpp: the one way glue code includes the core server headers.
//
// PostgreSQL headers have no extern "C" guards, so they are wrapped here.
// Include C++ standard and core headers BEFORE this file: port.h maps the
// printf family to pg_* macros and libstdc++'s <cstdio> undoes that, so the
// order decides which printf a translation unit uses (notes/pg-internals §8).
// Glue files that need more server headers include them inside their own
// extern "C" block after this file.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}
