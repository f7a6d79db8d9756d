/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "flavor.h"

#include "bounds.h"
#include "errors.h"
#include "nova-keys.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parsing state: the flavor being filled and every problem found. */
typedef struct {
  BigvmFlavor *flavor;
  const char *base_dir;
  GPtrArray *errors;
  /* Indexed keys (hw:numa_cpus.N, hw:numa_mem.N): index -> value, kept
   * until the node count is known. */
  GHashTable *numa_cpus;
  GHashTable *numa_mem;
  GHashTable *numa_host_nodes;
  GHashTable *disks;           /* index -> absolute path */
  GHashTable *disk_formats;    /* index -> value */
  guint numa_node_count;
  const char *shown;           /* the value being parsed, as messages echo it */
} Parser;

typedef gboolean (*ValueParser) (Parser *parser, const char *key, guint index,
                                 const char *value, GError **error);

static void
add_error (Parser *parser, const char *key, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static void
add_error (Parser *parser, const char *key, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *where = bigvm_flavor_locate (parser->flavor, key);
  g_ptr_array_add (parser->errors, g_strdup_printf ("%s: %s", where, what));
}

/* ---- value parsers ---------------------------------------------------- */

static gboolean
parse_name (Parser *parser, const char *key, guint index, const char *value,
            GError **error)
{
  glong chars = g_utf8_strlen (value, -1);

  if (chars > BIGVM_MAX_NAME_CHARS)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%ld characters long, at most %d are allowed", chars,
                   BIGVM_MAX_NAME_CHARS);
      return FALSE;
    }
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                     "control characters are not allowed in a name");
        return FALSE;
      }
  parser->flavor->name = g_strdup (value);
  return TRUE;
}

static gboolean
parse_ram (Parser *parser, const char *key, guint index, const char *value,
           GError **error)
{
  guint64 bytes;

  /* Nova counts RAM in MiB; a suffix makes large values readable. */
  if (!bigvm_parse_size (value, BIGVM_MiB, BIGVM_MAX_RAM_BYTES, &bytes, error))
    return FALSE;
  if (bytes == 0 || bytes % BIGVM_MiB != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s is not a positive whole number of MiB", value);
      return FALSE;
    }
  if (g_str_equal (key, "ram"))
    parser->flavor->ram_bytes = bytes;
  else
    parser->flavor->maxmem_bytes = bytes;
  return TRUE;
}

static gboolean
parse_vcpus (Parser *parser, const char *key, guint index, const char *value,
             GError **error)
{
  guint64 n;

  if (!bigvm_parse_uint (value, 1, BIGVM_MAX_VCPUS, &n, error))
    return FALSE;
  parser->flavor->vcpus = n;
  return TRUE;
}

static gboolean
parse_phys_addr_mode (Parser *parser, const char *key, guint index,
                      const char *value, GError **error)
{
  if (g_str_equal (value, "emulate"))
    parser->flavor->phys_addr_mode = BIGVM_PHYS_ADDR_EMULATE;
  else if (g_str_equal (value, "passthrough"))
    parser->flavor->phys_addr_mode = BIGVM_PHYS_ADDR_PASSTHROUGH;
  else
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a mode (emulate or passthrough)", parser->shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_phys_addr_bits (Parser *parser, const char *key, guint index,
                      const char *value, GError **error)
{
  guint64 bits;

  if (!bigvm_parse_uint (value, BIGVM_MIN_PHYS_BITS, BIGVM_MAX_PHYS_BITS, &bits, error))
    return FALSE;
  parser->flavor->phys_addr_bits = bits;
  return TRUE;
}

/* QEMU machine and CPU model names: letters, digits, '.', '_', '-'. */
static gboolean
is_qemu_name (const char *value)
{
  if (*value == '\0' || *value == '-')
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
parse_machine_type (Parser *parser, const char *key, guint index,
                    const char *value, GError **error)
{
  if (!is_qemu_name (value))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a machine type name (such as q35 or pc-q35-7.2)",
                   parser->shown);
      return FALSE;
    }
  parser->flavor->machine_type = g_strdup (value);
  return TRUE;
}

static gboolean
parse_firmware_type (Parser *parser, const char *key, guint index,
                     const char *value, GError **error)
{
  if (g_str_equal (value, "bios"))
    parser->flavor->firmware = BIGVM_FIRMWARE_BIOS;
  else if (g_str_equal (value, "uefi"))
    parser->flavor->firmware = BIGVM_FIRMWARE_UEFI;
  else
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a firmware type (bios or uefi)", parser->shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_cpu_model (Parser *parser, const char *key, guint index,
                 const char *value, GError **error)
{
  /* A bare name: a comma would let the value add CPU properties. */
  if (!is_qemu_name (value))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a CPU model name (such as host, max or "
                   "Icelake-Server); CPU features go in bigvm:cpu_flags",
                   parser->shown);
      return FALSE;
    }
  parser->flavor->cpu_model = g_strdup (value);
  return TRUE;
}

static gboolean
parse_cpu_flags (Parser *parser, const char *key, guint index,
                 const char *value, GError **error)
{
  g_auto (GStrv) items = g_strsplit (value, ",", -1);
  g_autoptr (GPtrArray) flags = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (char **item = items; *item != NULL; item++)
    {
      const char *flag = g_strstrip (*item);
      if ((flag[0] != '+' && flag[0] != '-') || !is_qemu_name (flag + 1))
        {
          g_autofree char *shown = bigvm_echo (flag);
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "\"%s\" is not +FEATURE or -FEATURE (a comma-separated "
                       "list such as +pdpe1gb,-arch-capabilities)", shown);
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer) (flag + 1)))
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "feature \"%s\" is listed twice", flag + 1);
          return FALSE;
        }
      g_ptr_array_add (flags, g_strdup (flag));
    }
  g_ptr_array_add (flags, NULL);
  g_strfreev (parser->flavor->cpu_flags);
  parser->flavor->cpu_flags = (GStrv) g_ptr_array_steal (flags, NULL);
  return TRUE;
}

