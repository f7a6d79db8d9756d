/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "firmware.h"

#include "errors.h"
#include "flavor.h"
#include "json-in.h"
#include "util.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Descriptors are small; anything bigger is not one. */
#define MAX_DESCRIPTOR_BYTES (1024 * 1024)

void
bigvm_firmware_free (BigvmFirmware *firmware)
{
  if (firmware == NULL)
    return;
  g_free (firmware->path);
  g_free (firmware->description);
  g_free (firmware->code);
  g_free (firmware->code_format);
  g_free (firmware->vars_template);
  g_free (firmware->vars_format);
  g_strfreev (firmware->x86_64_machines);
  g_strfreev (firmware->features);
  g_free (firmware);
}

GStrv
bigvm_firmware_search_dirs (void)
{
  /* g_get_user_config_dir() is $XDG_CONFIG_HOME or ~/.config. */
  g_autofree char *user = g_build_filename (g_get_user_config_dir (), "qemu",
                                            "firmware", NULL);
  const char *dirs[] = { "/usr/share/qemu/firmware", "/etc/qemu/firmware", user, NULL };
  return g_strdupv ((char **) dirs);
}

static gboolean
shape_error (GError **error, const char *path, const char *what)
{
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
               "%s: not a firmware descriptor: %s", path, what);
  return FALSE;
}

static JsonObject *
get_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
get_string (JsonObject *object, const char *member)
{
  return object != NULL ? bigvm_json_member_string (object, member) : NULL;
}

/* MEMBER as a list of strings; FALSE if present with another shape. */
static gboolean
get_strings (JsonObject *object, const char *member, GStrv *ret)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  if (node == NULL)
    {
      *ret = g_new0 (char *, 1);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  JsonArray *array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (!bigvm_json_holds (item, G_TYPE_STRING))
        return FALSE;
      g_ptr_array_add (out, g_strdup (json_node_get_string (item)));
    }
  g_ptr_array_add (out, NULL);
  *ret = (GStrv) g_ptr_array_steal (out, NULL);
  return TRUE;
}

static gboolean
parse_mapping (BigvmFirmware *firmware, JsonObject *mapping, GError **error)
{
  const char *device = get_string (mapping, "device");
  const char *mode = get_string (mapping, "mode");

  if (device == NULL)
    return shape_error (error, firmware->path, "mapping.device is missing");
  /* Only flash in split mode has a separate variable store to keep per
   * guest; "memory" and "kernel" firmware (and combined or stateless
   * flash) do not fit bigvm:nvram. */
  firmware->flash_split = g_str_equal (device, "flash")
                          && (mode == NULL || g_str_equal (mode, "split"));
  if (!firmware->flash_split)
    return TRUE;

  JsonObject *executable = get_object (mapping, "executable");
  JsonObject *nvram = get_object (mapping, "nvram-template");
  const char *code = get_string (executable, "filename");
  const char *vars = get_string (nvram, "filename");
  if (code == NULL || vars == NULL)
    return shape_error (error, firmware->path,
                        "flash mapping without executable and nvram-template filenames");
  /* QEMU 7.2's firmware.json lets the format be any block driver's name
   * (BlockdevDriver); the value goes onto -drive, and the firmware
   * packages ship raw and qcow2, so bigvm takes those two only. */
  const char *formats[] = { get_string (executable, "format") ?: "raw",
                            get_string (nvram, "format") ?: "raw" };
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      BigvmDiskFormat format;
      if (!bigvm_disk_format_parse (formats[i], &format))
        {
          g_autofree char *shown = bigvm_echo (formats[i]);
          g_autofree char *what = g_strdup_printf ("flash format \"%s\" is not raw or qcow2, the "
                                                   "formats bigvm takes", shown);
          return shape_error (error, firmware->path, what);
        }
    }
  const char *code_format = formats[0], *vars_format = formats[1];
  firmware->code = g_strdup (code);
  firmware->code_format = g_strdup (code_format);
  firmware->vars_template = g_strdup (vars);
  firmware->vars_format = g_strdup (vars_format);
  return TRUE;
}

BigvmFirmware *
bigvm_firmware_parse (const char *path, const char *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) json_error = NULL;
  g_autoptr (BigvmFirmware) firmware = g_new0 (BigvmFirmware, 1);
  g_auto (GStrv) interfaces = NULL;
  JsonObject *root;

  firmware->path = g_strdup (path);
  if (memchr (data, '\0', len) != NULL)
    {
      shape_error (error, path, "contains a NUL byte");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, len, &json_error))
    {
      shape_error (error, path, json_error->message);
      return NULL;
    }
  /* An empty document (blanks only) parses with no root at all. */
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      shape_error (error, path, "not a JSON object");
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  if (!get_strings (root, "interface-types", &interfaces)
      || !get_strings (root, "features", &firmware->features))
    {
      shape_error (error, path, "interface-types and features must be lists of strings");
      return NULL;
    }
  firmware->uefi = g_strv_contains ((const char *const *) interfaces, "uefi");
  firmware->description = g_strdup (get_string (root, "description") ?: "");

  JsonObject *mapping = get_object (root, "mapping");
  if (mapping == NULL)
    {
      shape_error (error, path, "mapping is missing");
      return NULL;
    }
  if (!parse_mapping (firmware, mapping, error))
    return NULL;

  JsonNode *targets = json_object_get_member (root, "targets");
  if (targets == NULL || !JSON_NODE_HOLDS_ARRAY (targets))
    {
      shape_error (error, path, "targets must be a list");
      return NULL;
    }
  JsonArray *array = json_node_get_array (targets);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *target = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *arch = get_string (target, "architecture");
      GStrv machines = NULL;

      if (arch == NULL || !get_strings (target, "machines", &machines))
        {
          shape_error (error, path, "each target needs an architecture and a list of machines");
          return NULL;
        }
      if (g_str_equal (arch, "x86_64"))
        {
          /* Every x86_64 target's machines count. */
          g_autoptr (GStrvBuilder) all = g_strv_builder_new ();
          if (firmware->x86_64_machines != NULL)
            g_strv_builder_addv (all, (const char **) firmware->x86_64_machines);
          g_strv_builder_addv (all, (const char **) machines);
          g_strfreev (firmware->x86_64_machines);
          firmware->x86_64_machines = g_strv_builder_end (all);
        }
      g_strfreev (machines);
    }
  return g_steal_pointer (&firmware);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
