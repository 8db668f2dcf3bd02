-- masking_cache: a plan cached while one role ran it is never reused for a
-- role with other masking (prepared statements, generic plans, PL/pgSQL),
-- and policy, exemption and role-membership changes take effect at the next
-- statement of every session, including for already prepared statements.
CREATE SCHEMA mc;
CREATE TABLE mc.t (id int PRIMARY KEY, secret text);
INSERT INTO mc.t VALUES (1, 'CANARY-' || 'C0FFEE01');
SELECT privacy.mask_column('mc.t', 'secret', 'privacy.redact(secret)');
CREATE ROLE mc_masked;
CREATE ROLE mc_exempt_group;
GRANT USAGE ON SCHEMA mc TO mc_masked;
GRANT SELECT ON mc.t TO mc_masked;
CREATE FUNCTION mc.read_secret(int) RETURNS text LANGUAGE plpgsql STABLE AS
	$$ BEGIN RETURN (SELECT secret FROM mc.t WHERE id = $1); END $$;
GRANT EXECUTE ON FUNCTION mc.read_secret(int) TO mc_masked;
SET plan_cache_mode = force_generic_plan;

-- prepared by the superuser, executed by the masked role, and back
PREPARE by_id(int) AS SELECT secret LIKE 'CANARY-%' AS raw FROM mc.t WHERE id = $1;
EXECUTE by_id(1);
SET ROLE mc_masked;
EXECUTE by_id(1);
SELECT mc.read_secret(1) LIKE 'CANARY-%' AS raw_via_plpgsql;
RESET ROLE;
EXECUTE by_id(1);
SELECT mc.read_secret(1) LIKE 'CANARY-%' AS raw_via_plpgsql;

-- prepared by the masked role first
SET ROLE mc_masked;
PREPARE by_id2(int) AS SELECT secret LIKE 'CANARY-%' AS raw FROM mc.t WHERE id = $1;
EXECUTE by_id2(1);
RESET ROLE;
EXECUTE by_id2(1);

-- exemption through role membership, granted and revoked while plans are cached
SELECT privacy.grant_unmasked('mc_exempt_group', 'mc.t');
SET ROLE mc_masked;
EXECUTE by_id(1);
RESET ROLE;
GRANT mc_exempt_group TO mc_masked;
SET ROLE mc_masked;
EXECUTE by_id(1);
SELECT mc.read_secret(1) LIKE 'CANARY-%' AS raw_via_plpgsql;
RESET ROLE;
REVOKE mc_exempt_group FROM mc_masked;
SET ROLE mc_masked;
EXECUTE by_id(1);
SELECT mc.read_secret(1) LIKE 'CANARY-%' AS raw_via_plpgsql;
RESET ROLE;

-- a policy removed and declared again: cached plans follow
SELECT privacy.unmask_column('mc.t', 'secret');
SET ROLE mc_masked;
EXECUTE by_id(1);
RESET ROLE;
SELECT privacy.mask_column('mc.t', 'secret', 'privacy.redact(secret)');
SET ROLE mc_masked;
EXECUTE by_id(1);
RESET ROLE;

-- the superuser-only switch, and cached plans across it
SET privacy.masking = off;
SET ROLE mc_masked;
EXECUTE by_id(1);
RESET ROLE;
SET privacy.masking = on;
SET ROLE mc_masked;
EXECUTE by_id(1);
RESET ROLE;

DEALLOCATE ALL;
RESET plan_cache_mode;
DROP SCHEMA mc CASCADE;
DROP ROLE mc_masked, mc_exempt_group;
