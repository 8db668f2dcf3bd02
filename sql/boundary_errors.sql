-- boundary_errors: proves the C++/PostgreSQL error boundary in both directions.
--  1. A C++ exception thrown in core arrives as an ERROR with the SQLSTATE of
--     its kind, carries only its static message (never data), and the
--     session stays usable; the C++ object alive at the throw was destroyed.
--  2. A PostgreSQL ERROR raised inside a guarded call (CallPg) while C++
--     objects are alive unwinds those frames (destructors run) and is
--     re-raised with its own SQLSTATE and message.
--  3. Repeated failures leave the backend's memory flat.

-- 1. core -> PostgreSQL
SELECT privacy._boundary_throw('invalid_parameter');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._boundary_throw('out_of_range');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._boundary_throw('bad_alloc');
\echo :LAST_ERROR_SQLSTATE
-- a std::exception's what() may describe data: it is not reported
SELECT privacy._boundary_throw('std_exception');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._boundary_throw('unknown');
\echo :LAST_ERROR_SQLSTATE
-- the argument is never echoed in the error
SELECT privacy._boundary_throw('CANARY-' || '0BADF00D');
\echo :LAST_ERROR_SQLSTATE
-- every C++ object alive at a throw was destroyed by unwinding
SELECT privacy._boundary_live_objects() AS live_objects;
-- the session is usable
SELECT 1 AS still_usable;

-- 2. PostgreSQL -> C++ -> PostgreSQL
SELECT privacy._boundary_pg_error('42') AS parsed;
SELECT privacy._boundary_pg_error('abc');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._boundary_pg_error('99999999999');
\echo :LAST_ERROR_SQLSTATE
SELECT privacy._boundary_live_objects() AS live_objects;

-- errors inside a transaction roll back to a savepoint normally
BEGIN;
CREATE TEMP TABLE boundary_t (v int);
INSERT INTO boundary_t VALUES (1);
SAVEPOINT s;
INSERT INTO boundary_t SELECT privacy._boundary_pg_error('not a number');
ROLLBACK TO SAVEPOINT s;
INSERT INTO boundary_t SELECT privacy._boundary_pg_error('2');
SAVEPOINT s2;
SELECT privacy._boundary_throw('invalid_parameter');
ROLLBACK TO SAVEPOINT s2;
SELECT v FROM boundary_t ORDER BY v;
COMMIT;

-- 3. memory stays flat across many failures in both directions
CREATE FUNCTION boundary_fail_many(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	caught int := 0;
BEGIN
	FOR i IN 1..n LOOP
		BEGIN
			PERFORM privacy._boundary_throw('invalid_parameter');
		EXCEPTION WHEN invalid_parameter_value THEN
			caught := caught + 1;
		END;
		BEGIN
			PERFORM privacy._boundary_pg_error('x');
		EXCEPTION WHEN invalid_text_representation THEN
			caught := caught + 1;
		END;
	END LOOP;
	RETURN caught;
END $$;
SELECT boundary_fail_many(100) AS warmup;
SELECT sum(total_bytes) AS before_bytes FROM pg_backend_memory_contexts \gset
SELECT boundary_fail_many(5000) AS caught;
SELECT sum(total_bytes) - :before_bytes < 262144 AS memory_flat FROM pg_backend_memory_contexts;
SELECT privacy._boundary_live_objects() AS live_objects;
DROP FUNCTION boundary_fail_many(int);
DROP TABLE boundary_t;