static gboolean
parse_mem_slots (Parser *parser, const char *key, guint index,
                 const char *value, GError **error)
{
  guint64 slots;

  if (!bigvm_parse_uint (value, 1, BIGVM_MAX_MEM_SLOTS, &slots, error))
    return FALSE;
  parser->flavor->mem_slots = slots;
  return TRUE;
}

/* Every path key: relative paths are relative to the flavor file, so a
 * flavor and its files can move together. */
static gboolean
parse_path (Parser *parser, const char *key, guint index, const char *value,
            GError **error)
{
  BigvmFlavor *flavor = parser->flavor;
  char *path = g_canonicalize_filename (value, parser->base_dir);

  if (g_str_has_prefix (key, "bigvm:disk."))
    g_hash_table_insert (parser->disks, GUINT_TO_POINTER (index), path);
  else if (g_str_equal (key, "bigvm:nvram"))
    flavor->nvram = path;
  else if (g_str_equal (key, "bigvm:abi"))
    flavor->abi = path;
  else if (g_str_equal (key, "bigvm:migrate_tls_dir"))
    flavor->migrate_tls_dir = path;
  else if (g_str_equal (key, "bigvm:mem_path"))
    flavor->mem_path = path;
  else if (g_str_equal (key, "bigvm:cdrom"))
    flavor->cdrom = path;
  else if (g_str_equal (key, "bigvm:pidfile"))
    flavor->pidfile = path;
  else
    {
      /* sockaddr_un holds 108 bytes with the terminating NUL. */
      if (strlen (path) > 107)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "%s is too long for a UNIX socket (at most 107 bytes)", path);
          g_free (path);
          return FALSE;
        }
      flavor->qmp = path;
    }
  return TRUE;
}

/* The formats bigvm gives QEMU by name, and the file name endings that
 * say which a disk is. */
static const struct {
  BigvmDiskFormat format;
  const char *name;
  const char *suffixes[3];
} disk_format_table[] = {
  { BIGVM_DISK_RAW, "raw", { ".raw", ".img", NULL } },
  { BIGVM_DISK_QCOW2, "qcow2", { ".qcow2", NULL } },
};

const char *
bigvm_disk_format_name (BigvmDiskFormat format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (disk_format_table); i++)
    if (disk_format_table[i].format == format)
      return disk_format_table[i].name;
  g_return_val_if_reached (NULL);
}

gboolean
bigvm_disk_format_parse (const char *name, BigvmDiskFormat *ret_format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (disk_format_table); i++)
    if (g_str_equal (disk_format_table[i].name, name))
      {
        *ret_format = disk_format_table[i].format;
        return TRUE;
      }
  return FALSE;
}

static gboolean
format_from_suffix (const char *path, BigvmDiskFormat *ret_format)
{
  for (gsize i = 0; i < G_N_ELEMENTS (disk_format_table); i++)
    for (const char *const *suffix = disk_format_table[i].suffixes; *suffix != NULL; suffix++)
      if (g_str_has_suffix (path, *suffix))
        {
          *ret_format = disk_format_table[i].format;
          return TRUE;
        }
  return FALSE;
}

static gboolean
parse_disk_format (Parser *parser, const char *key, guint index, const char *value,
                   GError **error)
{
  BigvmDiskFormat format;

  if (!bigvm_disk_format_parse (value, &format))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a disk format (raw or qcow2)", parser->shown);
      return FALSE;
    }
  g_hash_table_insert (parser->disk_formats, GUINT_TO_POINTER (index), g_strdup (value));
  return TRUE;
}

/* Linux interface names: at most 15 bytes (IFNAMSIZ), no '/' or blanks. */
static gboolean
is_interface_name (const char *name)
{
  gsize len = strlen (name);
  if (len == 0 || len > 15)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
parse_net (Parser *parser, const char *key, guint index, const char *value, GError **error)
{
  BigvmFlavor *flavor = parser->flavor;
  const char *name = NULL;

  if (g_str_equal (value, "none"))
    flavor->net = BIGVM_NET_NONE;
  else if (g_str_equal (value, "user"))
    flavor->net = BIGVM_NET_USER;
  else if (g_str_has_prefix (value, "tap:"))
    {
      flavor->net = BIGVM_NET_TAP;
      name = value + strlen ("tap:");
    }
  else if (g_str_has_prefix (value, "bridge:"))
    {
      flavor->net = BIGVM_NET_BRIDGE;
      name = value + strlen ("bridge:");
    }
  else
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a network (none, user, tap:NAME or bridge:NAME)", parser->shown);
      return FALSE;
    }
  if (name != NULL && !is_interface_name (name))
    {
      g_autofree char *shown = bigvm_echo (name);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not an interface name (1 to 15 letters, digits, '-', '_', '.')",
                   shown);
      return FALSE;
    }
  g_free (flavor->net_name);
  flavor->net_name = g_strdup (name);
  return TRUE;
}

static gboolean
parse_cpu_check (Parser *parser, const char *key, guint index, const char *value,
                 GError **error)
{
  static const char *const names[] = { "enforce", "warn", "none" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (value, names[i]))
      {
        parser->flavor->cpu_check = (BigvmCpuCheck) i;
        return TRUE;
      }
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
               "\"%s\" is not a CPU check (enforce, warn or none)", parser->shown);
  return FALSE;
}

static gboolean
parse_migrate_bandwidth (Parser *parser, const char *key, guint index, const char *value,
                         GError **error)
{
  return bigvm_parse_rate (value, &parser->flavor->migrate_bandwidth, error);
}

