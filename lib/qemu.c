/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qemu.h"

#include "errors.h"
#include "json-in.h"
#include "qmp.h"
#include "spawn.h"
#include "util.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The version of the JSON format below; a cache in another is re-probed. */
#define CAPS_FORMAT 2

static gboolean
parse_component (const char **p, guint *ret)
{
  guint64 value = 0;
  const char *start = *p;

  while (g_ascii_isdigit (**p) && *p - start < 6)
    value = value * 10 + (guint) (*(*p)++ - '0');
  if (*p == start || g_ascii_isdigit (**p))
    return FALSE;
  *ret = value;
  return TRUE;
}

int
bigvm_version_compare (const BigvmVersion *version, guint major, guint minor, guint micro)
{
  if (version->major != major)
    return version->major < major ? -1 : 1;
  if (version->minor != minor)
    return version->minor < minor ? -1 : 1;
  if (version->micro != micro)
    return version->micro < micro ? -1 : 1;
  return 0;
}

gboolean
bigvm_qemu_parse_version (const char *output, BigvmVersion *ret_version,
                          GError **error)
{
  const char *newline = strchr (output, '\n');
  g_autofree char *first_line = newline != NULL ? g_strndup (output, newline - output)
                                                : g_strdup (output);
  const char *p = strstr (first_line, " version ");
  BigvmVersion version = { 0, 0, 0 };

  /* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)";
   * the micro part is optional in old releases ("0.15"). */
  if (g_str_has_prefix (first_line, "QEMU ") && p != NULL)
    {
      p += strlen (" version ");
      if (parse_component (&p, &version.major) && *p++ == '.'
          && parse_component (&p, &version.minor)
          && (*p != '.' || (p++, parse_component (&p, &version.micro))))
        {
          *ret_version = version;
          return TRUE;
        }
    }
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
               "--version printed \"%.60s\", not \"QEMU emulator version X.Y.Z\"",
               g_strchomp (first_line));
  return FALSE;
}

char *
bigvm_qemu_find (const char *name, GError **error)
{
  g_autofree char *path = strchr (name, '/') != NULL ? g_strdup (name)
                                                     : g_find_program_in_path (name);

  if (path == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s: not found in PATH (install qemu-system-x86, or use --qemu)",
                   name);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, X_OK) != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s: not an executable file", path);
      return NULL;
    }
  return g_canonicalize_filename (path, NULL);
}

gboolean
bigvm_qemu_get_version (const char *path, guint timeout_ms, BigvmVersion *ret_version,
                        GError **error)
{
  const char *argv[] = { path, "--version", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) parse_error = NULL;
  int wait_status;
  BigvmVersion version;

  if (!bigvm_spawn_capture (argv, timeout_ms, &out, &err, &wait_status, error))
    return FALSE;
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    {
      g_autofree char *how = bigvm_describe_wait_status (wait_status);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s --version %s", path, how);
      return FALSE;
    }
  if (!bigvm_qemu_parse_version (out, &version, &parse_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s: %s", path,
                   parse_error->message);
      return FALSE;
    }
  if (bigvm_version_compare (&version, BIGVM_QEMU_MIN_MAJOR, 0, 0) < 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s is QEMU %u.%u.%u; bigvm needs 5.0.0 or newer (phys-bits came "
                   "with 2.7, -machine memory-backend with 5.0)", path, version.major,
                   version.minor, version.micro);
      return FALSE;
    }
  *ret_version = version;
  return TRUE;
}

/* ---- caps: construction and lookups -------------------------------- */

static void
machine_free (gpointer data)
{
  BigvmMachineType *m = data;
  g_free (m->name);
  g_free (m->alias);
  g_free (m);
}

static void
cpu_model_free (gpointer data)
{
  BigvmCpuModel *m = data;
  g_free (m->name);
  g_free (m->alias_of);
  g_clear_pointer (&m->unavailable, g_variant_unref);
  g_free (m);
}

