/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "json-in.h"

gboolean
bigvm_json_holds (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

const char *
bigvm_json_member_string (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);
  return bigvm_json_holds (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}