static gboolean
parse_migrate_downtime (Parser *parser, const char *key, guint index, const char *value,
                        GError **error)
{
  guint64 ms;

  if (!bigvm_parse_uint (value, 1, BIGVM_MIGRATE_MAX_DOWNTIME_MS, &ms, error))
    return FALSE;
  parser->flavor->migrate_downtime_ms = ms;
  return TRUE;
}

static gboolean
parse_migrate_postcopy (Parser *parser, const char *key, guint index, const char *value,
                        GError **error)
{
  if (!g_str_equal (value, "auto") && !g_str_equal (value, "never"))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "\"%s\" is not auto or never",
                   parser->shown);
      return FALSE;
    }
  parser->flavor->migrate_postcopy = g_str_equal (value, "auto");
  return TRUE;
}

/* Nova's image property os_secure_boot, and its flavor extra spec
 * os:secure_boot (nova/virt/hardware.py get_secure_boot_constraint). */
static gboolean
parse_secure_boot (Parser *parser, const char *key, guint index, const char *value,
                   GError **error)
{
  parser->flavor->secure_boot_key = g_intern_string (key);
  if (g_str_equal (value, "required"))
    parser->flavor->secure_boot = TRUE;
  else if (g_str_equal (value, "disabled"))
    parser->flavor->secure_boot = FALSE;
  else
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not required or disabled%s", parser->shown,
                   g_str_equal (value, "optional") ? " (bigvm does not guess: say which)" : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_prealloc_threads (Parser *parser, const char *key, guint index, const char *value,
                        GError **error)
{
  guint64 n;

  if (!bigvm_parse_uint (value, 1, BIGVM_MAX_PREALLOC_THREADS, &n, error))
    return FALSE;
  parser->flavor->prealloc_threads = n;
  return TRUE;
}

/* Nova accepts "small", "large", "any", a number of KiB, or a size with
 * a unit such as 2MB (nova/virt/hardware.py _numa_get_pagesize_constraints,
 * oslo strutils.string_to_bytes with IEC units).  x86 has three sizes. */
static gboolean
parse_mem_page_size (Parser *parser, const char *key, guint index,
                     const char *value, GError **error)
{
  BigvmFlavor *flavor = parser->flavor;
  guint64 kib = 0;

  if (g_str_equal (value, "small"))
    flavor->page_request = BIGVM_PAGES_SMALL;
  else if (g_str_equal (value, "large"))
    flavor->page_request = BIGVM_PAGES_LARGE;
  else if (g_str_equal (value, "any"))
    flavor->page_request = BIGVM_PAGES_ANY;
  else
    {
      gsize len = strlen (value);
      guint64 unit_kib = 1;
      gsize digits = 0;

      while (digits < len && g_ascii_isdigit (value[digits]))
        digits++;
      const char *unit = value + digits;
      if (g_str_equal (unit, "KB") || g_str_equal (unit, "KiB"))
        unit_kib = 1;
      else if (g_str_equal (unit, "MB") || g_str_equal (unit, "MiB"))
        unit_kib = 1024;
      else if (g_str_equal (unit, "GB") || g_str_equal (unit, "GiB"))
        unit_kib = 1024 * 1024;
      else if (*unit != '\0')
        digits = 0;

      g_autofree char *number = g_strndup (value, digits);
      if (digits == 0 || digits > 12
          || !g_ascii_string_to_unsigned (number, 10, 1, G_MAXUINT32, &kib, NULL))
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "\"%s\" is not a page size (small, large, any, or a size "
                       "such as 4KB, 2MB, 1GB or 2048 for KiB)", parser->shown);
          return FALSE;
        }
      kib *= unit_kib;
      if (kib != 4 && kib != 2048 && kib != 1024 * 1024)
        {
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "%s is not an x86 page size (4KB, 2MB or 1GB)", parser->shown);
          return FALSE;
        }
      flavor->page_request = BIGVM_PAGES_SIZE;
      flavor->page_size_bytes = kib * BIGVM_KiB;
    }
  return TRUE;
}

static gboolean
parse_numa_nodes (Parser *parser, const char *key, guint index,
                  const char *value, GError **error)
{
  guint64 nodes;

  if (!bigvm_parse_uint (value, 1, G_MAXUINT32, &nodes, error))
    return FALSE;
  if (nodes > BIGVM_MAX_NUMA_NODES)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s nodes are more than QEMU takes (%d, MAX_NODES)", value,
                   BIGVM_MAX_NUMA_NODES);
      return FALSE;
    }
  parser->numa_node_count = nodes;
  return TRUE;
}

static gboolean
keep_indexed (Parser *parser, const char *key, guint index, const char *value,
              GError **error)
{
  GHashTable *table = g_str_has_prefix (key, "hw:numa_cpus.") ? parser->numa_cpus
                      : g_str_has_prefix (key, "hw:numa_mem.") ? parser->numa_mem
                      : parser->numa_host_nodes;
  g_hash_table_insert (table, GUINT_TO_POINTER (index), g_strdup (value));
  return TRUE;
}

static gboolean
parse_topology (Parser *parser, const char *key, guint index, const char *value,
                GError **error)
{
  guint64 n;

  if (!bigvm_parse_uint (value, 1, BIGVM_MAX_VCPUS, &n, error))
    return FALSE;
  if (g_str_equal (key, "hw:cpu_sockets"))
    parser->flavor->cpu_sockets = n;
  else if (g_str_equal (key, "hw:cpu_cores"))
    parser->flavor->cpu_cores = n;
  else
    parser->flavor->cpu_threads = n;
  return TRUE;
}

