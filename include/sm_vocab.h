/*
 * sm_vocab.h - the ticket vocabulary: statuses and priorities, as numbers
 * (the store's scripts use the same numbers: milter/store/lua/common.lua)
 * and as the names of the configuration, the stamps, the JSON and the
 * agents' commands. One home, so that the configuration, the ticket and
 * the commands to come agree.
 */
#ifndef SM_VOCAB_H
#define SM_VOCAB_H

typedef enum sm_status {
	SM_ST_NEW = 0,
	SM_ST_OPEN,
	SM_ST_PENDING,
	SM_ST_RESOLVED,
	SM_ST_CLOSED,
	SM_ST_COUNT
} sm_status;

typedef enum sm_priority {
	SM_PRIO_URGENT = 0,
	SM_PRIO_HIGH,
	SM_PRIO_NORMAL,
	SM_PRIO_LOW,
	SM_PRIO_COUNT
} sm_priority;

const char *sm_status_name(sm_status s);        /* "new" .. "closed" */
int sm_status_parse(const char *s);             /* -1 when unknown */
const char *sm_priority_name(sm_priority p);    /* "urgent" .. "low" */
int sm_priority_parse(const char *s);           /* -1 when unknown */

#endif
