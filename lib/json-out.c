/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "json-out.h"

/* JSON text is UTF-8: json-glib would write other bytes as they are, and
 * the document would not parse.  Bytes that are not UTF-8 (a file name
 * in Latin-1, say) become U+FFFD. */
static void
add_text (JsonBuilder *b, const char *value)
{
  if (g_utf8_validate (value, -1, NULL))
    json_builder_add_string_value (b, value);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (value, -1);
      json_builder_add_string_value (b, valid);
    }
}

void
bigvm_json_add_string (JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL)
    add_text (b, value);
  else
    json_builder_add_null_value (b);
}

void
bigvm_json_add_int (JsonBuilder *b, const char *member, gint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

void
bigvm_json_add_bool (JsonBuilder *b, const char *member, gboolean value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_boolean_value (b, value);
}

void
bigvm_json_add_strings (JsonBuilder *b, const char *member, const char *const *strings,
                        guint n_strings)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < n_strings; i++)
    add_text (b, strings[i]);
  json_builder_end_array (b);
}

char *
bigvm_json_to_string (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