/* Every key bigvm acts on.  A trailing ".N" takes a node index. */
static const struct {
  const char *key;
  ValueParser parse;
} known_keys[] = {
  { "name", parse_name },
  { "ram", parse_ram },
  { "vcpus", parse_vcpus },
  { "hw:maxphysaddr_mode", parse_phys_addr_mode },
  { "hw:maxphysaddr_bits", parse_phys_addr_bits },
  { "hw_machine_type", parse_machine_type },
  { "hw_firmware_type", parse_firmware_type },
  { "hw:mem_page_size", parse_mem_page_size },
  { "hw:numa_nodes", parse_numa_nodes },
  { "hw:numa_cpus.N", keep_indexed },
  { "hw:numa_mem.N", keep_indexed },
  { "hw:cpu_sockets", parse_topology },
  { "hw:cpu_cores", parse_topology },
  { "hw:cpu_threads", parse_topology },
  { "bigvm:cpu_model", parse_cpu_model },
  { "bigvm:cpu_flags", parse_cpu_flags },
  { "bigvm:cpu_check", parse_cpu_check },
  { "bigvm:maxmem", parse_ram },
  { "bigvm:mem_slots", parse_mem_slots },
  { "bigvm:nvram", parse_path },
  { "bigvm:abi", parse_path },
  { "bigvm:prealloc_threads", parse_prealloc_threads },
  { "bigvm:mem_path", parse_path },
  { "bigvm:numa_host_nodes.N", keep_indexed },
  { "bigvm:disk.N", parse_path },
  { "bigvm:disk.N.format", parse_disk_format },
  { "bigvm:cdrom", parse_path },
  { "bigvm:net", parse_net },
  { "bigvm:qmp", parse_path },
  { "bigvm:pidfile", parse_path },
  { "bigvm:migrate_tls_dir", parse_path },
  { "bigvm:migrate_bandwidth", parse_migrate_bandwidth },
  { "bigvm:migrate_downtime", parse_migrate_downtime },
  { "bigvm:migrate_postcopy", parse_migrate_postcopy },
  { "os_secure_boot", parse_secure_boot },
  { "os:secure_boot", parse_secure_boot },
};

const char **
bigvm_flavor_keys (void)
{
  const char **keys = g_new0 (const char *, G_N_ELEMENTS (known_keys) + 1);
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    keys[i] = known_keys[i].key;
  return keys;
}

/* Whether KEY is PATTERN's, with its "N" index split off (PATTERN has
 * ".N" at its end or before a last ".part").  An index that is not a plain
 * number ("01", "x") still claims the key, so the error says what is wrong
 * with it. */
static gboolean
match_key (const char *pattern, const char *key, gboolean *ret_index_ok, guint *ret_index)
{
  const char *placeholder = strstr (pattern, ".N");
  guint64 index;

  *ret_index_ok = TRUE;
  if (placeholder == NULL || (placeholder[2] != '\0' && placeholder[2] != '.'))
    return g_str_equal (pattern, key);

  gsize stem = placeholder - pattern + 1;
  const char *rest = placeholder + 2;
  if (strncmp (pattern, key, stem) != 0 || !g_str_has_suffix (key + stem, rest))
    return FALSE;
  g_autofree char *digits = g_strndup (key + stem, strlen (key + stem) - strlen (rest));
  /* "bigvm:disk.0.format" is not "bigvm:disk.N" with index "0.format". */
  if (*rest == '\0' && strchr (digits, '.') != NULL)
    return FALSE;
  *ret_index_ok = (digits[0] != '0' || digits[1] == '\0')
                  && bigvm_parse_uint (digits, 0, BIGVM_MAX_VCPUS - 1, &index, NULL);
  *ret_index = *ret_index_ok ? index : 0;
  return TRUE;
}

static const char *
suggest_key (const char *key)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  /* Close enough to be a typo: a few edits, fewer for short keys. */
  guint limit = MAX (2, strlen (key) / 4);

  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      guint d = bigvm_edit_distance (key, known_keys[i].key);
      if (d < best_distance)
        {
          best_distance = d;
          best = known_keys[i].key;
        }
    }
  for (const char *const *nova = bigvm_nova_keys; *nova != NULL; nova++)
    {
      if (strchr (*nova, '*') != NULL)
        continue;  /* patterns are no spelling to suggest */
      guint d = bigvm_edit_distance (key, *nova);
      if (d < best_distance)
        {
          best_distance = d;
          best = *nova;
        }
    }
  return best_distance <= limit ? best : NULL;
}

/* Keys bigvm must understand: its own namespace, Nova's hw: extra specs,
 * hw_ image properties and plain flavor fields.  Other namespaces (quota:,
 * trait:, ...) belong to parts of Nova bigvm does not replace. */
static gboolean
is_strict_namespace (const char *key)
{
  return g_str_has_prefix (key, "hw:") || g_str_has_prefix (key, "bigvm:")
         || strchr (key, ':') == NULL;
}

gboolean
bigvm_flavor_key_known (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      guint index;
      gboolean index_ok;
      if (match_key (known_keys[i].key, key, &index_ok, &index))
        return index_ok;
    }
  return FALSE;
}

static void
parse_entry (Parser *parser, const char *key, const char *value)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      guint index = 0;
      gboolean index_ok;
      if (match_key (known_keys[i].key, key, &index_ok, &index))
        {
          g_autoptr (GError) local_error = NULL;
          if (!index_ok)
            add_error (parser, key, "the index is not a number (0 to %d, no leading zeros)",
                       BIGVM_MAX_VCPUS - 1);
          else if (!known_keys[i].parse (parser, key, index, value, &local_error))
            add_error (parser, key, "%s", local_error->message);
          return;
        }
    }

  if (bigvm_nova_key_known (key))
    {
      g_ptr_array_add (parser->flavor->warnings,
                       bigvm_flavor_message (parser->flavor, key,
                                             "ignored: a Nova setting bigvm does not act on"));
      return;
    }
  if (!is_strict_namespace (key))
    {
      g_ptr_array_add (parser->flavor->warnings,
                       bigvm_flavor_message (parser->flavor, key,
                                             "ignored: bigvm does not know this namespace"));
      return;
    }

  /* Suggestions cost an edit distance against every key: only for the
   * problems that will be listed, and for keys of a plausible length. */
  const char *suggestion = parser->errors->len < BIGVM_MAX_LISTED_PROBLEMS
                           && strlen (key) <= BIGVM_MAX_ECHO_CHARS ? suggest_key (key) : NULL;
  if (suggestion != NULL)
    add_error (parser, key, "unknown key; did you mean %s?", suggestion);
  else
    add_error (parser, key, "unknown key (see bigvm-flavor(5))");
}

