// mask_bench.cpp: per-call cost (ns/op) of every masking algorithm on realistic values.
//
// Measures only; never fails on timing. Each benchmark reuses one output buffer (cleared per call,
// capacity kept), which is how the glue calls core, so the numbers exclude per-call allocation.
#include "privacy/core/mask.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include <sodium.h>

namespace {

namespace core = privacy::core;

// Key returns a fixed benchmark secret (and initializes libsodium once).
const std::uint8_t *
Key() {
	static const std::uint8_t *key = [] {
		if (sodium_init() < 0)
			std::abort();
		static std::uint8_t bytes[core::kMaskKeyBytes];
		for (std::size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = static_cast<std::uint8_t>(i * 13 + 5);
		return bytes;
	}();
	return key;
}

// RunText benchmarks a text mask fn(value, out) over value.
template <typename Fn>
void
RunText(benchmark::State &state, std::string_view value, Fn fn) {
	std::string out;
	out.reserve(value.size() + 64);
	for (auto _ : state) {
		out.clear();
		fn(value, out);
		benchmark::DoNotOptimize(out.data());
	}
	state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * value.size()));
}

void
BM_Redact(benchmark::State &state) {
	RunText(state, "Jane Doe", [](std::string_view, std::string &out) { core::Redact(out); });
}
BENCHMARK(BM_Redact);

void
BM_PartialAscii(benchmark::State &state) {
	RunText(state, "4111111111111234",
	        [](std::string_view v, std::string &out) { core::Partial(v, 0, "XXXX", 4, out); });
}
BENCHMARK(BM_PartialAscii);

void
BM_PartialUtf8(benchmark::State &state) {
	RunText(state, "Françoise Lefèvre-Müller",
	        [](std::string_view v, std::string &out) { core::Partial(v, 2, "***", 2, out); });
}
BENCHMARK(BM_PartialUtf8);

void
BM_Partial1MB(benchmark::State &state) {
	std::string value(1 << 20, 'a');
	RunText(state, value,
	        [](std::string_view v, std::string &out) { core::Partial(v, 2, "***", 2, out); });
}
BENCHMARK(BM_Partial1MB);

void
BM_MaskEmail(benchmark::State &state) {
	RunText(state, "john.doe+newsletter@example.com", core::MaskEmail);
}
BENCHMARK(BM_MaskEmail);

void
BM_MaskPhone(benchmark::State &state) {
	RunText(state, "+1 (212) 555-0123", core::MaskPhone);
}
BENCHMARK(BM_MaskPhone);

void
BM_MaskCard(benchmark::State &state) {
	RunText(state, "4111 1111 1111 1234",
	        [](std::string_view v, std::string &out) { core::MaskCard(v, 6, out); });
}
BENCHMARK(BM_MaskCard);

void
BM_MaskIban(benchmark::State &state) {
	RunText(state, "DE89 3704 0044 0532 0130 00", core::MaskIban);
}
BENCHMARK(BM_MaskIban);

void
BM_ZeroHostBitsIpv6(benchmark::State &state) {
	std::uint8_t address[16] = {0x20, 0x01, 0x0d, 0xb8, 0x85, 0xa3, 0x12, 0x34,
	                            1,    2,    3,    4,    5,    6,    7,    8};
	for (auto _ : state) {
		core::ZeroHostBits(address, 16, core::kDefaultIpv6PrefixBits);
		benchmark::DoNotOptimize(address);
	}
}
BENCHMARK(BM_ZeroHostBitsIpv6);

void
BM_GeneralizeInt64(benchmark::State &state) {
	std::int64_t value = 123456789;
	for (auto _ : state) {
		auto bucket = core::GeneralizeInt64(value++, 1000);
		benchmark::DoNotOptimize(bucket);
	}
}
BENCHMARK(BM_GeneralizeInt64);

void
BM_GeneralizeDateMonth(benchmark::State &state) {
	std::int32_t day = 19860;
	for (auto _ : state) {
		auto bucket = core::GeneralizeDate(day++, core::DateUnit::kMonth);
		benchmark::DoNotOptimize(bucket);
	}
}
BENCHMARK(BM_GeneralizeDateMonth);

void
BM_GeneralizeTimestampWeek(benchmark::State &state) {
	std::int64_t micros = 1715953500000000LL;
	for (auto _ : state) {
		auto bucket = core::GeneralizeTimestamp(micros, core::DateUnit::kWeek);
		micros += 3600000000LL;
		benchmark::DoNotOptimize(bucket);
	}
}
BENCHMARK(BM_GeneralizeTimestampWeek);

void
BM_NoiseInt64(benchmark::State &state) {
	const std::uint8_t *key = Key();
	std::int64_t value = 52000;
	for (auto _ : state)
		benchmark::DoNotOptimize(core::NoiseInt64(value++, 0.1, key));
}
BENCHMARK(BM_NoiseInt64);

void
BM_NoiseDouble(benchmark::State &state) {
	const std::uint8_t *key = Key();
	double value = 52000.25;
	for (auto _ : state) {
		benchmark::DoNotOptimize(core::NoiseDouble(value, 0.1, key));
		value += 1.0;
	}
}
BENCHMARK(BM_NoiseDouble);

void
BM_ShiftDays(benchmark::State &state) {
	const std::uint8_t *key = Key();
	std::int32_t day = 19860;
	for (auto _ : state)
		benchmark::DoNotOptimize(core::ShiftDays(day++, 30, key));
}
BENCHMARK(BM_ShiftDays);

void
BM_ShiftTimestamp(benchmark::State &state) {
	const std::uint8_t *key = Key();
	std::int64_t micros = 1715953500000000LL;
	for (auto _ : state)
		benchmark::DoNotOptimize(core::ShiftTimestamp(micros++, 30, key));
}
BENCHMARK(BM_ShiftTimestamp);

void
BM_Pseudonym(benchmark::State &state) {
	const std::uint8_t *key = Key();
	RunText(state, "alice.martin@example.com",
	        [key](std::string_view v, std::string &out) { core::Pseudonym(v, "crm", key, out); });
}
BENCHMARK(BM_Pseudonym);

// FakeBench benchmarks one fake_* function for the locale given as the benchmark argument.
template <void (*Fn)(std::string_view, core::FakeLocale, const std::uint8_t *, std::string &)>
void
FakeBench(benchmark::State &state) {
	const std::uint8_t *key = Key();
	auto locale = static_cast<core::FakeLocale>(state.range(0));
	RunText(state, "customer-000123456",
	        [key, locale](std::string_view v, std::string &out) { Fn(v, locale, key, out); });
}

BENCHMARK_TEMPLATE(FakeBench, core::FakeFirstName)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK_TEMPLATE(FakeBench, core::FakeFullName)->Arg(0);
BENCHMARK_TEMPLATE(FakeBench, core::FakeEmail)->Arg(0)->Arg(2);
BENCHMARK_TEMPLATE(FakeBench, core::FakePhone)->Arg(1);
BENCHMARK_TEMPLATE(FakeBench, core::FakeCity)->Arg(2);
BENCHMARK_TEMPLATE(FakeBench, core::FakeStreetAddress)->Arg(1);
BENCHMARK_TEMPLATE(FakeBench, core::FakeCompany)->Arg(0);
BENCHMARK_TEMPLATE(FakeBench, core::FakeIban)->Arg(1);

void
BM_FakeCard(benchmark::State &state) {
	const std::uint8_t *key = Key();
	RunText(state, "customer-000123456",
	        [key](std::string_view v, std::string &out) { core::FakeCard(v, key, out); });
}
BENCHMARK(BM_FakeCard);

} // namespace
