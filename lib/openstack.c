/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * `openstack flavor show -f json` as python-openstackclient 6.0.0 prints
 * it (openstackclient/compute/v2/flavor.py ShowFlavor): "name", "id",
 * "ram" and "vcpus" (integers), "disk", "OS-FLV-EXT-DATA:ephemeral",
 * "swap" ("" for none with older SDKs, an integer otherwise),
 * "description" (may be null), and "properties": a JSON object of
 * strings, or before OSC 5.5.0 one string k1='v1', k2='v2' (osc-lib
 * utils.format_dict). */
#include "config.h"

#include "openstack.h"

#include "argv.h"
#include "bounds.h"
#include "errors.h"
#include "json-in.h"
#include "nova-keys.h"
#include "util.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Image properties bigvm acts on (nova/objects/image_meta.py). */
static const char *const IMAGE_KEYS[] = { "hw_machine_type", "hw_firmware_type", "os_secure_boot",
                                          NULL };

/* ---- import ------------------------------------------------------------- */

typedef struct {
  GString *text;
  GPtrArray *json_keys;        /* for each line of TEXT, the JSON key it came from, or NULL */
  const char *source;
} Writer;

static void
writer_line (Writer *w, const char *json_key, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
writer_line (Writer *w, const char *json_key, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *line = g_strdup_vprintf (format, args);
  va_end (args);
  /* A line holds anything, but on one line: escape_control keeps line
   * breaks, which here would make lines of their own. */
  g_autofree char *shown = bigvm_escape_control (line);
  g_auto (GStrv) parts = g_strsplit (shown, "\n", -1);
  g_autofree char *one_line = g_strjoinv ("\\x0a", parts);
  g_string_append_printf (w->text, "%s\n", one_line);
  g_ptr_array_add (w->json_keys, g_strdup (json_key));
}

static gboolean
bad_json (GError **error, const char *source, const char *key, const char *what)
{
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "%s: %s: %s", source, key, what);
  return FALSE;
}

static JsonObject *
parse_object (const char *json, gsize len, const char *source, GError **error,
              JsonParser *parser)
{
  g_autoptr (GError) parse_error = NULL;

  if (!json_parser_load_from_data (parser, json, len, &parse_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "%s: not JSON: %s", source,
                   parse_error->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "%s: not a JSON object, as "
                   "`openstack ... show -f json` prints", source);
      return NULL;
    }
  return json_node_get_object (root);
}

/* The pairs of osc-lib's format_dict(): k1='v1', k2='v2', sorted by key,
 * with the values as they are (a value may hold "', "; the end of a value
 * is a quote followed by the end or by ", KEY='"). */
static gboolean
parse_old_properties (const char *text, GPtrArray *keys, GPtrArray *values)
{
  const char *p = text;

  while (*p != '\0')
    {
      const char *eq = strstr (p, "='");
      if (eq == NULL || eq == p)
        return FALSE;
      const char *v = eq + 2, *end = NULL;
      for (const char *q = strchr (v, '\''); q != NULL; q = strchr (q + 1, '\''))
        {
          if (q[1] == '\0')
            {
              end = q;
              break;
            }
          if (q[1] == ',' && q[2] == ' ')
            {
              const char *next_eq = strstr (q + 3, "='");
              const char *next_quote = strchr (q + 3, '\'');
              if (next_eq != NULL && next_eq > q + 3 && (next_quote == NULL || next_eq < next_quote))
                {
                  end = q;
                  break;
                }
            }
        }
      if (end == NULL)
        return FALSE;
      g_ptr_array_add (keys, g_strndup (p, eq - p));
      g_ptr_array_add (values, g_strndup (v, end - v));
      p = end[1] == '\0' ? end + 1 : end + 3;
    }
  return TRUE;
}