/* ---- checks across keys --------------------------------------------- */

static gboolean
is_set (Parser *parser, const char *key)
{
  return g_hash_table_contains (parser->flavor->lines, key);
}

static void
check_required (Parser *parser)
{
  static const struct { const char *key; const char *hint; } required[] = {
    { "name", "the guest's name, e.g. name = db1" },
    { "ram", "the guest's RAM in MiB or with a unit, e.g. ram = 1T" },
    { "vcpus", "the number of virtual CPUs, e.g. vcpus = 8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    if (!is_set (parser, required[i].key))
      add_error (parser, required[i].key, "missing (%s)", required[i].hint);
}

/* Nova's blueprint libvirt-maxphysaddr-support and libvirt's
 * virCPUDefParseXML (src/conf/cpu_conf.c): bits only with emulate, and
 * emulate needs bits. */
static void
check_phys_addr (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;
  gboolean has_bits = is_set (parser, "hw:maxphysaddr_bits");

  if (!is_set (parser, "hw:maxphysaddr_mode"))
    {
      if (has_bits)
        add_error (parser, "hw:maxphysaddr_bits",
                   "needs hw:maxphysaddr_mode = emulate");
      return;
    }
  if (flavor->phys_addr_mode == BIGVM_PHYS_ADDR_EMULATE && !has_bits)
    add_error (parser, "hw:maxphysaddr_mode",
               "emulate needs hw:maxphysaddr_bits (32..52)");
  else if (flavor->phys_addr_mode == BIGVM_PHYS_ADDR_PASSTHROUGH && has_bits)
    add_error (parser, "hw:maxphysaddr_bits",
               "not allowed with hw:maxphysaddr_mode = passthrough, which "
               "gives the guest the host's bits");
}

static void
check_memory_hotplug (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;
  gboolean has_maxmem = is_set (parser, "bigvm:maxmem");
  gboolean has_slots = is_set (parser, "bigvm:mem_slots");

  if (has_maxmem && !has_slots)
    add_error (parser, "bigvm:maxmem", "needs bigvm:mem_slots (1..%d)", BIGVM_MAX_MEM_SLOTS);
  else if (has_slots && !has_maxmem)
    add_error (parser, "bigvm:mem_slots", "needs bigvm:maxmem");
  else if (flavor->maxmem_bytes != 0 && flavor->ram_bytes != 0
           && flavor->maxmem_bytes <= flavor->ram_bytes)
    {
      g_autofree char *ram = bigvm_format_size_human (flavor->ram_bytes);
      add_error (parser, "bigvm:maxmem",
                 "must be larger than ram (%s) to leave room for hotplug", ram);
    }
}

static void
check_firmware (Parser *parser)
{
  if (is_set (parser, "bigvm:nvram") && parser->flavor->firmware != BIGVM_FIRMWARE_UEFI)
    add_error (parser, "bigvm:nvram", "only used with hw_firmware_type = uefi");
}

static void
numa_node_free (gpointer data)
{
  BigvmNumaNode *node = data;
  if (node->cpus != NULL)
    g_array_unref (node->cpus);
  g_array_unref (node->host_nodes);
  g_free (node);
}

/* Nova's CPU set syntax (nova/virt/hardware.py parse_cpu_spec): items
 * "N", "A-B", "^N" and "^A-B", separated by commas; the set is what the
 * items include minus what they exclude. */
static gboolean
parse_cpu_set (const char *spec, guint max_cpu, GArray **ret_cpus, GError **error)
{
  g_auto (GStrv) items = g_strsplit (spec, ",", -1);
  g_autofree gboolean *included = g_new0 (gboolean, max_cpu + 1);
  g_autofree gboolean *excluded = g_new0 (gboolean, max_cpu + 1);
  GArray *cpus;

  for (char **item = items; *item != NULL; item++)
    {
      char *text = g_strstrip (*item);
      gboolean exclude = text[0] == '^';
      guint64 first, last;

      if (exclude)
        text = g_strchug (text + 1);
      if (*text == '\0' && !exclude)
        continue;
      char *dash = strchr (text, '-');
      if (dash != NULL)
        *dash = '\0';
      if (!bigvm_parse_uint (g_strstrip (text), 0, max_cpu, &first, NULL)
          || !bigvm_parse_uint (dash != NULL ? g_strstrip (dash + 1) : text, 0, max_cpu,
                                &last, NULL)
          || last < first)
        {
          g_autofree char *shown = bigvm_echo (spec);
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "\"%s\" is not a CPU set of vCPUs 0..%u (such as 0-3,^2,8)",
                       shown, max_cpu);
          return FALSE;
        }
      for (guint64 cpu = first; cpu <= last; cpu++)
        (exclude ? excluded : included)[cpu] = TRUE;
    }

  cpus = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint cpu = 0; cpu <= max_cpu; cpu++)
    if (included[cpu] && !excluded[cpu])
      g_array_append_val (cpus, cpu);
  *ret_cpus = cpus;
  return TRUE;
}

static void
add_numa_node (BigvmFlavor *flavor, GArray *cpus, guint64 mem_bytes)
{
  BigvmNumaNode *node = g_new0 (BigvmNumaNode, 1);
  node->cpus = cpus;
  node->mem_bytes = mem_bytes;
  node->host_nodes = g_array_new (FALSE, FALSE, sizeof (guint));
  g_ptr_array_add (flavor->numa_nodes, node);
}

