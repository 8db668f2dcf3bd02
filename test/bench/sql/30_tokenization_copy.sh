#!/usr/bin/env bash
# 30_tokenization_copy.sh: COPY of 1,000,000 card tokens into a table with a
# privacy.card_token column (its input function validates digits and the
# Luhn check) vs the same COPY into a text column (target <= 1.5x). Needs
# PGHOST/PGPORT/PGDATABASE of a database where 30_tokenization.sql ran
# (bench.cards and the "default" key). Prints one ratio line.
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
data=$(mktemp /tmp/pg_privacy_bench_tokens.XXXXXX)
trap 'rm -f "$data"' EXIT
q -c "COPY (SELECT privacy.tokenize(card, 'card') FROM bench.cards) TO STDOUT" >"$data"
q -c "DROP TABLE IF EXISTS bench.copy_tok, bench.copy_text" \
	-c "CREATE UNLOGGED TABLE bench.copy_tok (t privacy.card_token)" \
	-c "CREATE UNLOGGED TABLE bench.copy_text (t text)"
time_copy() { # time_copy TABLE -> ms
	local t0 t1
	q -c "TRUNCATE $1"
	t0=$(date +%s%N)
	q -c "COPY $1 FROM STDIN" <"$data"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
tok=()
txt=()
time_copy bench.copy_tok >/dev/null
time_copy bench.copy_text >/dev/null
for _ in 1 2 3; do
	tok+=("$(time_copy bench.copy_tok)")
	txt+=("$(time_copy bench.copy_text)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
m=$(median "${tok[@]}")
b=$(median "${txt[@]}")
echo "COPY 1M card tokens into card_token vs text | $m ms | $b ms | $(awk -v m="$m" -v b="$b" 'BEGIN { printf "%.2f", m / b }')"
q -c "DROP TABLE bench.copy_tok, bench.copy_text"