/* "properties": an object of strings, or the old one-string form. */
static gboolean
read_properties (JsonObject *root, const char *source, GPtrArray *keys, GPtrArray *values,
                 GError **error)
{
  JsonNode *node = json_object_get_member (root, "properties");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (bigvm_json_holds (node, G_TYPE_STRING))
    {
      if (parse_old_properties (json_node_get_string (node), keys, values))
        return TRUE;
      return bad_json (error, source, "properties", "a string not of the form k1='v1', k2='v2'");
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_json (error, source, "properties", "neither an object nor a string");
  JsonObject *properties = json_node_get_object (node);
  g_autoptr (GList) members = json_object_get_members (properties);
  for (GList *m = members; m != NULL; m = m->next)
    {
      JsonNode *value = json_object_get_member (properties, m->data);
      if (!bigvm_json_holds (value, G_TYPE_STRING))
        {
          g_autofree char *key = g_strconcat ("properties.", (char *) m->data, NULL);
          return bad_json (error, source, key, "not a string, as Nova keeps every property");
        }
      g_ptr_array_add (keys, g_strdup (m->data));
      g_ptr_array_add (values, g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static gboolean
get_int (JsonObject *root, const char *source, const char *key, gboolean required,
         gint64 *ret, GError **error)
{
  JsonNode *node = json_object_get_member (root, key);

  *ret = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node)
      || (bigvm_json_holds (node, G_TYPE_STRING)
          && *json_node_get_string (node) == '\0'))
    return required ? bad_json (error, source, key, "missing") : TRUE;
  if (!bigvm_json_holds (node, G_TYPE_INT64)
      || json_node_get_int (node) < 0)
    return bad_json (error, source, key, "not a whole number from 0");
  *ret = json_node_get_int (node);
  return TRUE;
}

/* Where bigvm stands on a property it does not act on. */
static const char *
why_not (const char *key, gboolean image)
{
  if (bigvm_nova_key_known (key))
    return image ? "a Nova image property bigvm does not act on"
                 : "a Nova setting bigvm does not act on";
  if (image)
    return "not an image property Nova reads";
  if (strchr (key, ':') != NULL && !g_str_has_prefix (key, "hw:") && !g_str_has_prefix (key, "bigvm:"))
    return "bigvm does not know this namespace";
  return "a key bigvm does not know";
}

static gboolean
write_property (Writer *w, const char *key, const char *value, gboolean image, GError **error)
{
  g_autofree char *json_key = g_strconcat ("properties.", key, NULL);
  gboolean acts = image ? g_strv_contains (IMAGE_KEYS, key)
                        : bigvm_flavor_key_known (key) && !g_strv_contains (IMAGE_KEYS, key);

  if (!acts)
    {
      writer_line (w, NULL, "# %s = %s  (%s)", key, value, why_not (key, image));
      return TRUE;
    }
  if (strpbrk (value, "\r\n") != NULL)
    return bad_json (error, w->source, json_key, "holds a line break, which no flavor value can");
  writer_line (w, json_key, "%s = %s", key, value);
  return TRUE;
}

static gboolean
write_flavor (Writer *w, JsonObject *root, GError **error)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  gint64 ram, vcpus, disk, ephemeral, swap;
  JsonNode *name = json_object_get_member (root, "name");

  if (!bigvm_json_holds (name, G_TYPE_STRING))
    return bad_json (error, w->source, "name", "missing, or not a string");
  if (strpbrk (json_node_get_string (name), "\r\n") != NULL)
    return bad_json (error, w->source, "name", "holds a line break, which no flavor value can");
  if (!get_int (root, w->source, "ram", TRUE, &ram, error)
      || !get_int (root, w->source, "vcpus", TRUE, &vcpus, error)
      || !get_int (root, w->source, "disk", FALSE, &disk, error)
      || !get_int (root, w->source, "OS-FLV-EXT-DATA:ephemeral", FALSE, &ephemeral, error)
      || !get_int (root, w->source, "swap", FALSE, &swap, error)
      || !read_properties (root, w->source, keys, values, error))
    return FALSE;
  /* Above what 52 address bits hold, the size would not even fit. */
  if ((guint64) ram > BIGVM_MAX_RAM_BYTES / BIGVM_MiB)
    return bad_json (error, w->source, "ram", "more MiB than any guest can have");
  const char *id = bigvm_json_member_string (root, "id");
  const char *description = bigvm_json_member_string (root, "description");
  writer_line (w, NULL, "# From the OpenStack flavor %s%s%s%s%s.", json_node_get_string (name),
               id != NULL ? " (id " : "", id ?: "", id != NULL ? ")" : "",
               description != NULL && *description != '\0' ? ": " : "");
  if (description != NULL && *description != '\0')
    writer_line (w, NULL, "# %s", description);
  writer_line (w, "name", "name = %s", json_node_get_string (name));
  /* Nova counts RAM in MiB; the flavor says the same in its largest unit. */
  g_autofree char *size = bigvm_format_size ((guint64) ram * BIGVM_MiB);
  writer_line (w, "ram", "ram = %s", ram > 0 ? size : "0");
  writer_line (w, "vcpus", "vcpus = %" G_GINT64_FORMAT, vcpus);
  if (disk > 0)
    writer_line (w, NULL, "# disk = %" G_GINT64_FORMAT "  (Nova's root disk, in GiB: bigvm's "
                 "disks are bigvm:disk.N)", disk);
  if (ephemeral > 0)
    writer_line (w, NULL, "# ephemeral = %" G_GINT64_FORMAT "  (Nova's ephemeral disk, in GiB: "
                 "bigvm's disks are bigvm:disk.N)", ephemeral);
  if (swap > 0)
    writer_line (w, NULL, "# swap = %" G_GINT64_FORMAT "  (Nova's swap disk, in MiB: bigvm "
                 "makes none)", swap);
  for (guint i = 0; i < keys->len; i++)
    if (!write_property (w, keys->pdata[i], values->pdata[i], FALSE, error))
      return FALSE;
  return TRUE;
}

/* The flavor parser's "SOURCE:LINE: KEY: message" lines, each said of the
 * JSON key the line came from. */
static char *
json_messages (const char *message, const char *prefix, GPtrArray *json_keys,
               const char *source)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  GString *out = g_string_new (NULL);

  for (char **line = lines; *line != NULL; line++)
    {
      const char *rest = g_str_has_prefix (*line, prefix) ? *line + strlen (prefix) : NULL;
      char *after = NULL;
      guint64 number = rest != NULL ? g_ascii_strtoull (rest, &after, 10) : 0;
      const char *json_key = number >= 1 && number <= json_keys->len && after != NULL
                             && *after == ':' ? json_keys->pdata[number - 1] : NULL;
      const char *what = json_key != NULL ? strstr (after, ": ") : NULL;
      const char *text = what != NULL ? strstr (what + 2, ": ") : NULL;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      if (json_key != NULL && text != NULL)
        g_string_append_printf (out, "%s: %s: %s", source, json_key, text + 2);
      else
        g_string_append_printf (out, "%s: %s", source, rest != NULL ? rest : *line);
    }
  return g_string_free (out, FALSE);
}

