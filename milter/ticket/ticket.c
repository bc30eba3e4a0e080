/*
 * ticket.c - the ticket model read back from the store, and its JSON form
 * (SPEC section 9). Pure: no I/O.
 *
 * Field names and null rules are the stable contract of `supportctl ticket
 * show --json`; change them only with a changelog entry.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_ticket.h"

sm_ticket *
sm_ticket_new(void)
{
	sm_ticket *t = g_new0(sm_ticket, 1);

	t->priority = SM_PRIO_NORMAL;
	t->participants = g_ptr_array_new_with_free_func(g_free);
	t->breaches = g_ptr_array_new_with_free_func(g_free);
	t->messages = g_ptr_array_new_with_free_func((GDestroyNotify)sm_ticket_msg_free);
	return t;
}

void
sm_ticket_msg_free(sm_ticket_msg *m)
{
	if (m == NULL)
		return;
	g_free(m->direction);
	g_free(m->from);
	g_free(m->message_id);
	g_free(m->subject);
	g_free(m->excerpt);
	g_free(m);
}

void
sm_ticket_free(sm_ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->queue);
	g_free(t->subject);
	g_free(t->requester_name);
	g_free(t->requester_addr);
	g_free(t->assignee);
	g_ptr_array_unref(t->participants);
	g_ptr_array_unref(t->breaches);
	g_ptr_array_unref(t->messages);
	g_free(t);
}

char *
sm_time_rfc3339(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s;

	if (dt == NULL)
		return g_strdup("1970-01-01T00:00:00Z");
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

/* v (0..99) as two digits at p; returns the end */
static char *
two_digits(char *p, int v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

char *
sm_time_rfc5322(gint64 t, GTimeZone *tz)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	GDateTime *u = g_date_time_new_from_unix_utc(t);
	GDateTime *dt = u && tz ? g_date_time_to_timezone(u, tz) : (u ? g_date_time_ref(u) : NULL);
	gint64 off;
	char *s;

	if (dt == NULL) {
		if (u != NULL)
			g_date_time_unref(u);
		return g_strdup("Thu, 01 Jan 1970 00:00:00 +0000");
	}
	off = g_date_time_get_utc_offset(dt) / G_TIME_SPAN_MINUTE;
	/* English names by hand: g_date_time_format follows the locale. Put
	 * together without printf, which cost more than the conversion: it
	 * is in every stamped mail. GDateTime's years are 1..9999. */
	{
		char buf[40], *p = buf;
		int year, month, day, hms[3], zone[2];

		g_date_time_get_ymd(dt, &year, &month, &day);
		memcpy(p, days[g_date_time_get_day_of_week(dt) - 1], 3);
		p += 3;
		*p++ = ',';
		*p++ = ' ';
		p = two_digits(p, day);
		*p++ = ' ';
		memcpy(p, months[month - 1], 3);
		p += 3;
		*p++ = ' ';
		p = two_digits(two_digits(p, year / 100), year % 100);
		hms[0] = g_date_time_get_hour(dt);
		hms[1] = g_date_time_get_minute(dt);
		hms[2] = g_date_time_get_second(dt);
		for (int i = 0; i < 3; i++) {
			*p++ = i == 0 ? ' ' : ':';
			p = two_digits(p, hms[i]);
		}
		*p++ = ' ';
		*p++ = off < 0 ? '-' : '+';
		zone[0] = (int)(ABS(off) / 60);
		zone[1] = (int)(ABS(off) % 60);
		p = two_digits(two_digits(p, zone[0]), zone[1]);
		*p = '\0';
		s = g_strdup(buf);
	}
	g_date_time_unref(dt);
	g_date_time_unref(u);
	return s;
}

void
sm_json_add_time(JsonBuilder *b, const char *name, gint64 t)
{
	json_builder_set_member_name(b, name);
	if (t > 0) {
		char *s = sm_time_rfc3339(t);
		json_builder_add_string_value(b, s);
		g_free(s);
	} else {
		json_builder_add_null_value(b);
	}
}

void
sm_json_add_string(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v != NULL)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static void
add_strings(JsonBuilder *b, const char *name, GPtrArray *v)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; v != NULL && i < v->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(v, i));
	json_builder_end_array(b);
}

JsonNode *
sm_ticket_to_json(const sm_ticket *t, bool with_messages)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_int_value(b, t->id);
	sm_json_add_string(b, "queue", t->queue);
	sm_json_add_string(b, "status", sm_status_name(t->status));
	sm_json_add_string(b, "priority", sm_priority_name(t->priority));
	sm_json_add_string(b, "subject", t->subject ? t->subject : "");

	json_builder_set_member_name(b, "requester");
	json_builder_begin_object(b);
	sm_json_add_string(b, "name", t->requester_name);
	sm_json_add_string(b, "address", t->requester_addr);
	json_builder_end_object(b);

	add_strings(b, "participants", t->participants);
	sm_json_add_string(b, "assignee", t->assignee);
	sm_json_add_time(b, "created_at", t->created_at);
	sm_json_add_time(b, "updated_at", t->updated_at);
	sm_json_add_time(b, "first_response_at", t->first_response_at);

	json_builder_set_member_name(b, "due");
	json_builder_begin_object(b);
	sm_json_add_time(b, "first_response", t->due_first_response);
	sm_json_add_time(b, "next_response", t->due_next_response);
	sm_json_add_time(b, "resolution", t->due_resolution);
	json_builder_end_object(b);

	add_strings(b, "breaches", t->breaches);
	json_builder_set_member_name(b, "rating");
	if (t->rating > 0)
		json_builder_add_int_value(b, t->rating);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "linked_from");
	if (t->linked_from > 0)
		json_builder_add_int_value(b, t->linked_from);
	else
		json_builder_add_null_value(b);

	if (with_messages) {
		json_builder_set_member_name(b, "messages");
		json_builder_begin_array(b);
		for (guint i = 0; t->messages != NULL && i < t->messages->len; i++) {
			const sm_ticket_msg *m = g_ptr_array_index(t->messages, i);
			char *mid = m->message_id ? g_strdup_printf("<%s>", m->message_id) : NULL;

			json_builder_begin_object(b);
			sm_json_add_string(b, "direction", m->direction ? m->direction : "in");
			sm_json_add_string(b, "from", m->from);
			sm_json_add_string(b, "message_id", mid);
			sm_json_add_time(b, "date", m->date);
			sm_json_add_string(b, "subject", m->subject ? m->subject : "");
			sm_json_add_string(b, "excerpt", m->excerpt ? m->excerpt : "");
			json_builder_end_object(b);
			g_free(mid);
		}
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}