static void
expansion_free (gpointer data)
{
  BigvmCpuExpansion *e = data;
  g_free (e->vendor_id);
  g_free (e);
}

BigvmQemuCaps *
bigvm_qemu_caps_new (const char *path, const char *accel)
{
  BigvmQemuCaps *caps = g_new0 (BigvmQemuCaps, 1);
  caps->path = g_strdup (path);
  caps->accel = g_strdup (accel);
  caps->machines = g_ptr_array_new_with_free_func (machine_free);
  caps->cpu_models = g_ptr_array_new_with_free_func (cpu_model_free);
  caps->found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  caps->expansions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, expansion_free);
  return caps;
}

void
bigvm_qemu_caps_free (BigvmQemuCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->path);
  g_free (caps->accel);
  g_ptr_array_unref (caps->machines);
  g_ptr_array_unref (caps->cpu_models);
  g_clear_pointer (&caps->machines_v, g_variant_unref);
  g_clear_pointer (&caps->aliases_v, g_variant_unref);
  g_clear_pointer (&caps->models_v, g_variant_unref);
  g_hash_table_unref (caps->found);
  g_hash_table_unref (caps->expansions);
  g_clear_pointer (&caps->cpu_flags, g_variant_unref);
  g_clear_pointer (&caps->host_cpu_flags, g_variant_unref);
  g_free (caps);
}

/* The string of tuple TUPLE's child I, borrowed from it. */
static const char *
child_string (GVariant *tuple, gsize i)
{
  g_autoptr (GVariant) child = g_variant_get_child_value (tuple, i);
  return g_variant_get_string (child, NULL);  /* child's data lives in TUPLE's */
}

static gboolean
child_bool (GVariant *tuple, gsize i)
{
  g_autoptr (GVariant) child = g_variant_get_child_value (tuple, i);
  return g_variant_get_boolean (child);
}

static BigvmMachineType *
machine_from_variant (GVariant *entry)
{
  g_autoptr (GVariant) cpu_max = g_variant_get_child_value (entry, 4);
  BigvmMachineType *m = g_new0 (BigvmMachineType, 1);
  const char *alias = child_string (entry, 1);

  m->name = g_strdup (child_string (entry, 0));
  m->alias = *alias != '\0' ? g_strdup (alias) : NULL;
  g_autoptr (GVariant) order = g_variant_get_child_value (entry, 5);
  m->is_default = child_bool (entry, 2);
  m->deprecated = child_bool (entry, 3);
  m->cpu_max = g_variant_get_uint32 (cpu_max);
  m->order = g_variant_get_uint32 (order);
  return m;
}

static BigvmCpuModel *
cpu_model_from_variant (GVariant *entry)
{
  BigvmCpuModel *m = g_new0 (BigvmCpuModel, 1);
  const char *alias = child_string (entry, 1);

  m->name = g_strdup (child_string (entry, 0));
  m->alias_of = *alias != '\0' ? g_strdup (alias) : NULL;
  g_autoptr (GVariant) order = g_variant_get_child_value (entry, 4);
  m->deprecated = child_bool (entry, 2);
  m->unavailable = g_variant_get_child_value (entry, 3);
  m->order = g_variant_get_uint32 (order);
  return m;
}

/* Index of the tuple in SORTED (an array sorted by its first member, a
 * string) whose first member is NAME, by binary search; -1 if none. */
static gssize
sorted_find (GVariant *sorted, const char *name)
{
  gsize low = 0, high = sorted != NULL ? g_variant_n_children (sorted) : 0;

  while (low < high)
    {
      gsize middle = low + (high - low) / 2;
      g_autoptr (GVariant) child = g_variant_get_child_value (sorted, middle);
      g_autoptr (GVariant) key = g_variant_is_container (child)
                                 ? g_variant_get_child_value (child, 0) : g_variant_ref (child);
      int order = strcmp (g_variant_get_string (key, NULL), name);
      if (order == 0)
        return middle;
      if (order < 0)
        low = middle + 1;
      else
        high = middle;
    }
  return -1;
}

