// fpe_bench.cpp: FF1 and FF3-1 cost per value against the AES floor measured in the same process.
//
// The floor is the latency of one chained AES block through the cached EVP context
// (AesEcb::EncryptBlock), times the number of blocks the mode cannot avoid per value: 10 for FF1
// (one PRF block per round), 8 for FF3-1.
//
// The ratios that matter (BM_Ff1VsFloor, BM_Ff1ManyVsFloor, BM_Ff1BatchVsFloor) are measured
// interleaved: each of BENCH_ROUNDS rounds (default 15) times the floor and the FF1 work in 8
// alternating slices of 1024 values each, and the ratio is taken within the round; the counters
// report the median ratio and the min and max over the rounds. On a shared machine a floor measured
// once, seconds before or after FF1, is what made two runs differ by 50%. The other benchmarks
// report ns/op and a ratio to a floor measured once (x_floor), for scale. Benchmarks measure; they
// never fail on timing.
#include "privacy/core/aes.hpp"
#include "privacy/core/fpe.hpp"
#include "privacy/core/luhn.hpp"
#include "privacy/core/token_format.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
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

// OneBlockNs returns the latency in ns of one chained AES-128 block through EVP, measured on first
// use.
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
Report(benchmark::State &state, Clock::time_point start, double floor_blocks,
       double per_item = 1.0) {
	const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
	const double ns = elapsed.count() / (static_cast<double>(state.iterations()) * per_item);
	const double floor_ns = floor_blocks * OneBlockNs();
	state.counters["ns_per_value"] = ns;
	state.counters["floor_ns"] = floor_ns;
	state.counters["x_floor"] = ns / floor_ns;
}

// --- interleaved ratios
// ---------------------------------------------------------------------------------

// Rounds returns BENCH_ROUNDS (default 15, at least 3).
int
Rounds() {
	const char *env = std::getenv("BENCH_ROUNDS");
	const int rounds = env != nullptr ? std::atoi(env) : 15;
	return rounds < 3 ? 3 : rounds;
}