bigvm_firmware_load (const char *const *dirs, GPtrArray *warnings)
{
  /* file name -> path of the winning file ("" when an empty file masks it) */
  g_autoptr (GHashTable) chosen = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                         g_free, g_free);
  g_autoptr (GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) bigvm_firmware_free);

  for (const char *const *dir = dirs; *dir != NULL; dir++)
    {
      g_autoptr (GDir) listing = g_dir_open (*dir, 0, NULL);
      const char *name;

      if (listing == NULL)
        continue;  /* a directory that does not exist has no descriptors */
      while ((name = g_dir_read_name (listing)) != NULL)
        {
          if (!g_str_has_suffix (name, ".json"))
            continue;
          g_hash_table_insert (chosen, g_strdup (name),
                               g_build_filename (*dir, name, NULL));
        }
    }

  g_autofree gpointer *names = g_hash_table_get_keys_as_array (chosen, NULL);
  guint count = g_hash_table_size (chosen);
  qsort (names, count, sizeof (gpointer), compare_names);

  for (guint i = 0; i < count; i++)
    {
      const char *path = g_hash_table_lookup (chosen, names[i]);
      g_autofree char *data = NULL;
      gsize len;
      g_autoptr (GError) read_error = NULL;

      /* A descriptor bigvm cannot use is skipped and named: one broken
       * file (another architecture's, say) does not stop every UEFI guest.
       * It still hides its name in lower-priority directories, as an
       * empty file does: it may have been put there to mask one. */
      BigvmFirmware *firmware = NULL;
      g_autoptr (GError) problem = NULL;
      if (!g_file_get_contents (path, &data, &len, &read_error))
        problem = g_error_new (BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                               "cannot read firmware descriptor %s", read_error->message);
      else if (len == 0)
        continue;  /* firmware.json: an empty file hides the same name */
      else if (len > MAX_DESCRIPTOR_BYTES)
        shape_error (&problem, path, "larger than 1 MiB");
      else
        firmware = bigvm_firmware_parse (path, data, len, &problem);
      if (firmware == NULL)
        {
          g_ptr_array_add (warnings, g_strdup_printf ("%s; skipped, and it still hides any "
                                                      "%s of lower priority",
                                                      problem->message, (char *) names[i]));
          continue;
        }
      if (firmware->code != NULL)
        {
          firmware->code_exists = g_file_test (firmware->code, G_FILE_TEST_IS_REGULAR);
          firmware->vars_template_exists = g_file_test (firmware->vars_template,
                                                        G_FILE_TEST_IS_REGULAR);
        }
      g_ptr_array_add (result, firmware);
    }
  return g_steal_pointer (&result);
}

gboolean
bigvm_firmware_has_feature (const BigvmFirmware *firmware, const char *feature)
{
  return g_strv_contains ((const char *const *) firmware->features, feature);
}

const BigvmFirmware *
bigvm_firmware_select (GPtrArray *firmware, const char *machine, gboolean secure_boot)
{
  for (guint i = 0; i < firmware->len; i++)
    {
      const BigvmFirmware *candidate = firmware->pdata[i];
      /* Secure Boot that protects anything needs SMM, and keys enrolled
       * so that the guest's signed loaders start (docs/interop/firmware.json
       * on requires-smm and enrolled-keys; Nova asks libvirt for both). */
      gboolean secure = bigvm_firmware_has_feature (candidate, "secure-boot")
                        && bigvm_firmware_has_feature (candidate, "enrolled-keys")
                        && bigvm_firmware_has_feature (candidate, "requires-smm");
      gboolean plain = !bigvm_firmware_has_feature (candidate, "requires-smm")
                       && !bigvm_firmware_has_feature (candidate, "secure-boot")
                       && !bigvm_firmware_has_feature (candidate, "enrolled-keys");

      if (!candidate->uefi || !candidate->flash_split || candidate->x86_64_machines == NULL
          || !(secure_boot ? secure : plain))
        continue;
      for (char **glob = candidate->x86_64_machines; *glob != NULL; glob++)
        if (g_pattern_match_simple (*glob, machine))
          return candidate;
    }
  return NULL;
}
