// fpe_bench.cpp: FF1 and FF3-1 cost per value against the AES floor measured in the same process.
//
// The floor is the latency of one chained AES block through the cached EVP context (AesEcb::EncryptBlock),
// times the number of blocks the mode cannot avoid per value: 10 for FF1 (one PRF block per round), 8 for
// FF3-1. Each FPE benchmark reports ns/op and the ratio to its floor as the counter x_floor. The block latency
// is measured lazily by the first benchmark that needs it (no static initialiser), as the best of five runs
// of 10^6 chained blocks. Benchmarks measure; they never fail on timing.
#include "privacy/core/aes.hpp"
#include "privacy/core/fpe.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using privacy::core::AesEcb;
using privacy::core::Alphabet;
using privacy::core::Ff1;
using privacy::core::Ff31;
using Clock = std::chrono::steady_clock;

const std::uint8_t kKey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                               0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
const std::uint8_t kTweak7[7] = {0xD8, 0xE7, 0x92, 0x0A, 0xFA, 0x33, 0x0A};

// OneBlockNs returns the latency in ns of one chained AES-128 block through EVP, measured on first use.
double
OneBlockNs() {
	static double cached = 0.0;
	if (cached > 0.0)
		return cached;
	const AesEcb aes(kKey, sizeof(kKey));
	std::uint8_t block[16] = {};
	constexpr int kBlocks = 1000000;
	double best = 1e300;
	for (int run = 0; run < 5; ++run) {
		const auto start = Clock::now();
		for (int i = 0; i < kBlocks; ++i)
			aes.EncryptBlock(block, block); // chained: each block waits for the previous one
		const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
		benchmark::DoNotOptimize(block);
		best = std::min(best, elapsed.count() / kBlocks);
	}
	cached = best;
	return cached;
}

struct Case {
	const char *name;
	std::uint32_t radix;
	std::size_t length;
};

const Case kCases[] = {
    {"card16", 10, 16},
    {"ssn9", 10, 9},
    {"phone10", 10, 10},
    {"alnum20_radix36", 36, 20},
};

std::vector<std::uint16_t>
Value(const Case &c) {
	std::vector<std::uint16_t> value(c.length);
	for (std::size_t i = 0; i < c.length; ++i)
		value[i] = static_cast<std::uint16_t>((i * 7 + 3) % c.radix);
	return value;
}

// Report sets ns/op, the floor and x_floor from a timed loop.
void
Report(benchmark::State &state, Clock::time_point start, double floor_blocks, double per_item = 1.0) {
	const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
	const double ns = elapsed.count() / (static_cast<double>(state.iterations()) * per_item);
	const double floor_ns = floor_blocks * OneBlockNs();
	state.counters["ns_per_value"] = ns;
	state.counters["floor_ns"] = floor_ns;
	state.counters["x_floor"] = ns / floor_ns;
}

void
BM_AesOneBlock(benchmark::State &state) {
	const AesEcb aes(kKey, sizeof(kKey));
	std::uint8_t block[16] = {};
	for (auto _ : state) {
		aes.EncryptBlock(block, block);
		benchmark::DoNotOptimize(block);
	}
	state.counters["one_block_ns_1e6"] = OneBlockNs();
}
BENCHMARK(BM_AesOneBlock);