static gboolean
sorted_contains (GVariant *sorted, const char *name)
{
  return sorted_find (sorted, name) >= 0;
}

/* The first entry of LIST (machines or models: their name comes first)
 * named NAME, or NULL.  QEMU names each once; the readers below keep the
 * first of a name repeated, which is the one this finds. */
static gpointer
named (GPtrArray *list, const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (*(char **) list->pdata[i], name))
      return list->pdata[i];
  return NULL;
}

/* The entry of LIST named NAME, made by MAKE from the cache's SORTED the
 * first time and kept in CAPS->found (under KIND and NAME), or found in
 * the probe's LIST. */
static gconstpointer
find (const BigvmQemuCaps *caps, GPtrArray *list, GVariant *sorted, const char *kind,
      const char *name, gpointer (*make) (GVariant *))
{
  if (sorted == NULL)
    return named (list, name);
  g_autofree char *key = g_strconcat (kind, ":", name, NULL);
  gpointer entry = g_hash_table_lookup (caps->found, key);
  if (entry != NULL)
    return entry;
  gssize i = sorted_find (sorted, name);
  if (i < 0)
    return NULL;
  g_autoptr (GVariant) tuple = g_variant_get_child_value (sorted, i);
  entry = make (tuple);
  g_hash_table_insert (caps->found, g_steal_pointer (&key), entry);
  g_ptr_array_add (list, entry);  /* owned there */
  return entry;
}

static int
compare_machine_order (gconstpointer a, gconstpointer b)
{
  guint x = (*(BigvmMachineType *const *) a)->order, y = (*(BigvmMachineType *const *) b)->order;
  return x < y ? -1 : x > y;
}

static int
compare_model_order (gconstpointer a, gconstpointer b)
{
  guint x = (*(BigvmCpuModel *const *) a)->order, y = (*(BigvmCpuModel *const *) b)->order;
  return x < y ? -1 : x > y;
}

/* Everything in the cache's SORTED into LIST, once, in QEMU's order. */
static GPtrArray *
list_all (GPtrArray *list, GVariant *sorted, const char *kind, const BigvmQemuCaps *caps,
          gpointer (*make) (GVariant *), GCompareFunc by_order)
{
  if (sorted == NULL || g_variant_n_children (sorted) == list->len)
    return list;
  for (gsize i = 0, n = g_variant_n_children (sorted); i < n; i++)
    {
      g_autoptr (GVariant) tuple = g_variant_get_child_value (sorted, i);
      find (caps, list, sorted, kind, child_string (tuple, 0), make);
    }
  g_ptr_array_sort (list, by_order);
  return list;
}

GPtrArray *
bigvm_qemu_machines (const BigvmQemuCaps *caps)
{
  return list_all (caps->machines, caps->machines_v, "machine", caps,
                   (gpointer (*) (GVariant *)) machine_from_variant, compare_machine_order);
}

GPtrArray *
bigvm_qemu_cpu_models (const BigvmQemuCaps *caps)
{
  return list_all (caps->cpu_models, caps->models_v, "model", caps,
                   (gpointer (*) (GVariant *)) cpu_model_from_variant, compare_model_order);
}

const BigvmMachineType *
bigvm_qemu_find_machine (const BigvmQemuCaps *caps, const char *name)
{
  if (caps->machines_v == NULL)
    {
      for (guint i = 0; i < caps->machines->len; i++)
        {
          const BigvmMachineType *m = caps->machines->pdata[i];
          if (g_str_equal (m->name, name) || g_strcmp0 (m->alias, name) == 0)
            return m;
        }
      return NULL;
    }
  const char *full = NULL;
  if (!g_variant_lookup (caps->aliases_v, name, "&s", &full))
    full = name;
  return find (caps, caps->machines, caps->machines_v, "machine", full,
               (gpointer (*) (GVariant *)) machine_from_variant);
}