static char *
indexed_key (const char *stem, guint index)
{
  return g_strdup_printf ("%s.%u", stem, index);
}

/* Every indexed NUMA key names a node hw:numa_nodes has. */
static void
check_numa_indexes (Parser *parser)
{
  guint nodes = parser->numa_node_count;
  GHashTable *tables[] = { parser->numa_cpus, parser->numa_mem, parser->numa_host_nodes };
  const char *stems[] = { "hw:numa_cpus", "hw:numa_mem", "bigvm:numa_host_nodes" };

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      GHashTableIter iter;
      gpointer index;
      g_hash_table_iter_init (&iter, tables[t]);
      while (g_hash_table_iter_next (&iter, &index, NULL))
        {
          g_autofree char *key = indexed_key (stems[t], GPOINTER_TO_UINT (index));
          if (nodes == 0)
            add_error (parser, key, "needs hw:numa_nodes");
          else if (GPOINTER_TO_UINT (index) >= nodes)
            add_error (parser, key, "there is no node %u (hw:numa_nodes = %u)",
                       GPOINTER_TO_UINT (index), nodes);
        }
    }
}

/* Node N of a manual layout: its vCPUs (each in this node only, OWNER
 * says which node has which: node + 1) and memory.  FALSE when its keys
 * are malformed. */
static gboolean
check_numa_node (Parser *parser, guint n, guint *owner, guint64 *mem_total)
{
  BigvmFlavor *flavor = parser->flavor;
  g_autofree char *cpus_key = indexed_key ("hw:numa_cpus", n);
  g_autofree char *mem_key = indexed_key ("hw:numa_mem", n);
  const char *cpus_spec = g_hash_table_lookup (parser->numa_cpus, GUINT_TO_POINTER (n));
  const char *mem_spec = g_hash_table_lookup (parser->numa_mem, GUINT_TO_POINTER (n));
  g_autoptr (GError) local_error = NULL;
  GArray *cpus = NULL;
  guint64 mem_bytes = 0;

  if (cpus_spec == NULL || mem_spec == NULL)
    {
      add_error (parser, "hw:numa_nodes", "node %u needs both %s and %s", n, cpus_key, mem_key);
      return FALSE;
    }
  if (!parse_cpu_set (cpus_spec, BIGVM_MAX_VCPUS - 1, &cpus, &local_error))
    {
      add_error (parser, cpus_key, "%s", local_error->message);
      return FALSE;
    }
  if (!bigvm_parse_size (mem_spec, BIGVM_MiB, BIGVM_MAX_RAM_BYTES, &mem_bytes, &local_error)
      || mem_bytes == 0 || mem_bytes % BIGVM_MiB != 0)
    {
      add_error (parser, mem_key, "%s", local_error != NULL ? local_error->message
                 : "not a positive whole number of MiB");
      g_array_unref (cpus);
      return FALSE;
    }
  *mem_total += mem_bytes;
  if (cpus->len == 0)
    {
      g_autofree char *shown = bigvm_echo (cpus_spec);
      add_error (parser, cpus_key, "\"%s\" leaves node %u without vCPUs", shown, n);
    }
  for (guint i = 0; i < cpus->len; i++)
    {
      guint cpu = g_array_index (cpus, guint, i);
      if (cpu >= flavor->vcpus)
        add_error (parser, cpus_key, "vCPU %u does not exist (vcpus = %u)", cpu, flavor->vcpus);
      else if (owner[cpu] != 0)
        add_error (parser, cpus_key, "vCPU %u is in node %u already", cpu, owner[cpu] - 1);
      else
        owner[cpu] = n + 1;
    }
  add_numa_node (flavor, cpus, mem_bytes);
  return TRUE;
}

/* Nova's rules (nova/virt/hardware.py numa_get_constraints,
 * _get_numa_topology_manual): with only a node count, the planner splits
 * vCPUs and RAM evenly; otherwise every node has both CPUs and memory,
 * every vCPU is in exactly one node and the nodes' memory adds up to
 * ram. */
static void
check_numa (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;
  guint nodes = parser->numa_node_count;
  guint errors_before = parser->errors->len;

  check_numa_indexes (parser);
  if (nodes == 0 || flavor->vcpus == 0 || flavor->ram_bytes == 0
      || parser->errors->len > errors_before)
    return;
  if (nodes > flavor->vcpus)
    {
      add_error (parser, "hw:numa_nodes", "%u nodes for %u vCPUs: each node needs a vCPU",
                 nodes, flavor->vcpus);
      return;
    }
  if (g_hash_table_size (parser->numa_cpus) == 0 && g_hash_table_size (parser->numa_mem) == 0)
    {
      for (guint n = 0; n < nodes; n++)
        add_numa_node (flavor, NULL, 0);
      return;
    }

  g_autofree guint *owner = g_new0 (guint, flavor->vcpus);
  guint64 mem_total = 0;
  for (guint n = 0; n < nodes; n++)
    check_numa_node (parser, n, owner, &mem_total);
  if (parser->errors->len > errors_before)
    return;
  for (guint cpu = 0; cpu < flavor->vcpus; cpu++)
    if (owner[cpu] == 0)
      {
        add_error (parser, "hw:numa_nodes", "vCPU %u is in no node", cpu);
        return;
      }
  if (mem_total != flavor->ram_bytes)
    {
      g_autofree char *mem_key = indexed_key ("hw:numa_mem", 0);
      add_error (parser, mem_key,
                 "the nodes' memory adds up to %" G_GUINT64_FORMAT " MiB, but ram is %"
                 G_GUINT64_FORMAT " MiB", mem_total / BIGVM_MiB, flavor->ram_bytes / BIGVM_MiB);
    }
}