// CpuNs returns this thread's CPU time in ns: the interleaved ratios are timed on it, so that time
// spent descheduled on a loaded machine counts in neither the floor nor the work.
double
CpuNs() {
	timespec ts{};
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// FloorNsPerValue times blocks_per_value * values chained one-block encryptions and returns ns per
// value.
double
FloorNsPerValue(const AesEcb &aes, int values, int blocks_per_value) {
	std::uint8_t block[16] = {};
	const int blocks = values * blocks_per_value;
	const double start = CpuNs();
	for (int i = 0; i < blocks; ++i)
		aes.EncryptBlock(block, block);
	const double elapsed = CpuNs() - start;
	benchmark::DoNotOptimize(block);
	return elapsed / values;
}

// Interleave runs Rounds() rounds; each round alternates kSlices slices of the floor and of the
// work (values each), switching which goes first from slice to slice, and takes the ratio of
// their sums, so that a change of the machine's load within a round (other processes, the other
// hyperthread of the core) weighs on both sides alike. work(values) returns ns per value. It sets
// ns_per_value and floor_ns (medians) and x_floor (median ratio), x_floor_min and x_floor_max.
constexpr int kSlices = 8;

template <typename Work>
void
Interleave(benchmark::State &state, int values, Work &&work) {
	const AesEcb aes(kKey, sizeof(kKey));
	const int rounds = Rounds();
	std::vector<double> ratios;
	std::vector<double> floors;
	std::vector<double> costs;
	for (auto _ : state) {
		work(values); // warm-up: plan, caches, branch predictors
		FloorNsPerValue(aes, values, 10);
		for (int round = 0; round < rounds; ++round) {
			double floor_ns = 0;
			double cost_ns = 0;
			for (int slice = 0; slice < kSlices; ++slice) {
				if ((round + slice) % 2 == 0) {
					floor_ns += FloorNsPerValue(aes, values, 10);
					cost_ns += work(values);
				} else {
					cost_ns += work(values);
					floor_ns += FloorNsPerValue(aes, values, 10);
				}
			}
			floor_ns /= kSlices;
			cost_ns /= kSlices;
			floors.push_back(floor_ns);
			costs.push_back(cost_ns);
			ratios.push_back(cost_ns / floor_ns);
		}
	}
	const auto median = [](std::vector<double> v) {
		std::sort(v.begin(), v.end());
		const std::size_t mid = v.size() / 2;
		return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
	};
	state.counters["ns_per_value"] = median(costs);
	state.counters["floor_ns"] = median(floors);
	state.counters["x_floor"] = median(ratios);
	state.counters["x_floor_min"] = *std::min_element(ratios.begin(), ratios.end());
	state.counters["x_floor_max"] = *std::max_element(ratios.begin(), ratios.end());
	state.counters["rounds"] = static_cast<double>(ratios.size());
}

// values per slice: a multiple of the 1024-value batches below
constexpr int kValuesPerRound = 1024;

// FF1 per value (Ff1::Encrypt on numerals, chained through the value) against 10 one-block
// encryptions.
void
BM_Ff1VsFloor(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	const Ff1 ff1(kKey, sizeof(kKey));
	std::vector<std::uint16_t> value = Value(c);
	Interleave(state, kValuesPerRound, [&](int values) {
		const double start = CpuNs();
		for (int i = 0; i < values; ++i)
			ff1.Encrypt(value.data(), value.size(), value.data(), c.radix, nullptr, 0);
		const double elapsed = CpuNs() - start;
		benchmark::DoNotOptimize(value.data());
		return elapsed / values;
	});
}
BENCHMARK(BM_Ff1VsFloor)->DenseRange(0, 3)->Iterations(1)->Unit(benchmark::kMillisecond);

// The batch path per value: Ff1::EncryptMany over 1024 values of the case at a time (round i of 32
// values in one multi-block AES call), against 10 one-block encryptions.
void
BM_Ff1ManyVsFloor(benchmark::State &state) {
	const Case &c = kCases[state.range(0)];
	state.SetLabel(c.name);
	const Ff1 ff1(kKey, sizeof(kKey));
	constexpr std::size_t kCount = 1024;
	std::vector<std::uint16_t> storage(kCount * c.length);
	std::vector<std::uint16_t *> pointers(kCount);
	for (std::size_t k = 0; k < kCount; ++k) {
		pointers[k] = storage.data() + k * c.length;
		for (std::size_t j = 0; j < c.length; ++j)
			pointers[k][j] = static_cast<std::uint16_t>((k * 31 + j * 7 + 3) % c.radix);
	}
	Interleave(state, kValuesPerRound, [&](int values) {
		const double start = CpuNs();
		for (int done = 0; done < values; done += static_cast<int>(kCount))
			ff1.EncryptMany(pointers.data(), kCount, c.length, c.radix, nullptr, 0);
		const double elapsed = CpuNs() - start;
		benchmark::DoNotOptimize(storage.data());
		return elapsed / values;
	});
}
BENCHMARK(BM_Ff1ManyVsFloor)->DenseRange(0, 3)->Iterations(1)->Unit(benchmark::kMillisecond);

std::vector<std::string> CardNumbers();

// The string batch (EncryptBatch: UTF-8 decode, EncryptMany, encode) on 1024 card numbers with a
// 7-byte tweak, per value, against 10 one-block encryptions.
void
BM_Ff1BatchVsFloor(benchmark::State &state) {
	state.SetLabel("card16_strings");
	const Ff1 ff1(kKey, sizeof(kKey));
	const Alphabet digits("0123456789");
	const auto numbers = CardNumbers();
	const std::vector<std::string_view> views(numbers.begin(), numbers.end());
	std::vector<std::string> out(numbers.size());
	Interleave(state, kValuesPerRound, [&](int values) {
		const double start = CpuNs();
		for (int done = 0; done < values; done += static_cast<int>(views.size()))
			EncryptBatch(ff1, digits, views.data(), views.size(), kTweak7, sizeof(kTweak7),
			             out.data());
		const double elapsed = CpuNs() - start;
		benchmark::DoNotOptimize(out.data());
		return elapsed / values;
	});
}
BENCHMARK(BM_Ff1BatchVsFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

// Card numbers (16 digits, Luhn-valid) for the card format benchmarks.
std::vector<std::string>
LuhnCards(std::size_t count) {
	std::vector<std::string> values;
	std::uint64_t state = 0x2545F4914F6CDD1Dull;
	while (values.size() < count) {
		std::string digits;
		for (int j = 0; j < 15; ++j) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			digits += static_cast<char>('0' + (state >> 33) % 10);
		}
		for (char c = '0'; c <= '9'; ++c)
			if (privacy::core::LuhnValid(digits + c)) {
				values.push_back(digits + c);
				break;
			}
	}
	return values;
}

privacy::core::TokenFormat
CardFormat() {
	privacy::core::TokenFormatSpec spec;
	spec.name = "card";
	spec.alphabet = "0123456789";
	spec.passthrough = " -";
	spec.card = true;
	return privacy::core::TokenFormat(spec);
}

// The batch path SQL uses (privacy.tokenize(text[], format), retokenize): TokenFormat::TokenizeMany
// over 1024 card numbers (parse, Luhn check, FF1 in lanes of 32, rebuild), per value, against 10
// one-block encryptions.
void
BM_TokenizeManyVsFloor(benchmark::State &state) {
	state.SetLabel("card16");
	const Ff1 ff1(kKey, sizeof(kKey));
	const auto card = CardFormat();
	const auto numbers = LuhnCards(1024);
	const std::vector<std::string_view> views(numbers.begin(), numbers.end());
	const std::vector<const Ff1 *> keys(views.size(), &ff1);
	const std::vector<std::uint32_t> versions(views.size(), 1);
	std::vector<std::size_t> ends(views.size());
	Interleave(state, kValuesPerRound, [&](int values) {
		const double start = CpuNs();
		for (int done = 0; done < values; done += static_cast<int>(views.size()))
			benchmark::DoNotOptimize(card.TokenizeMany(keys.data(), versions.data(), views.data(),
			                                           views.size(), ends.data()));
		const double elapsed = CpuNs() - start;
		card.Wipe();
		return elapsed / values;
	});
}
BENCHMARK(BM_TokenizeManyVsFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

// The scalar path (privacy.tokenize(text, format)): TokenFormat::Tokenize, one value per call.
void
BM_TokenizeVsFloor(benchmark::State &state) {
	state.SetLabel("card16");
	const Ff1 ff1(kKey, sizeof(kKey));
	const auto card = CardFormat();
	const auto numbers = LuhnCards(1024);
	Interleave(state, kValuesPerRound, [&](int values) {
		const double start = CpuNs();
		for (int done = 0; done < values; ++done)
			benchmark::DoNotOptimize(
			        card.TokenizeView(ff1, numbers[static_cast<std::size_t>(done) % 1024], 1));
		const double elapsed = CpuNs() - start;
		card.Wipe();
		return elapsed / values;
	});
}
BENCHMARK(BM_TokenizeVsFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

// --- single measurements
// ------------------------------------------------------------------------------

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
		EncryptBatch(ff31, digits, views.data(), views.size(), kTweak7, sizeof(kTweak7),
		             out.data());
		benchmark::DoNotOptimize(out.data());
	}
	state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kBatchSize));
	Report(state, start, 8.0, kBatchSize);
}
BENCHMARK(BM_Ff31EncryptBatchCards);

// A long value on the numeral-string path (radix 10, 200 digits), for scale; its floor still counts
// 10 blocks.
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
