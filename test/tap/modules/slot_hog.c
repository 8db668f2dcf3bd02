/*
 * slot_hog.c: a test-only library that takes as many of the process's
 * relcache-invalidation callback slots as a large extension loaded next to
 * pg_privacy does: Citus 13 takes 5 (PostgreSQL 15 has 10 per process and
 * core itself uses up to 3). Built and preloaded by t/004_callback_slots.pl;
 * never installed.
 */
#include "postgres.h"
#include "fmgr.h"
#include "utils/inval.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static void
hog_callback(Datum arg, Oid relid)
{
}

void
_PG_init(void)
{
	for (int i = 0; i < 5; i++)
		CacheRegisterRelcacheCallback(hog_callback, (Datum) 0);
}