/* bigvm:numa_host_nodes.N: host nodes as a list ("0", "0-1", "0,2"). */
static void
check_host_nodes (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;

  for (guint n = 0; n < flavor->numa_nodes->len; n++)
    {
      const char *spec = g_hash_table_lookup (parser->numa_host_nodes, GUINT_TO_POINTER (n));
      g_autofree char *key = indexed_key ("bigvm:numa_host_nodes", n);
      g_autoptr (GError) local_error = NULL;
      GArray *nodes = NULL;
      BigvmNumaNode *node = flavor->numa_nodes->pdata[n];

      if (spec == NULL)
        continue;
      if (strchr (spec, '^') != NULL
          || !parse_cpu_set (spec, BIGVM_MAX_HOST_NODE, &nodes, &local_error) || nodes->len == 0)
        {
          g_autofree char *shown = bigvm_echo (spec);
          add_error (parser, key, "\"%s\" is not a list of host NUMA nodes 0..%d (such as 0, "
                     "0-1 or 0,2)", shown, BIGVM_MAX_HOST_NODE);
          if (nodes != NULL)
            g_array_unref (nodes);
          continue;
        }
      g_array_unref (node->host_nodes);
      node->host_nodes = nodes;
    }
}

static gint
compare_disks (gconstpointer a, gconstpointer b)
{
  guint x = (*(BigvmDisk *const *) a)->index, y = (*(BigvmDisk *const *) b)->index;
  return x < y ? -1 : x > y;
}

/* A disk's format: bigvm:disk.N.format, else its name's extension.  Never
 * QEMU's probing, which lets a guest turn a raw disk into something else
 * by writing a header. */
static void
check_disks (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;
  GHashTableIter iter;
  gpointer index, value;

  g_hash_table_iter_init (&iter, parser->disk_formats);
  while (g_hash_table_iter_next (&iter, &index, NULL))
    if (!g_hash_table_contains (parser->disks, index))
      {
        g_autofree char *key = g_strdup_printf ("bigvm:disk.%u.format", GPOINTER_TO_UINT (index));
        g_autofree char *disk = indexed_key ("bigvm:disk", GPOINTER_TO_UINT (index));
        add_error (parser, key, "there is no %s", disk);
      }

  g_hash_table_iter_init (&iter, parser->disks);
  while (g_hash_table_iter_next (&iter, &index, &value))
    {
      const char *path = value;
      const char *format = g_hash_table_lookup (parser->disk_formats, index);
      BigvmDisk *disk = g_new0 (BigvmDisk, 1);

      disk->index = GPOINTER_TO_UINT (index);
      disk->path = g_strdup (path);
      if (format != NULL ? !bigvm_disk_format_parse (format, &disk->format)
                         : !format_from_suffix (path, &disk->format))
        {
          g_autofree char *key = indexed_key ("bigvm:disk", disk->index);
          add_error (parser, key, "cannot tell the format of %s: name it .qcow2, .raw or .img, "
                     "or set bigvm:disk.%u.format", path, disk->index);
        }
      g_ptr_array_add (flavor->disks, disk);
    }
  g_ptr_array_sort (flavor->disks, compare_disks);
}

static void
check_guest_devices (Parser *parser)
{
  BigvmFlavor *flavor = parser->flavor;

  if (is_set (parser, "os_secure_boot") && is_set (parser, "os:secure_boot"))
    add_error (parser, "os:secure_boot", "os_secure_boot says it already");
  else if (flavor->secure_boot && flavor->firmware != BIGVM_FIRMWARE_UEFI)
    add_error (parser, flavor->secure_boot_key, "Secure Boot needs hw_firmware_type = uefi");
  if (is_set (parser, "bigvm:mem_path")
      && !(flavor->page_request == BIGVM_PAGES_SIZE && flavor->page_size_bytes > 4 * BIGVM_KiB)
      && flavor->page_request != BIGVM_PAGES_LARGE)
    add_error (parser, "bigvm:mem_path", "needs hw:mem_page_size = 2MB, 1GB or large: it "
               "names where huge pages come from");
}

static void
disk_free (gpointer data)
{
  BigvmDisk *disk = data;
  g_free (disk->path);
  g_free (disk);
}

static void
entry_free (gpointer data)
{
  BigvmFlavorEntry *entry = data;
  g_free (entry->key);
  g_free (entry->value);
  g_free (entry);
}

static BigvmFlavor *
flavor_new (const char *path)
{
  BigvmFlavor *flavor = g_new0 (BigvmFlavor, 1);

  flavor->path = g_strdup (path);
  flavor->lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  flavor->entries = g_ptr_array_new_with_free_func (entry_free);
  flavor->warnings = g_ptr_array_new_with_free_func (g_free);
  flavor->cpu_flags = g_new0 (char *, 1);
  flavor->migrate_postcopy = -1;
  flavor->numa_nodes = g_ptr_array_new_with_free_func (numa_node_free);
  flavor->disks = g_ptr_array_new_with_free_func (disk_free);
  return flavor;
}

void
bigvm_flavor_free (BigvmFlavor *flavor)
{
  if (flavor == NULL)
    return;
  g_free (flavor->path);
  g_hash_table_unref (flavor->lines);
  g_ptr_array_unref (flavor->entries);
  g_ptr_array_unref (flavor->warnings);
  g_free (flavor->name);
  g_free (flavor->machine_type);
  g_free (flavor->cpu_model);
  g_strfreev (flavor->cpu_flags);
  g_free (flavor->nvram);
  g_free (flavor->abi);
  g_free (flavor->migrate_tls_dir);
  g_ptr_array_unref (flavor->numa_nodes);
  g_free (flavor->mem_path);
  g_ptr_array_unref (flavor->disks);
  g_free (flavor->cdrom);
  g_free (flavor->net_name);
  g_free (flavor->qmp);
  g_free (flavor->pidfile);
  g_free (flavor);
}

