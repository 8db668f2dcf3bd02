// boundary.hpp: the single C++/PostgreSQL error boundary.
//
// Two directions, two tools:
//   CallCore(fn)  runs C++ (core) code from a PostgreSQL entry point. Every
//                 C++ exception is caught; the handlers only record POD data;
//                 the ERROR is raised after the try/catch has ended, so no
//                 longjmp ever leaves a catch block or skips a destructor.
//   CallPg(fn)    runs a PostgreSQL call from C++ code that holds live C++
//                 objects further up the stack. A PostgreSQL ERROR is caught
//                 with PG_TRY, copied out, flushed, and re-thrown as a C++
//                 PgError, which unwinds normally; CallCore then re-raises it
//                 with ReThrowError so its SQLSTATE, detail and hint survive.
//
// Rules (STYLE.md §2.4, notes/pg-internals.md §8):
//  * The PostgreSQL call must be CallPg's immediate callee: the lambda given
//    to CallPg holds no object with a non-trivial destructor.
//  * Glue code is C-style: in a frame that calls PostgreSQL directly, keep
//    only trivially destructible locals. C++ objects live in core or inside
//    CallPg-guarded scopes.
//  * Core errors carry static messages only, so nothing raised here can echo
//    a protected value; errors from core also hide the statement text from
//    the server log (errhidestmt), because statements can carry literals.
#pragma once

#include "privacy/core/error.hpp"

#include <new>
#include <type_traits>
#include <utility>

#include "pg/postgres.hpp"

namespace privacy::pg {

// PgError carries a PostgreSQL error (copied out of ErrorContext) through C++
// frames. It is thrown only by CallPg and consumed only by CallCore.
struct PgError {
	ErrorData *edata;
};

// CaughtError is what a catch handler records: plain data only.
struct CaughtError {
	enum class Source { kNone, kCore, kPg, kBadAlloc, kStd, kUnknown };
	Source source;
	core::ErrorKind kind;
	const char *message;
	const char *detail;
	const char *hint;
	ErrorData *edata;
};
static_assert(std::is_trivially_destructible_v<CaughtError>, "CaughtError must be POD");

// RaiseCaught turns a recorded error into a PostgreSQL ERROR. Never returns.
[[noreturn]] void RaiseCaught(const CaughtError &caught);

// SqlStateFor maps a core ErrorKind to its SQLSTATE (one table, boundary.cpp).
int SqlStateFor(core::ErrorKind kind) noexcept;

// TryPg runs fn(arg) under PG_TRY. It returns NULL on success, or the copied
// ErrorData (allocated in the caller's memory context) after flushing the
// error state.
ErrorData *TryPg(void (*fn)(void *), void *arg);

// CallCore runs fn, converting any C++ exception into a PostgreSQL ERROR
// raised after every C++ object of fn's call tree has been destroyed.
template <typename Fn>
auto
CallCore(Fn &&fn) -> decltype(fn()) {
	CaughtError caught{};
	try {
		return fn();
	} catch (const core::Error &e) {
		caught.source = CaughtError::Source::kCore;
		caught.kind = e.kind();
		caught.message = e.message();
		caught.detail = e.detail();
		caught.hint = e.hint();
	} catch (const PgError &e) {
		caught.source = CaughtError::Source::kPg;
		caught.edata = e.edata;
	} catch (const std::bad_alloc &) {
		caught.source = CaughtError::Source::kBadAlloc;
	} catch (const std::exception &) {
		// what() may describe data; it is deliberately not reported.
		caught.source = CaughtError::Source::kStd;
	} catch (...) {
		caught.source = CaughtError::Source::kUnknown;
	}
	RaiseCaught(caught);
}

// CallPg runs fn (a PostgreSQL call) and throws PgError if it raised an ERROR.
// The result type must be trivially copyable (Datum, pointers, integers).
template <typename Fn>
auto
CallPg(Fn &&fn) -> decltype(fn()) {
	using Result = decltype(fn());
	using FnType = std::remove_reference_t<Fn>;
	if constexpr (std::is_void_v<Result>) {
		ErrorData *edata = TryPg([](void *p) { (*static_cast<FnType *>(p))(); }, &fn);
		if (edata != nullptr)
			throw PgError{edata};
	} else {
		static_assert(std::is_trivially_copyable_v<Result>, "CallPg results must be plain data");
		struct Frame {
			FnType *fn;
			Result result;
		} frame{&fn, Result{}};
		ErrorData *edata = TryPg(
		        [](void *p) {
			        auto *f = static_cast<Frame *>(p);
			        f->result = (*f->fn)();
		        },
		        &frame);
		if (edata != nullptr)
			throw PgError{edata};
		return frame.result;
	}
}

} // namespace privacy::pg

// PRIVACY_FUNCTION declares the C-linkage fmgr entry pg_privacy_<name> and
// routes it through CallCore to a C++ body `Datum impl(FunctionCallInfo)`.
#define PRIVACY_FUNCTION(name, impl)                                                               \
	extern "C" {                                                                                   \
	PG_FUNCTION_INFO_V1(pg_privacy_##name);                                                        \
	}                                                                                              \
	extern "C" Datum pg_privacy_##name(PG_FUNCTION_ARGS) {                                         \
		return ::privacy::pg::CallCore([&]() -> Datum { return impl(fcinfo); });                   \
	}
