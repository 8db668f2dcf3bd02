// config.hpp: included first by every core header.
//
// Core is pure C++17 and must never see PostgreSQL headers: the CMake target
// defines PRIVACY_CORE_BUILD and has no server include path. If postgres.h was
// included before a core header inside core itself, fail the build.
#pragma once

#if defined(PRIVACY_CORE_BUILD) && defined(POSTGRES_H)
#error "src/core must not include PostgreSQL headers"
#endif

#if __cplusplus < 201703L
#error "pg_privacy core needs C++17"
#endif
