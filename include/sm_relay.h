/* TEMPORARY STUB - replaced by the agent area's real header */
#ifndef SM_RELAY_H
#define SM_RELAY_H
#include <stdbool.h>
#include <stddef.h>
typedef struct sm_commands {
	int status;
	int priority;
	char *assign;
	bool note;
	int lines;
} sm_commands;
typedef struct sm_relay_body {
	char *entity; size_t len;
	sm_commands cmds;
	bool is_signed;
	char *text;
} sm_relay_body;
bool sm_relay_body_build(const char *raw, size_t len, sm_relay_body *out, char **err);
void sm_relay_body_clear(sm_relay_body *b);
#endif