void
BM_Ff1Encrypt(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	OneBlockNs();
	const Ff1 ff1(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value = Value(c);
	const auto start = Clock::now();
	for (auto _ : state) {
		ff1.Encrypt(value.data(), value.size(), value.data(), c.radix, nullptr, 0);
		benchmark::DoNotOptimize(value.data());
	}
	Report(state, start, 10.0);
}
BENCHMARK(BM_Ff1Encrypt)->DenseRange(0, 3);

void
BM_Ff1Decrypt(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	OneBlockNs();
	const Ff1 ff1(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value = Value(c);
	const auto start = Clock::now();
	for (auto _ : state) {
		ff1.Decrypt(value.data(), value.size(), value.data(), c.radix, nullptr, 0);
		benchmark::DoNotOptimize(value.data());
	}
	Report(state, start, 10.0);
}
BENCHMARK(BM_Ff1Decrypt)->DenseRange(0, 3);

// FF1 with a 7-byte tweak through the string API (alphabet lookup + UTF-8 output included).
void
BM_Ff1EncryptString(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	OneBlockNs();
	const Ff1 ff1(kKey, sizeof(kKey));
	const Alphabet alphabet(std::string("0123456789abcdefghijklmnopqrstuvwxyz").substr(0, c.radix));
	std::string value;
	alphabet.AppendCharacters(Value(c).data(), c.length, value);
	std::string out;
	const auto start = Clock::now();
	for (auto _ : state) {
		EncryptString(ff1, alphabet, value, kTweak7, sizeof(kTweak7), out);
		benchmark::DoNotOptimize(out.data());
	}
	Report(state, start, 10.0);
}
BENCHMARK(BM_Ff1EncryptString)->DenseRange(0, 3);

void
BM_Ff31Encrypt(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	OneBlockNs();
	const Ff31 ff31(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value = Value(c);
	const auto start = Clock::now();
	for (auto _ : state) {
		ff31.Encrypt(value.data(), value.size(), value.data(), c.radix, kTweak7, sizeof(kTweak7));
		benchmark::DoNotOptimize(value.data());
	}
	Report(state, start, 8.0);
}
BENCHMARK(BM_Ff31Encrypt)->DenseRange(0, 3);

void
BM_Ff31Decrypt(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	OneBlockNs();
	const Ff31 ff31(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value = Value(c);
	const auto start = Clock::now();
	for (auto _ : state) {
		ff31.Decrypt(value.data(), value.size(), value.data(), c.radix, kTweak7, sizeof(kTweak7));
		benchmark::DoNotOptimize(value.data());
	}
	Report(state, start, 8.0);
}
BENCHMARK(BM_Ff31Decrypt)->DenseRange(0, 3);

// Batches of 1024 card numbers under one key and tweak; x_floor is per value.
constexpr std::size_t kBatchSize = 1024;

std::vector<std::string>
CardNumbers() {
	std::vector<std::string> values(kBatchSize);
	std::uint64_t state = 0x9E3779B97F4A7C15ull;
	for (auto &value : values) {
		value.resize(16);
		for (char &ch : value) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			ch = static_cast<char>('0' + (state >> 33) % 10);
		}
	}
	return values;
}

void
BM_Ff1EncryptBatchCards(benchmark::State &state) {
	OneBlockNs();
	const Ff1 ff1(kKey, sizeof(kKey));
	const Alphabet digits("0123456789");
	const auto values = CardNumbers();
	const std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::string> out(kBatchSize);
	const auto start = Clock::now();
	for (auto _ : state) {
		EncryptBatch(ff1, digits, views.data(), views.size(), kTweak7, sizeof(kTweak7), out.data());
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchSize));
	Report(state, start, 10.0, kBatchSize);
}
BENCHMARK(BM_Ff1EncryptBatchCards);

void
BM_Ff31EncryptBatchCards(benchmark::State &state) {
	OneBlockNs();
	const Ff31 ff31(kKey, sizeof(kKey));
	const Alphabet digits("0123456789");
	const auto values = CardNumbers();
	const std::vector<std::string_view> views(values.begin(), values.end());
	std::vector<std::string> out(kBatchSize);
	const auto start = Clock::now();
	for (auto _ : state) {
		EncryptBatch(ff31, digits, views.data(), views.size(), kTweak7, sizeof(kTweak7), out.data());
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchSize));
	Report(state, start, 8.0, kBatchSize);
}
BENCHMARK(BM_Ff31EncryptBatchCards);

// A long value on the numeral-string path (radix 10, 200 digits), for scale; its floor still counts 10 blocks.
void
BM_Ff1EncryptLong200(benchmark::State &state) {
	OneBlockNs();
	const Ff1 ff1(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value(200);
	for (std::size_t i = 0; i < value.size(); ++i)
		value[i] = static_cast<std::uint16_t>(i % 10);
	const auto start = Clock::now();
	for (auto _ : state) {
		ff1.Encrypt(value.data(), value.size(), value.data(), 10, nullptr, 0);
		benchmark::DoNotOptimize(value.data());
	}
	Report(state, start, 10.0);
}
BENCHMARK(BM_Ff1EncryptLong200);

} // namespace
