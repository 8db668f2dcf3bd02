-- boundary.sql: SQLSTATE and message of every error-boundary path, and that
-- no error text carries the argument.
BEGIN;
SELECT plan(9);

SELECT throws_ok($$SELECT privacy._boundary_throw('invalid_parameter')$$, '22023', 'probe: invalid parameter',
	'core kInvalidParameter -> 22023');
SELECT throws_ok($$SELECT privacy._boundary_throw('out_of_range')$$, '22003', 'probe: value out of range',
	'core kNumericOutOfRange -> 22003');
SELECT throws_ok($$SELECT privacy._boundary_throw('bad_alloc')$$, '53200', 'out of memory',
	'std::bad_alloc -> 53200');
SELECT throws_ok($$SELECT privacy._boundary_throw('std_exception')$$, 'XX000', 'internal error in pg_privacy',
	'std::exception -> XX000 without its what() text');
SELECT throws_ok($$SELECT privacy._boundary_throw('unknown')$$, 'XX000', 'internal error in pg_privacy',
	'non-standard exception -> XX000');
SELECT throws_ok($$SELECT privacy._boundary_throw('CANARY-' || '0BADF00D')$$, '22023', 'probe: unknown probe name',
	'the argument is not echoed');
SELECT throws_ok($$SELECT privacy._boundary_pg_error('abc')$$, '22P02', NULL,
	'PostgreSQL error inside CallPg keeps its SQLSTATE');
SELECT is(privacy._boundary_pg_error('12345'), 12345, 'guarded call returns its result');
SELECT is(privacy._boundary_live_objects(), 0::bigint, 'no C++ object outlived an error');

SELECT * FROM finish();
ROLLBACK;