char *
bigvm_flavor_locate (const BigvmFlavor *flavor, const char *key)
{
  guint line = GPOINTER_TO_UINT (g_hash_table_lookup (flavor->lines, key));
  g_autofree char *shown = bigvm_echo (key);

  if (line == 0)
    return g_strdup_printf ("%s: %s", flavor->path, shown);
  return g_strdup_printf ("%s:%u: %s", flavor->path, line, shown);
}

char *
bigvm_flavor_message (const BigvmFlavor *flavor, const char *key,
                      const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *where = bigvm_flavor_locate (flavor, key);
  return g_strdup_printf ("%s: %s", where, what);
}

void
bigvm_flavor_set_error (const BigvmFlavor *flavor, GError **error, int code,
                        const char *key, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *where = bigvm_flavor_locate (flavor, key);
  g_set_error (error, BIGVM_ERROR, code, "%s: %s", where, what);
}

/* Splits LINE into key and value around the first '=', blanks trimmed. */
static gboolean
split_line (char *line, char **ret_key, char **ret_value)
{
  char *eq = strchr (line, '=');

  if (eq == NULL)
    return FALSE;
  *eq = '\0';
  *ret_key = g_strstrip (line);
  *ret_value = g_strstrip (eq + 1);
  return TRUE;
}

/* A flavor of 20,000 bad lines gets BIGVM_MAX_LISTED_PROBLEMS lines and
 * a count, not 20,000 lines. */
static void
cap_problems (GPtrArray *lines, const char *path, const char *what)
{
  if (lines->len <= BIGVM_MAX_LISTED_PROBLEMS)
    return;
  guint more = lines->len - BIGVM_MAX_LISTED_PROBLEMS;
  g_ptr_array_remove_range (lines, BIGVM_MAX_LISTED_PROBLEMS, more);
  g_ptr_array_add (lines, g_strdup_printf ("%s: %u more %s not listed", path, more, what));
}

BigvmFlavor *
bigvm_flavor_parse (const char *path, const char *base_dir, const char *data,
                    gsize len, GError **error)
{
  g_autoptr (BigvmFlavor) flavor = flavor_new (path);
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) numa_cpus = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr (GHashTable) numa_mem = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr (GHashTable) numa_host_nodes = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr (GHashTable) disks = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr (GHashTable) disk_formats = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  Parser parser = { flavor, base_dir, errors, numa_cpus, numa_mem, numa_host_nodes, disks,
                    disk_formats, 0, NULL };
  guint line_number = 0;
  gsize pos = 0;

  while (pos < len)
    {
      const char *start = data + pos;
      const char *newline = memchr (start, '\n', len - pos);
      gsize line_len = newline != NULL ? (gsize) (newline - start) : len - pos;
      pos += line_len + 1;
      line_number++;

      if (memchr (start, '\0', line_len) != NULL)
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s:%u: contains a NUL byte",
                                                    path, line_number));
          continue;
        }
      if (!g_utf8_validate_len (start, line_len, NULL))
        {
          g_ptr_array_add (errors, g_strdup_printf ("%s:%u: not valid UTF-8",
                                                    path, line_number));
          continue;
        }

      g_autofree char *line = g_strndup (start, line_len);
      char *key, *value;
      g_strstrip (line);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      g_autofree char *text = bigvm_echo (line);
      if (!split_line (line, &key, &value) || key[0] == '\0')
        {
          g_ptr_array_add (errors,
                           g_strdup_printf ("%s:%u: expected KEY = VALUE, found \"%s\"",
                                            path, line_number, text));
          continue;
        }

      guint first = GPOINTER_TO_UINT (g_hash_table_lookup (flavor->lines, key));
      if (first != 0)
        {
          g_autofree char *shown = bigvm_echo (key);
          g_ptr_array_add (errors,
                           g_strdup_printf ("%s:%u: %s: set twice (first on line %u)",
                                            path, line_number, shown, first));
          continue;
        }
      g_hash_table_insert (flavor->lines, g_strdup (key), GUINT_TO_POINTER (line_number));
      BigvmFlavorEntry *entry = g_new0 (BigvmFlavorEntry, 1);
      entry->key = g_strdup (key);
      entry->value = g_strdup (value);
      entry->line = line_number;
      g_ptr_array_add (flavor->entries, entry);

      if (value[0] == '\0')
        {
          add_error (&parser, key, "empty value");
          continue;
        }
      g_autofree char *shown = bigvm_echo (value);
      parser.shown = shown;
      parse_entry (&parser, key, value);
    }

  check_required (&parser);
  check_phys_addr (&parser);
  check_memory_hotplug (&parser);
  check_firmware (&parser);
  check_numa (&parser);
  check_host_nodes (&parser);
  check_disks (&parser);
  check_guest_devices (&parser);

  cap_problems (flavor->warnings, path, "ignored keys");
  if (errors->len > 0)
    {
      cap_problems (errors, path, "problems");
      g_ptr_array_add (errors, NULL);
      g_autofree char *message = g_strjoinv ("\n", (char **) errors->pdata);
      g_set_error_literal (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, message);
      return NULL;
    }
  return g_steal_pointer (&flavor);
}

BigvmFlavor *
bigvm_flavor_load (const char *path, GError **error)
{
  struct stat st;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   "%s: not a regular file", path);
      return NULL;
    }

  g_autofree char *data = NULL;
  gsize len;
  gboolean read_all = bigvm_read_fd (fd, path, BIGVM_FLAVOR_MAX_BYTES + 1, &data, &len, error);
  close (fd);
  if (!read_all)
    return NULL;
  if (len > BIGVM_FLAVOR_MAX_BYTES)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   "%s: larger than %d KiB; not a flavor file", path,
                   BIGVM_FLAVOR_MAX_BYTES / 1024);
      return NULL;
    }

  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base_dir = g_canonicalize_filename (dir, NULL);
  return bigvm_flavor_parse (path, base_dir, data, len, error);
}