char *
bigvm_openstack_import (const char *flavor_json, gsize flavor_len, const char *flavor_name,
                        const char *image_json, gsize image_len, const char *image_name,
                        GError **error)
{
  g_autoptr (JsonParser) flavor_parser = json_parser_new_immutable ();
  g_autoptr (JsonParser) image_parser = json_parser_new_immutable ();
  g_autoptr (GPtrArray) json_keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) text = g_string_new (NULL);
  Writer w = { text, json_keys, flavor_name };
  JsonObject *flavor = parse_object (flavor_json, flavor_len, flavor_name, error, flavor_parser);

  if (flavor == NULL || !write_flavor (&w, flavor, error))
    return NULL;
  if (image_json != NULL)
    {
      g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
      JsonObject *image = parse_object (image_json, image_len, image_name, error, image_parser);
      if (image == NULL || !read_properties (image, image_name, keys, values, error))
        return NULL;
      const char *name = bigvm_json_member_string (image, "name") ?: "?";
      writer_line (&w, NULL, "# From the properties of the image %s.", name);
      w.source = image_name;
      for (guint i = 0; i < keys->len; i++)
        if (!write_property (&w, keys->pdata[i], values->pdata[i], TRUE, error))
          return NULL;
    }

  /* What bigvm refuses in a flavor file, it refuses here, naming the
   * JSON key the value came from. */
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (BigvmFlavor) parsed = bigvm_flavor_parse ("import", "/", text->str, text->len,
                                                       &parse_error);
  if (parsed == NULL)
    {
      g_autofree char *message = json_messages (parse_error->message, "import:", json_keys,
                                                flavor_name);
      g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, message);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- export ------------------------------------------------------------- */