const BigvmCpuModel *
bigvm_qemu_find_cpu_model (const BigvmQemuCaps *caps, const char *name)
{
  return find (caps, caps->cpu_models, caps->models_v, "model", name,
               (gpointer (*) (GVariant *)) cpu_model_from_variant);
}

const BigvmCpuExpansion *
bigvm_qemu_find_expansion (const BigvmQemuCaps *caps, const char *name)
{
  return g_hash_table_lookup (caps->expansions, name);
}

gboolean
bigvm_qemu_cpu_flag_known (const BigvmQemuCaps *caps, const char *model, const char *flag)
{
  return sorted_contains (caps->cpu_flags, flag)
         || ((g_str_equal (model, "max") || g_str_equal (model, "host"))
             && sorted_contains (caps->host_cpu_flags, flag));
}

char *
bigvm_qemu_close_names (GPtrArray *items, const char *name)
{
  /* Both BigvmMachineType and BigvmCpuModel start with their name. */
  g_autoptr (GPtrArray) close = g_ptr_array_new ();
  guint limit = MAX (2, strlen (name) / 3);

  for (guint distance = 0; distance <= limit && close->len < 3; distance++)
    for (guint i = 0; i < items->len && close->len < 3; i++)
      {
        const char *candidate = *(char **) items->pdata[i];
        if (bigvm_edit_distance (candidate, name) == distance)
          g_ptr_array_add (close, (gpointer) candidate);
      }
  if (close->len == 0)
    return NULL;
  g_ptr_array_add (close, NULL);
  return g_strjoinv (", ", (char **) close->pdata);
}

/* ---- caps from QMP replies (pure) ------------------------------------- */

static gboolean
member_bool (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return bigvm_json_holds (node, G_TYPE_BOOLEAN) && json_node_get_boolean (node);
}

static guint
member_uint (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  if (!bigvm_json_holds (node, G_TYPE_INT64))
    return 0;
  gint64 value = json_node_get_int (node);
  return value < 0 || value > G_MAXUINT ? 0 : (guint) value;
}

static GStrv
member_strings (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (bigvm_json_holds (item, G_TYPE_STRING)
              && !g_ptr_array_find_with_equal_func (out, json_node_get_string (item),
                                                    g_str_equal, NULL))
            g_ptr_array_add (out, g_strdup (json_node_get_string (item)));
        }
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_steal (out, NULL);
}

/* The objects of a JSON array, or an error naming WHAT. */
static JsonArray *
object_array (JsonNode *node, const char *what, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s is not a list", what);
      return NULL;
    }
  JsonArray *array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      {
        g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                     "%s holds something other than objects", what);
        return NULL;
      }
  return array;
}

/* query-machines, or the cache's "machines". */
static gboolean
read_machines (BigvmQemuCaps *caps, JsonNode *node, GError **error)
{
  JsonArray *array = object_array (node, "the machine list", error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *name = bigvm_json_member_string (object, "name");
      if (name == NULL || named (caps->machines, name) != NULL)
        continue;
      BigvmMachineType *m = g_new0 (BigvmMachineType, 1);
      m->name = g_strdup (name);
      m->alias = g_strdup (bigvm_json_member_string (object, "alias"));
      m->is_default = member_bool (object, "is-default");
      m->deprecated = member_bool (object, "deprecated");
      m->cpu_max = member_uint (object, "cpu-max");
      m->order = caps->machines->len;
      g_ptr_array_add (caps->machines, m);
    }
  return TRUE;
}

