/*
 * vocab.c - the names of statuses and priorities (sm_vocab.h), both ways,
 * case-insensitive on input. Pure; cannot fail: an unknown number reads as
 * the default name, an unknown name as -1.
 */
#include <config.h>

#include <glib.h>

#include "sm_vocab.h"

static const char *const status_names[SM_ST_COUNT] = {
	"new", "open", "pending", "resolved", "closed"
};

static const char *const prio_names[SM_PRIO_COUNT] = {
	"urgent", "high", "normal", "low"
};

const char *
sm_status_name(sm_status s)
{
	return (unsigned)s < SM_ST_COUNT ? status_names[s] : "new";
}

int
sm_status_parse(const char *s)
{
	for (int i = 0; s != NULL && i < SM_ST_COUNT; i++)
		if (g_ascii_strcasecmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *
sm_priority_name(sm_priority p)
{
	return (unsigned)p < SM_PRIO_COUNT ? prio_names[p] : "normal";
}

int
sm_priority_parse(const char *s)
{
	for (int i = 0; s != NULL && i < SM_PRIO_COUNT; i++)
		if (g_ascii_strcasecmp(s, prio_names[i]) == 0)
			return i;
	return -1;
}