/* Why Nova has no flavor key for each of bigvm's: the setting lives
 * elsewhere in Nova, or Nova decides it itself. */
static const struct {
  const char *prefix;
  const char *why;
} bigvm_only[] = {
  { "bigvm:cpu_model", "Nova's CPU model is each compute host's [libvirt] cpu_mode and "
                       "cpu_models in nova.conf" },
  { "bigvm:cpu_flags", "Nova's extra CPU flags are each compute host's [libvirt] "
                       "cpu_model_extra_flags; trait:HW_CPU_X86_*=required picks hosts with a "
                       "feature" },
  { "bigvm:cpu_check", "Nova has libvirt check the CPU (check='partial')" },
  { "bigvm:maxmem", "Nova does not hot-add memory" },
  { "bigvm:mem_slots", "Nova does not hot-add memory" },
  { "bigvm:nvram", "Nova keeps the guest's UEFI variables with the instance" },
  { "bigvm:abi", "Nova has libvirt check a migrating guest's ABI" },
  { "bigvm:prealloc_threads", "Nova has libvirt preallocate huge pages" },
  { "bigvm:mem_path", "Nova has libvirt find the hugetlbfs mounts" },
  { "bigvm:numa_host_nodes.", "Nova's scheduler places guest NUMA nodes on host nodes" },
  { "bigvm:disk.", "Nova's disks come from the image, volumes and the flavor's disk" },
  { "bigvm:cdrom", "Nova's disks come from the image and volumes" },
  { "bigvm:net", "Nova's network is Neutron's ports" },
  { "bigvm:qmp", "Nova drives QEMU through libvirt" },
  { "bigvm:pidfile", "Nova drives QEMU through libvirt" },
  { "bigvm:migrate_", "Nova's live migration is set in each compute host's [libvirt] "
                      "live_migration_* options" },
};

/* Nova's flavor fields that `openstack flavor create` sets by option. */
static const struct {
  const char *key;
  const char *option;
} fields[] = {
  { "disk", "--disk" }, { "ephemeral", "--ephemeral" }, { "swap", "--swap" },
  { "rxtx_factor", "--rxtx-factor" }, { "description", "--description" },
};

static gboolean
is_image_key (const char *key)
{
  return g_strv_contains (IMAGE_KEYS, key)
         || ((g_str_has_prefix (key, "hw_") || g_str_has_prefix (key, "img_")
              || g_str_has_prefix (key, "os_")) && bigvm_nova_key_known (key));
}

