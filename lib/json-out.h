/* bigvm: writing its JSON output (show, explain, host, QMP commands)
 * through json-glib's JsonBuilder, one member at a time.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

/* MEMBER: VALUE, or null when VALUE is NULL.  Strings that are not UTF-8
 * are written with U+FFFD for the bytes that are not, so the output is
 * always JSON (for messages and names; an argv word is exact, argv.c). */
void bigvm_json_add_string (JsonBuilder *b, const char *member, const char *value);

void bigvm_json_add_int (JsonBuilder *b, const char *member, gint64 value);

void bigvm_json_add_bool (JsonBuilder *b, const char *member, gboolean value);

/* MEMBER: an array of the N_STRINGS strings at STRINGS. */
void bigvm_json_add_strings (JsonBuilder *b, const char *member, const char *const *strings,
                             guint n_strings);

/* What B built, as compact JSON text. */
char *bigvm_json_to_string (JsonBuilder *b);