/* query-cpu-definitions, or the cache's "cpu-models". */
static gboolean
read_cpu_models (BigvmQemuCaps *caps, JsonNode *node, GError **error)
{
  JsonArray *array = object_array (node, "the CPU model list", error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *name = bigvm_json_member_string (object, "name");
      if (name == NULL || named (caps->cpu_models, name) != NULL)
        continue;
      BigvmCpuModel *m = g_new0 (BigvmCpuModel, 1);
      m->name = g_strdup (name);
      m->alias_of = g_strdup (bigvm_json_member_string (object, "alias-of"));
      m->deprecated = member_bool (object, "deprecated");
      g_auto (GStrv) unavailable = member_strings (object, "unavailable-features");
      m->unavailable = g_variant_ref_sink (g_variant_new_strv ((const char *const *) unavailable, -1));
      m->order = caps->cpu_models->len;
      g_ptr_array_add (caps->cpu_models, m);
    }
  return TRUE;
}

/* A query-cpu-model-expansion "props" object, or a cache entry. */
static BigvmCpuExpansion *
read_expansion (JsonObject *props)
{
  BigvmCpuExpansion *e = g_new0 (BigvmCpuExpansion, 1);
  e->vendor_id = g_strdup (bigvm_json_member_string (props, "vendor") ?: "");
  e->lm = member_bool (props, "lm");
  e->pdpe1gb = member_bool (props, "pdpe1gb");
  e->pse36 = member_bool (props, "pse36");
  return e;
}

static gboolean
has_property (JsonArray *properties, const char *name)
{
  for (guint i = 0; i < json_array_get_length (properties); i++)
    {
      JsonObject *p = json_array_get_object_element (properties, i);
      if (g_strcmp0 (bigvm_json_member_string (p, "name"), name) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
bigvm_qemu_caps_add_reply (BigvmQemuCaps *caps, const char *command, JsonNode *reply,
                           GError **error)
{
  if (g_str_equal (command, "query-machines"))
    return read_machines (caps, reply, error);
  if (g_str_equal (command, "query-cpu-definitions"))
    return read_cpu_models (caps, reply, error);
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_INTERNAL, "no reader for %s", command);
  return FALSE;
}

/* ---- the probe -------------------------------------------------------- */

static JsonNode *
execute (BigvmQmp *qmp, const char *command, JsonObject *arguments, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  JsonNode *result = bigvm_qmp_execute (qmp, command, arguments, &local_error);

  if (result == NULL)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "probing QEMU: %s: %s", command,
                 local_error->message);
  return result;
}

static BigvmQmp *
start_probe (const char *path, const char *accel, guint timeout_ms, GError **error)
{
  /* libvirt probes the same way (src/qemu/qemu_process.c
   * qemuProcessQMPInit): no machine, no defaults, no user config. */
  const char *argv[] = { path, "-S", "-no-user-config", "-nodefaults", "-display", "none",
                         "-machine", "none", "-accel", accel, "-qmp", "stdio", NULL };
  g_autoptr (GError) local_error = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  BigvmQmp *qmp = bigvm_qmp_start (argv, deadline, &local_error);

  if (qmp == NULL)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "probing QEMU: %s",
                 local_error->message);
  return qmp;
}

static gboolean
expand_models (BigvmQemuCaps *caps, BigvmQmp *qmp, const char *const *models, GError **error)
{
  for (const char *const *model = models; model != NULL && *model != NULL; model++)
    {
      if (g_hash_table_contains (caps->expansions, *model)
          || bigvm_qemu_find_cpu_model (caps, *model) == NULL)
        continue;
      g_autoptr (JsonObject) arguments = json_object_new ();
      JsonObject *model_object = json_object_new ();
      json_object_set_string_member (arguments, "type", "full");
      json_object_set_string_member (model_object, "name", *model);
      json_object_set_object_member (arguments, "model", model_object);
      g_autoptr (JsonNode) reply = execute (qmp, "query-cpu-model-expansion", arguments, error);
      if (reply == NULL)
        return FALSE;
      JsonObject *root = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
      JsonNode *m = root != NULL ? json_object_get_member (root, "model") : NULL;
      JsonNode *props = m != NULL && JSON_NODE_HOLDS_OBJECT (m)
                        ? json_object_get_member (json_node_get_object (m), "props") : NULL;
      if (props == NULL || !JSON_NODE_HOLDS_OBJECT (props))
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                       "probing QEMU: %s: query-cpu-model-expansion of %s has no properties",
                       caps->path, *model);
          return FALSE;
        }
      g_hash_table_insert (caps->expansions, g_strdup (*model),
                           read_expansion (json_node_get_object (props)));
    }
  return TRUE;
}

