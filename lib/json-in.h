/* bigvm: reading members of the JSON it is given (QMP replies, firmware
 * descriptors, Nova's flavors, ABI records) when their type is not sure.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

/* Whether NODE is a value of TYPE (G_TYPE_STRING, G_TYPE_INT64,
 * G_TYPE_BOOLEAN); FALSE for NULL. */
gboolean bigvm_json_holds (JsonNode *node, GType type);

/* MEMBER of OBJECT when it is a string, else NULL. */
const char *bigvm_json_member_string (JsonObject *object, const char *member);
