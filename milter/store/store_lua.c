/*
 * store_lua.c - the store's Lua scripts, as Redis runs them (EVALSHA): each
 * is the named arguments it uses, the common prelude and its own parts,
 * from the files of milter/store/lua/ (turned into C strings at build time
 * by mk/lua2c.sh, which also checks their syntax with luac when present).
 * The gather functions are shared by the read-only facts script and the
 * apply script, so that apply can re-check the very facts the caller
 * decided on and answer CONFLICT when anything changed.
 *
 * Interface: sm_lua_text(which) (store_int.h). Pure data; cannot fail.
 *
 * Rules the scripts keep: ARGV[1] is the key prefix; arguments are read by
 * the names of lua/argv.def, never by bare position; no KEYS (the keys
 * depend on what a script reads; no cluster support); integers come back
 * as Redis integers, nothing is returned as Lua false inside a table.
 */
#include <config.h>

#include "store_int.h"

static const char *const texts[SM_LUA_COUNT] = {
	[SM_LUA_GATHER] = SM_LUA_CONST_FACTS SM_LUA_ARGS_INGEST
	    SM_LUA_TEXT_COMMON SM_LUA_TEXT_GATHER SM_LUA_TEXT_FACTS,
	[SM_LUA_APPLY] = SM_LUA_CONST_FACTS SM_LUA_ARGS_INGEST SM_LUA_ARGS_APPLY
	    SM_LUA_TEXT_COMMON SM_LUA_TEXT_GATHER SM_LUA_TEXT_APPLY,
	[SM_LUA_GET] = SM_LUA_ARGS_GET
	    SM_LUA_TEXT_COMMON SM_LUA_TEXT_FETCH SM_LUA_TEXT_GET,
	[SM_LUA_LIST] = SM_LUA_ARGS_LIST
	    SM_LUA_TEXT_COMMON SM_LUA_TEXT_FETCH SM_LUA_TEXT_LIST,
	[SM_LUA_SET] = SM_LUA_ARGS_SET SM_LUA_TEXT_COMMON SM_LUA_TEXT_SET,
	[SM_LUA_CLAIM] = SM_LUA_ARGS_CLAIM SM_LUA_TEXT_COMMON SM_LUA_TEXT_CLAIM,
	[SM_LUA_FINISH] = SM_LUA_ARGS_FINISH SM_LUA_ARGS_FINISH_JOB
	    SM_LUA_TEXT_COMMON SM_LUA_TEXT_RECORD SM_LUA_TEXT_FINISH,
	[SM_LUA_RELEASE] = SM_LUA_ARGS_RELEASE SM_LUA_TEXT_COMMON SM_LUA_TEXT_RELEASE,
	[SM_LUA_FAIL] = SM_LUA_ARGS_FAIL SM_LUA_TEXT_COMMON SM_LUA_TEXT_FAIL,
	[SM_LUA_MOVE] = SM_LUA_ARGS_MOVE SM_LUA_TEXT_LAYOUT_MOVE,
	[SM_LUA_TCLAIM] = SM_LUA_ARGS_TCLAIM SM_LUA_TEXT_COMMON SM_LUA_TEXT_TIMER_CLAIM,
	[SM_LUA_TAPPLY] = SM_LUA_ARGS_TAPPLY SM_LUA_TEXT_COMMON SM_LUA_TEXT_TIMER_APPLY,
	[SM_LUA_TLIST] = SM_LUA_ARGS_TLIST SM_LUA_TEXT_COMMON SM_LUA_TEXT_TIMER_LIST,
	[SM_LUA_TREWIND] = SM_LUA_ARGS_TREWIND SM_LUA_TEXT_COMMON SM_LUA_TEXT_TIMER_REWIND,
	[SM_LUA_OLIST] = SM_LUA_ARGS_OLIST SM_LUA_TEXT_COMMON SM_LUA_TEXT_OUTBOX_LIST,
	[SM_LUA_OSHOW] = SM_LUA_ARGS_OSHOW SM_LUA_TEXT_COMMON SM_LUA_TEXT_OUTBOX_SHOW,
	[SM_LUA_OADMIN] = SM_LUA_ARGS_OADMIN SM_LUA_TEXT_COMMON SM_LUA_TEXT_OUTBOX_ADMIN,
	[SM_LUA_RQUEUE] = SM_LUA_ARGS_RQUEUE SM_LUA_TEXT_COMMON SM_LUA_TEXT_REPORT_QUEUE,
};

const char *
sm_lua_text(enum sm_lua which)
{
	return texts[which];
}