/* Boolean properties a -cpu option may set as +NAME or -NAME
 * (target/i386/cpu.c x86_cpu_parse_featurestr() sets them with
 * object_property_set_bool(), by their exact name), sorted; EXCEPT those
 * in ALSO are left out.  Not the device's own (realized, hotplugged,
 * hotpluggable: not to be set, "+realized" crashes QEMU 7.2), nor those
 * bigvm sets itself from the flavor's other keys (host-phys-bits, from
 * hw:maxphysaddr_mode; check and enforce, from bigvm:cpu_check). */
static GVariant *
cpu_flags (JsonArray *properties, GVariant *also)
{
  static const char *const not_flags[] = { "realized", "hotplugged", "hotpluggable",
                                           "host-phys-bits", "check", "enforce", NULL };
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (properties); i++)
    {
      JsonObject *p = json_array_get_object_element (properties, i);
      const char *name = bigvm_json_member_string (p, "name");
      if (name != NULL && g_strcmp0 (bigvm_json_member_string (p, "type"), "bool") == 0
          && !g_strv_contains (not_flags, name) && !sorted_contains (also, name))
        g_ptr_array_add (names, (gpointer) name);
    }
  g_ptr_array_sort (names, bigvm_compare_strings);
  return g_variant_ref_sink (g_variant_new_strv ((const char *const *) names->pdata, names->len));
}

