-- reference.sql: renders doc/reference.md from the installed extension's
-- catalog: every function (signature, result, labels, comment), view and
-- setting. test/doc/check-reference.sh fails when the committed page differs.
\pset format unaligned
\pset tuples_only on
\pset footer off
SELECT '# Reference (generated from the catalog: `make test` fails when it is stale)' || E'\n\n' ||
	'Labels: volatility (immutable/stable/volatile), strict, parallel safety, leakproof, security definer. ' ||
	'Administrative functions check their caller themselves (see [privileges](privileges.md)); ' ||
	'functions starting with `_` are internal. [Examples](examples.md) shows each public function, view and setting at work with its real output.' || E'\n\n## Functions\n\n' ||
	'| function | returns | labels | PUBLIC may execute | description |' || E'\n' ||
	'| --- | --- | --- | --- | --- |' || E'\n' ||
	string_agg(format('| `%s` | %s | %s | %s | %s |',
		p.oid::regprocedure,
		replace(pg_get_function_result(p.oid), '|', '\|'),
		concat_ws(' ',
			CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
			CASE WHEN p.proisstrict THEN 'strict' END,
			CASE p.proparallel WHEN 's' THEN 'parallel safe' WHEN 'r' THEN 'parallel restricted' ELSE 'parallel unsafe' END,
			CASE WHEN p.proleakproof THEN 'leakproof' END,
			CASE WHEN p.prosecdef THEN 'security definer' END),
		CASE WHEN has_function_privilege('public', p.oid, 'EXECUTE') THEN 'yes' ELSE 'no' END,
		replace(coalesce(obj_description(p.oid, 'pg_proc'), ''), '|', '\|')),
		E'\n' ORDER BY p.oid::regprocedure::text COLLATE "C")
FROM pg_proc p WHERE p.pronamespace = 'privacy'::regnamespace;
SELECT E'\n## Views\n\n| view | columns | description |\n| --- | --- | --- |\n' ||
	string_agg(format('| `%s` | %s | %s |', c.oid::regclass,
		(SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_attribute a
		 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
		replace(coalesce(obj_description(c.oid, 'pg_class'), ''), '|', '\|')), E'\n' ORDER BY c.relname COLLATE "C")
FROM pg_class c WHERE c.relnamespace = 'privacy'::regnamespace AND c.relkind = 'v';
SELECT E'\n## Settings\n\n| setting | context | default | description |\n| --- | --- | --- | --- |\n' ||
	string_agg(format('| `%s` | %s | %s | %s |', name, context, coalesce(nullif(boot_val, ''), '(empty)') ||
		coalesce(' ' || unit, ''), replace(short_desc, '|', '\|')), E'\n' ORDER BY name COLLATE "C")
FROM pg_settings WHERE name LIKE 'privacy.%';