char *
bigvm_openstack_export (const BigvmFlavor *flavor, const BigvmPlan *plan)
{
  g_autoptr (GPtrArray) create = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) image = g_ptr_array_new_with_free_func (g_free);
  GString *others = g_string_new (NULL);
  GString *out = g_string_new (NULL);
  const char *disk = "0";

  for (guint i = 0; i < flavor->entries->len; i++)
    {
      const BigvmFlavorEntry *e = flavor->entries->pdata[i];
      if (g_str_equal (e->key, "disk"))
        disk = e->value;
    }
  g_ptr_array_add (create, g_strdup ("openstack"));
  g_ptr_array_add (create, g_strdup ("flavor"));
  g_ptr_array_add (create, g_strdup ("create"));
  g_ptr_array_add (create, g_strdup ("--ram"));
  g_ptr_array_add (create, g_strdup_printf ("%" G_GUINT64_FORMAT, flavor->ram_bytes / BIGVM_MiB));
  g_ptr_array_add (create, g_strdup ("--vcpus"));
  g_ptr_array_add (create, g_strdup_printf ("%u", flavor->vcpus));
  g_ptr_array_add (create, g_strdup ("--disk"));
  g_ptr_array_add (create, g_strdup (disk));
  g_ptr_array_add (image, g_strdup ("openstack"));
  g_ptr_array_add (image, g_strdup ("image"));
  g_ptr_array_add (image, g_strdup ("set"));

  for (guint i = 0; i < flavor->entries->len; i++)
    {
      const BigvmFlavorEntry *e = flavor->entries->pdata[i];
      gboolean field = FALSE;
      if (g_str_equal (e->key, "name") || g_str_equal (e->key, "ram")
          || g_str_equal (e->key, "vcpus") || g_str_equal (e->key, "disk"))
        continue;
      for (gsize f = 0; f < G_N_ELEMENTS (fields); f++)
        if (g_str_equal (e->key, fields[f].key))
          {
            g_ptr_array_add (create, g_strdup (fields[f].option));
            g_ptr_array_add (create, g_strdup (e->value));
            field = TRUE;
          }
      if (field)
        continue;
      if (g_str_equal (e->key, "id") || g_str_equal (e->key, "is_public"))
        {
          g_autofree char *shown = bigvm_escape_control (e->value);
          g_string_append_printf (others, "#   %s = %s: Nova sets it\n", e->key, shown);
          continue;
        }
      if (is_image_key (e->key))
        {
          g_ptr_array_add (image, g_strdup ("--property"));
          g_ptr_array_add (image, g_strdup_printf ("%s=%s", e->key, e->value));
          continue;
        }
      if (g_str_has_prefix (e->key, "bigvm:"))
        {
          const char *why = "Nova has no equivalent";
          for (gsize b = 0; b < G_N_ELEMENTS (bigvm_only); b++)
            if (g_str_has_prefix (e->key, bigvm_only[b].prefix))
              why = bigvm_only[b].why;
          g_autofree char *shown = bigvm_escape_control (e->value);
          g_string_append_printf (others, "#   %s = %s: %s\n", e->key, shown, why);
          continue;
        }
      g_ptr_array_add (create, g_strdup ("--property"));
      g_ptr_array_add (create, g_strdup_printf ("%s=%s", e->key, e->value));
    }
  g_ptr_array_add (create, g_strdup (flavor->name));

  g_autofree char *create_line = bigvm_argv_to_shell (create);
  g_string_append_printf (out, "%s\n", create_line);
  if (image->len > 3)
    {
      g_ptr_array_add (image, g_strdup ("IMAGE"));
      g_autofree char *image_line = bigvm_argv_to_shell (image);
      g_string_append_printf (out, "# Nova reads these from the image the guest boots:\n# %s\n",
                              image_line);
    }
  if (others->len > 0)
    g_string_append_printf (out, "# Not for Nova:\n%s", others->str);
  /* What bigvm added that Nova would need told. */
  if (plan != NULL && plan->firmware != NULL
      && g_ptr_array_find_with_equal_func (plan->cpu_props, "+pdpe1gb", g_str_equal, NULL)
      && !g_strv_contains ((const char *const *) flavor->cpu_flags, "+pdpe1gb"))
    g_string_append (out, "# OVMF needs 1 GiB pages for this much RAM, and bigvm adds +pdpe1gb "
                          "to the CPU: in Nova, cpu_model_extra_flags = pdpe1gb in [libvirt] "
                          "on the compute hosts\n");
  g_string_free (others, TRUE);
  return g_string_free (out, FALSE);
}