static gboolean
probe_properties (BigvmQemuCaps *caps, BigvmQmp *qmp, GError **error)
{
  static const char *const types[] = { "max-x86_64-cpu", "memory-backend-ram",
                                       "memory-backend-memfd", "base-x86_64-cpu" };
  JsonArray *found[G_N_ELEMENTS (types)];
  JsonNode *replies[G_N_ELEMENTS (types)] = { NULL };
  gboolean ok = TRUE;

  for (gsize i = 0; i < G_N_ELEMENTS (types) && ok; i++)
    {
      g_autoptr (JsonObject) arguments = json_object_new ();
      json_object_set_string_member (arguments, "typename", types[i]);
      replies[i] = execute (qmp, "qom-list-properties", arguments, error);
      ok = replies[i] != NULL && (found[i] = object_array (replies[i], types[i], error)) != NULL;
      if (replies[i] != NULL && !ok)
        g_prefix_error (error, "probing QEMU: %s: qom-list-properties: ", caps->path);
    }
  if (ok)
    {
      caps->cpu_phys_bits = has_property (found[0], "phys-bits")
                            && has_property (found[0], "host-phys-bits");
      caps->ram_reserve = has_property (found[1], "reserve");
      caps->prealloc_threads = has_property (found[1], "prealloc-threads");
      caps->prealloc_context = has_property (found[1], "prealloc-context");
      caps->memfd_hugetlb = has_property (found[2], "hugetlb");
      caps->cpu_flags = cpu_flags (found[3], NULL);
      caps->host_cpu_flags = cpu_flags (found[0], caps->cpu_flags);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (replies[i] != NULL)
      json_node_unref (replies[i]);
  return ok;
}

BigvmQemuCaps *
bigvm_qemu_probe (const char *path, const char *accel, const char *const *models,
                  guint timeout_ms, GError **error)
{
  g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_caps_new (path, accel);
  g_autoptr (BigvmQmp) qmp = NULL;

  /* --version first: it works on any QEMU, so a too-old one is refused
   * with its version rather than with a QMP failure. */
  if (!bigvm_qemu_get_version (path, timeout_ms, &caps->version, error))
    return NULL;
  qmp = start_probe (path, accel, timeout_ms, error);
  if (qmp == NULL)
    return NULL;

  static const char *const queries[] = { "query-machines", "query-cpu-definitions" };
  for (gsize i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr (JsonNode) reply = execute (qmp, queries[i], NULL, error);
      if (reply == NULL)
        return NULL;
      if (!bigvm_qemu_caps_add_reply (caps, queries[i], reply, error))
        {
          g_prefix_error (error, "probing QEMU: %s: %s: ", path, queries[i]);
          return NULL;
        }
    }
  if (!probe_properties (caps, qmp, error) || !expand_models (caps, qmp, models, error))
    return NULL;
  return g_steal_pointer (&caps);
}

gboolean
bigvm_qemu_expand_models (BigvmQemuCaps *caps, const char *const *models, guint timeout_ms,
                          GError **error)
{
  gboolean missing = FALSE;

  for (const char *const *model = models; *model != NULL; model++)
    missing |= !g_hash_table_contains (caps->expansions, *model)
               && bigvm_qemu_find_cpu_model (caps, *model) != NULL;
  if (!missing)
    return TRUE;

  g_autoptr (BigvmQmp) qmp = start_probe (caps->path, caps->accel, timeout_ms, error);
  return qmp != NULL && expand_models (caps, qmp, models, error);
}

/* ---- caps as a GVariant (the cache, and the tests' recordings) ---------- */

/* Machine types and CPU models sorted by name, with the aliases of machine
 * types apart, so that a warm bigvm finds the two it needs by binary
 * search instead of reading 190 entries. */
#define CAPS_TYPE "(usssa(ssbbuu)a{ss}a(ssbasu)a{s(sbbb)}asasas)"

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* For g_ptr_array_sort() of items whose first member is their name. */
static int
compare_item_names (const void *a, const void *b)
{
  return strcmp (**(const char *const *const *) a, **(const char *const *const *) b);
}

/* LIST (items starting with their name) sorted by name, as a new array. */
static GPtrArray *
sorted_copy (GPtrArray *list)
{
  GPtrArray *copy = g_ptr_array_sized_new (list->len);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (copy, list->pdata[i]);
  g_ptr_array_sort (copy, compare_item_names);
  return copy;
}

GVariant *
bigvm_qemu_caps_to_variant (const BigvmQemuCaps *caps)
{
  g_autofree char *version = g_strdup_printf ("%u.%u.%u", caps->version.major,
                                              caps->version.minor, caps->version.micro);
  g_autoptr (GPtrArray) machines = sorted_copy (bigvm_qemu_machines (caps));
  g_autoptr (GPtrArray) models = sorted_copy (bigvm_qemu_cpu_models (caps));
  GVariantBuilder machines_b, aliases_b, models_b, expansions_b, properties_b;

  g_variant_builder_init (&machines_b, G_VARIANT_TYPE ("a(ssbbuu)"));
  g_variant_builder_init (&aliases_b, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; i < machines->len; i++)
    {
      const BigvmMachineType *m = machines->pdata[i];
      g_variant_builder_add (&machines_b, "(ssbbuu)", m->name, m->alias ?: "", m->is_default,
                             m->deprecated, m->cpu_max, m->order);
      if (m->alias != NULL)
        g_variant_builder_add (&aliases_b, "{ss}", m->alias, m->name);
    }
  g_variant_builder_init (&models_b, G_VARIANT_TYPE ("a(ssbasu)"));
  for (guint i = 0; i < models->len; i++)
    {
      const BigvmCpuModel *m = models->pdata[i];
      g_variant_builder_add (&models_b, "(ssb@asu)", m->name, m->alias_of ?: "", m->deprecated,
                             m->unavailable, m->order);
    }
  g_variant_builder_init (&expansions_b, G_VARIANT_TYPE ("a{s(sbbb)}"));
  g_autofree gpointer *names = g_hash_table_get_keys_as_array (caps->expansions, NULL);
  guint count = g_hash_table_size (caps->expansions);
  qsort (names, count, sizeof (gpointer), compare_names);
  for (guint i = 0; i < count; i++)
    {
      const BigvmCpuExpansion *e = g_hash_table_lookup (caps->expansions, names[i]);
      g_variant_builder_add (&expansions_b, "{s(sbbb)}", names[i], e->vendor_id, e->lm,
                             e->pdpe1gb, e->pse36);
    }
  g_variant_builder_init (&properties_b, G_VARIANT_TYPE ("as"));
  if (caps->cpu_phys_bits)
    g_variant_builder_add (&properties_b, "s", "phys-bits");
  if (caps->ram_reserve)
    g_variant_builder_add (&properties_b, "s", "reserve");
  if (caps->prealloc_threads)
    g_variant_builder_add (&properties_b, "s", "prealloc-threads");
  if (caps->prealloc_context)
    g_variant_builder_add (&properties_b, "s", "prealloc-context");
  if (caps->memfd_hugetlb)
    g_variant_builder_add (&properties_b, "s", "hugetlb");
  return g_variant_ref_sink (
    g_variant_new ("(usssa(ssbbuu)a{ss}a(ssbasu)a{s(sbbb)}as@as@as)", CAPS_FORMAT, caps->path,
                   version, caps->accel, &machines_b, &aliases_b, &models_b, &expansions_b,
                   &properties_b, caps->cpu_flags ?: g_variant_new_strv (NULL, 0),
                   caps->host_cpu_flags ?: g_variant_new_strv (NULL, 0)));
}

BigvmQemuCaps *
bigvm_qemu_caps_from_variant (GVariant *variant, GError **error)
{
  g_autoptr (GVariant) expansions = NULL, properties = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autofree char *version_line = NULL;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE (CAPS_TYPE)))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "not bigvm's capability format %d", CAPS_FORMAT);
      return NULL;
    }
  g_autoptr (GVariant) format = g_variant_get_child_value (variant, 0);
  if (g_variant_get_uint32 (format) != CAPS_FORMAT)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "capability format %u, not %d", g_variant_get_uint32 (format), CAPS_FORMAT);
      return NULL;
    }
  caps = bigvm_qemu_caps_new (child_string (variant, 1), child_string (variant, 3));
  version_line = g_strconcat ("QEMU emulator version ", child_string (variant, 2), NULL);
  if (!bigvm_qemu_parse_version (version_line, &caps->version, error))
    return NULL;
  caps->machines_v = g_variant_get_child_value (variant, 4);
  caps->aliases_v = g_variant_get_child_value (variant, 5);
  caps->models_v = g_variant_get_child_value (variant, 6);
  expansions = g_variant_get_child_value (variant, 7);
  for (gsize i = 0, n = g_variant_n_children (expansions); i < n; i++)
    {
      const char *name, *vendor;
      gboolean lm, pdpe1gb, pse36;
      g_variant_get_child (expansions, i, "{&s(&sbbb)}", &name, &vendor, &lm, &pdpe1gb, &pse36);
      BigvmCpuExpansion *e = g_new0 (BigvmCpuExpansion, 1);
      e->vendor_id = g_strdup (vendor);
      e->lm = lm;
      e->pdpe1gb = pdpe1gb;
      e->pse36 = pse36;
      g_hash_table_insert (caps->expansions, g_strdup (name), e);
    }
  properties = g_variant_get_child_value (variant, 8);
  g_autofree const char **p = g_variant_get_strv (properties, NULL);
  caps->cpu_phys_bits = g_strv_contains (p, "phys-bits");
  caps->ram_reserve = g_strv_contains (p, "reserve");
  caps->prealloc_threads = g_strv_contains (p, "prealloc-threads");
  caps->prealloc_context = g_strv_contains (p, "prealloc-context");
  caps->memfd_hugetlb = g_strv_contains (p, "hugetlb");
  caps->cpu_flags = g_variant_get_child_value (variant, 9);
  caps->host_cpu_flags = g_variant_get_child_value (variant, 10);
  return g_steal_pointer (&caps);
}
