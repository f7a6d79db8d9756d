/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "abi.h"

#include "argv.h"
#include "errors.h"
#include "file-write.h"
#include "json-in.h"
#include "json-out.h"
#include "layout.h"
#include "util.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* A record is a few hundred lines. */
#define MAX_RECORD_BYTES (4 * 1024 * 1024)

/* x86's base page: RAM without huge pages. */
#define SMALL_PAGE_SIZE 4096

static void
block_free (gpointer data)
{
  BigvmAbiBlock *block = data;
  g_free (block->id);
  g_free (block);
}

static void
node_free (gpointer data)
{
  BigvmAbiNode *node = data;
  g_free (node->cpus);
  g_free (node);
}

static BigvmAbi *
abi_alloc (void)
{
  BigvmAbi *abi = g_new0 (BigvmAbi, 1);
  abi->blocks = g_ptr_array_new_with_free_func (block_free);
  abi->nodes = g_ptr_array_new_with_free_func (node_free);
  return abi;
}

void
bigvm_abi_free (BigvmAbi *abi)
{
  if (abi == NULL)
    return;
  g_free (abi->machine);
  bigvm_cpu_state_free (abi->cpu);
  g_ptr_array_unref (abi->blocks);
  g_ptr_array_unref (abi->nodes);
  g_free (abi->firmware);
  g_free (abi->firmware_descriptor);
  g_free (abi->firmware_description);
  g_free (abi->firmware_code);
  g_free (abi->recorded_bigvm);
  g_free (abi->recorded_qemu);
  g_free (abi->recorded_accel);
  g_free (abi->recorded_cpu);
  g_free (abi->recorded_host);
  g_free (abi->recorded_time);
  g_free (abi);
}

static BigvmCpuState *
cpu_copy (const BigvmCpuState *cpu)
{
  g_autoptr (GVariant) variant = bigvm_cpu_state_to_variant (cpu);
  BigvmCpuState *copy = bigvm_cpu_state_from_variant (variant, NULL);

  /* What it lost is the plan's business; the record holds what it has. */
  g_strfreev (copy->lost);
  copy->lost = g_new0 (char *, 1);
  copy->lost_unnamed = 0;
  return copy;
}

BigvmAbi *
bigvm_abi_new (const BigvmPlan *plan, const BigvmCpuState *cpu, const BigvmQemuCaps *caps,
               const BigvmHost *host, GDateTime *time)
{
  BigvmAbi *abi = abi_alloc ();
  BigvmMachine machine = { 0 };

  abi->machine = g_strdup (plan->machine);
  abi->cpu = cpu != NULL ? cpu_copy (cpu) : NULL;
  /* The topology QEMU makes of -smp N alone depends on the machine
   * (plan-cpu.c bigvm_plan_sockets()). */
  bigvm_machine_parse (plan->machine, &machine);
  abi->vcpus = plan->vcpus;
  abi->sockets = bigvm_plan_sockets (plan, &machine);
  abi->cores = plan->sockets != 0 ? plan->cores : plan->vcpus / abi->sockets;
  abi->threads = plan->sockets != 0 ? plan->threads : 1;
  abi->ram = plan->ram_bytes;
  abi->maxmem = plan->maxmem_bytes;
  abi->slots = plan->mem_slots;
  abi->page_size = plan->page_size != 0 ? plan->page_size : SMALL_PAGE_SIZE;
  for (guint i = 0; i < plan->mem_backends->len; i++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[i];
      BigvmAbiBlock *block = g_new0 (BigvmAbiBlock, 1);
      block->id = g_strdup_printf ("ram%u", backend->node);
      block->size = backend->size;
      g_ptr_array_add (abi->blocks, block);
      if (plan->numa)
        {
          BigvmAbiNode *node = g_new0 (BigvmAbiNode, 1);
          node->node = backend->node;
          node->cpus = bigvm_format_list (backend->cpus);
          node->memory = backend->size;
          g_ptr_array_add (abi->nodes, node);
        }
    }
  abi->firmware = g_strdup (plan->firmware != NULL ? "uefi" : "bios");
  if (plan->firmware != NULL)
    {
      abi->firmware_descriptor = g_strdup (plan->firmware->path);
      abi->firmware_description = g_strdup (plan->firmware->description);
      abi->firmware_code = g_strdup (plan->firmware->code);
    }

  abi->recorded_bigvm = g_strdup (PACKAGE_VERSION);
  abi->recorded_qemu = g_strdup_printf ("%u.%u.%u", caps->version.major, caps->version.minor,
                                        caps->version.micro);
  abi->recorded_accel = g_strdup (bigvm_accel_name (plan->accel));
  abi->recorded_cpu = bigvm_argv_cpu (plan);
  abi->recorded_host = g_strdup_printf ("%s (%s)", host->model_name, host->vendor_id);
  abi->recorded_time = g_date_time_format_iso8601 (time);
  return abi;
}

char *
bigvm_abi_path (const BigvmFlavor *flavor, const char *state_dir, GError **error)
{
  if (flavor->abi != NULL)
    return g_strdup (flavor->abi);
  if (strchr (flavor->name, '/') != NULL)
    {
      bigvm_flavor_set_error (flavor, error, BIGVM_ERROR_FLAVOR, "name",
                              "contains '/', so it cannot name the guest's ABI record; "
                              "set bigvm:abi");
      return NULL;
    }
  g_autofree char *file = g_strconcat (flavor->name, ".abi", NULL);
  return g_build_filename (state_dir, file, NULL);
}

/* ---- the compared part, flat ----------------------------------------- */

typedef enum {
  ITEM_TEXT,                   /* compared as it is */
  ITEM_SIZE,                   /* bytes: shown as a size */
  ITEM_FEATURE,                /* present or not */
  ITEM_WORD,                   /* CPUID bits: losing one changes the guest, gaining one not */
} ItemKind;

typedef struct {
  char *what;                  /* "phys-bits", "CPU feature avx512f" */
  char *value;                 /* "" for a feature */
  ItemKind kind;
  gboolean of_cpu;             /* from the CPU part, compared only when both have one */
} Item;

static void
item_free (gpointer data)
{
  Item *item = data;
  g_free (item->what);
  g_free (item->value);
  g_free (item);
}

static void
add_item (GPtrArray *items, ItemKind kind, const char *what, char *value)
{
  Item *item = g_new0 (Item, 1);
  item->what = g_strdup (what);
  item->value = value;
  item->kind = kind;
  g_ptr_array_add (items, item);
}

static void
add_text (GPtrArray *items, const char *what, const char *value)
{
  add_item (items, ITEM_TEXT, what, g_strdup (value ?: "none"));
}

static void
add_number (GPtrArray *items, const char *what, guint64 value)
{
  add_item (items, ITEM_TEXT, what, g_strdup_printf ("%" G_GUINT64_FORMAT, value));
}

static void
add_size (GPtrArray *items, const char *what, guint64 value)
{
  add_item (items, ITEM_SIZE, what, g_strdup_printf ("%" G_GUINT64_FORMAT, value));
}

/* The compared part as (what, value) items, in a fixed order: the
 * difference lines and the digest come from them. */
static GPtrArray *
flatten (const BigvmAbi *abi)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (item_free);
  const BigvmCpuState *cpu = abi->cpu;

  add_text (items, "machine type", abi->machine);
  guint cpu_start = items->len;
  if (cpu != NULL)
    {
      add_text (items, "vendor", cpu->vendor);
      add_number (items, "family", cpu->family);
      add_number (items, "model", cpu->model);
      add_number (items, "stepping", cpu->stepping);
      add_text (items, "model-id", cpu->model_id);
      add_item (items, ITEM_TEXT, "level", g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", cpu->level));
      add_item (items, ITEM_TEXT, "xlevel", g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", cpu->xlevel));
      add_number (items, "phys-bits", cpu->phys_bits);
      for (char **word = cpu->feature_words; *word != NULL; word++)
        {
          const char *equals = strstr (*word, " = ");
          if (equals == NULL)
            continue;
          g_autofree char *leaf = g_strndup (*word, equals - *word);
          g_autofree char *what = g_strconcat ("CPUID ", leaf, NULL);
          add_item (items, ITEM_WORD, what, g_strdup (equals + 3));
        }
      for (char **feature = cpu->features; *feature != NULL; feature++)
        {
          g_autofree char *what = g_strconcat ("CPU feature ", *feature, NULL);
          add_item (items, ITEM_FEATURE, what, g_strdup (""));
        }
      for (char **knob = cpu->knobs; *knob != NULL; knob++)
        {
          const char *equals = strchr (*knob, '=');
          if (equals == NULL)
            continue;
          g_autofree char *name = g_strndup (*knob, equals - *knob);
          g_autofree char *what = g_strconcat ("CPU property ", name, NULL);
          add_text (items, what, equals + 1);
        }
    }
  for (guint i = cpu_start; i < items->len; i++)
    ((Item *) items->pdata[i])->of_cpu = TRUE;
  add_number (items, "vCPUs", abi->vcpus);
  add_number (items, "sockets", abi->sockets);
  add_number (items, "cores per socket", abi->cores);
  add_number (items, "threads per core", abi->threads);
  add_size (items, "RAM", abi->ram);
  add_size (items, "maxmem", abi->maxmem);
  add_number (items, "memory slots", abi->slots);
  add_size (items, "page size", abi->page_size);
  /* The blocks by id (a migration needs the same ones); their sizes are
   * the RAM's, or the NUMA nodes'. */
  GString *ids = g_string_new (NULL);
  for (guint i = 0; i < abi->blocks->len; i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? " " : "", ((BigvmAbiBlock *) abi->blocks->pdata[i])->id);
  add_item (items, ITEM_TEXT, "RAM blocks", g_string_free (ids, FALSE));
  add_number (items, "NUMA nodes", abi->nodes->len);
  for (guint i = 0; i < abi->nodes->len; i++)
    {
      const BigvmAbiNode *node = abi->nodes->pdata[i];
      g_autofree char *cpus = g_strdup_printf ("NUMA node %u CPUs", node->node);
      g_autofree char *memory = g_strdup_printf ("NUMA node %u memory", node->node);
      add_text (items, cpus, node->cpus);
      add_size (items, memory, node->memory);
    }
  add_text (items, "firmware", abi->firmware);
  if (abi->firmware_descriptor != NULL)
    {
      add_text (items, "firmware descriptor", abi->firmware_descriptor);
      add_text (items, "firmware description", abi->firmware_description);
      add_text (items, "firmware code", abi->firmware_code);
    }
  return items;
}

char *
bigvm_abi_digest (const BigvmAbi *abi)
{
  g_autoptr (GPtrArray) items = flatten (abi);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = items->pdata[i];
      g_checksum_update (sum, (const guchar *) item->what, strlen (item->what) + 1);
      g_checksum_update (sum, (const guchar *) item->value, strlen (item->value) + 1);
    }
  return g_strconcat ("sha256:", g_checksum_get_string (sum), NULL);
}

static char *
shown_value (const Item *item)
{
  guint64 bytes;

  if (item->kind == ITEM_SIZE && g_ascii_string_to_unsigned (item->value, 10, 0, G_MAXUINT64,
                                                             &bytes, NULL))
    return bytes == 0 ? g_strdup ("none") : bigvm_format_size_exact (bytes);
  return g_strdup (item->value);
}

char *
bigvm_abi_to_text (const BigvmAbi *abi)
{
  g_autoptr (GPtrArray) items = flatten (abi);
  g_autofree char *digest = bigvm_abi_digest (abi);
  GString *out = g_string_new (NULL);
  GString *features = g_string_new (NULL);

  g_string_append_printf (out, "ABI: %s\n", digest);
  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = items->pdata[i];
      if (item->kind == ITEM_FEATURE)
        {
          g_string_append_printf (features, " %s", item->what + strlen ("CPU feature "));
          if (i + 1 < items->len && ((Item *) items->pdata[i + 1])->kind == ITEM_FEATURE)
            continue;
          g_string_append_printf (out, "CPU features:%s\n", features->str);
          continue;
        }
      g_autofree char *value = shown_value (item);
      g_string_append_printf (out, "%s: %s\n", item->what, value);
    }
  if (abi->cpu == NULL)
    g_string_append (out, "CPU: not known before the guest starts on its host\n");
  g_string_append_printf (out, "recorded by: bigvm %s, QEMU %s, %s, -cpu %s, on %s, %s\n",
                          abi->recorded_bigvm, abi->recorded_qemu, abi->recorded_accel,
                          abi->recorded_cpu, abi->recorded_host, abi->recorded_time);
  g_string_free (features, TRUE);
  return g_string_free (out, FALSE);
}

/* ---- comparing -------------------------------------------------------- */

static GHashTable *
index_items (GPtrArray *items)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < items->len; i++)
    g_hash_table_insert (index, ((Item *) items->pdata[i])->what, items->pdata[i]);
  return index;
}

static guint32
word_value (const Item *item)
{
  return item != NULL ? (guint32) g_ascii_strtoull (item->value, NULL, 16) : 0;
}

void
bigvm_abi_compare (const BigvmAbi *recorded, const BigvmAbi *now, GPtrArray *changed,
                   GPtrArray *gained)
{
  g_autoptr (GPtrArray) old_items = flatten (recorded);
  g_autoptr (GPtrArray) new_items = flatten (now);
  g_autoptr (GHashTable) old_index = index_items (old_items);
  g_autoptr (GHashTable) new_index = index_items (new_items);
  gboolean compare_cpu = recorded->cpu != NULL && now->cpu != NULL;

  /* A record made where the CPU was not known holds no CPU to keep: the
   * guest's now is a difference all the same (abi --update fills it in). */
  if (recorded->cpu == NULL && now->cpu != NULL)
    g_ptr_array_add (changed, g_strdup ("CPU: not recorded, known now"));

  for (guint i = 0; i < old_items->len; i++)
    {
      const Item *was = old_items->pdata[i];
      const Item *is = g_hash_table_lookup (new_index, was->what);
      if (was->of_cpu && !compare_cpu)
        continue;  /* the CPU part, when one side has none */
      if (was->kind == ITEM_FEATURE && is == NULL)
        g_ptr_array_add (changed, g_strdup_printf ("%s: recorded, missing now", was->what));
      else if (was->kind == ITEM_WORD)
        {
          guint32 old_bits = word_value (was), new_bits = word_value (is);
          if ((old_bits & ~new_bits) != 0)
            g_ptr_array_add (changed, g_strdup_printf ("%s: recorded %s, now 0x%08x (bits "
                                                       "0x%08x gone)", was->what, was->value,
                                                       new_bits, old_bits & ~new_bits));
          else if (new_bits != old_bits)
            g_ptr_array_add (gained, g_strdup_printf ("%s: recorded %s, now 0x%08x (bits "
                                                      "0x%08x new)", was->what, was->value,
                                                      new_bits, new_bits & ~old_bits));
        }
      else if (was->kind != ITEM_FEATURE && (is == NULL || !g_str_equal (was->value, is->value)))
        {
          g_autofree char *old_value = shown_value (was);
          g_autofree char *new_value = is != NULL ? shown_value (is) : g_strdup ("none");
          g_ptr_array_add (changed, g_strdup_printf ("%s: recorded %s, now %s", was->what,
                                                     old_value, new_value));
        }
    }
  for (guint i = 0; i < new_items->len; i++)
    {
      const Item *is = new_items->pdata[i];
      if (g_hash_table_contains (old_index, is->what) || (is->of_cpu && !compare_cpu))
        continue;
      g_autofree char *new_value = shown_value (is);
      if (is->kind == ITEM_FEATURE)
        g_ptr_array_add (gained, g_strdup_printf ("%s: not recorded, new now", is->what));
      else if (is->kind == ITEM_WORD)
        {
          if (word_value (is) != 0)
            g_ptr_array_add (gained, g_strdup_printf ("%s: not recorded, now %s", is->what,
                                                      is->value));
        }
      else
        g_ptr_array_add (changed, g_strdup_printf ("%s: not recorded, now %s", is->what,
                                                   new_value));
    }
}

/* ---- the record as JSON ------------------------------------------------ */

static void
add_strv (JsonBuilder *b, const char *member, char **strings)
{
  bigvm_json_add_strings (b, member, (const char *const *) strings,
                          g_strv_length (strings));
}

char *
bigvm_abi_to_json (const BigvmAbi *abi)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *digest = bigvm_abi_digest (abi);
  const BigvmCpuState *cpu = abi->cpu;

  json_builder_begin_object (b);
  bigvm_json_add_string (b, "format", BIGVM_ABI_FORMAT);
  bigvm_json_add_string (b, "digest", digest);
  json_builder_set_member_name (b, "guest");
  json_builder_begin_object (b);
  bigvm_json_add_string (b, "machine", abi->machine);
  json_builder_set_member_name (b, "cpu");
  if (cpu == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      bigvm_json_add_string (b, "vendor", cpu->vendor);
      bigvm_json_add_int (b, "family", cpu->family);
      bigvm_json_add_int (b, "model", cpu->model);
      bigvm_json_add_int (b, "stepping", cpu->stepping);
      bigvm_json_add_string (b, "model-id", cpu->model_id);
      bigvm_json_add_int (b, "level", cpu->level);
      bigvm_json_add_int (b, "xlevel", cpu->xlevel);
      bigvm_json_add_int (b, "phys-bits", cpu->phys_bits);
      add_strv (b, "feature-words", cpu->feature_words);
      add_strv (b, "features", cpu->features);
      add_strv (b, "knobs", cpu->knobs);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "topology");
  json_builder_begin_object (b);
  bigvm_json_add_int (b, "vcpus", abi->vcpus);
  bigvm_json_add_int (b, "sockets", abi->sockets);
  bigvm_json_add_int (b, "cores", abi->cores);
  bigvm_json_add_int (b, "threads", abi->threads);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "memory");
  json_builder_begin_object (b);
  bigvm_json_add_int (b, "ram", abi->ram);
  bigvm_json_add_int (b, "maxmem", abi->maxmem);
  bigvm_json_add_int (b, "slots", abi->slots);
  bigvm_json_add_int (b, "page-size", abi->page_size);
  json_builder_set_member_name (b, "blocks");
  json_builder_begin_array (b);
  for (guint i = 0; i < abi->blocks->len; i++)
    {
      const BigvmAbiBlock *block = abi->blocks->pdata[i];
      json_builder_begin_object (b);
      bigvm_json_add_string (b, "id", block->id);
      bigvm_json_add_int (b, "size", block->size);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "numa");
  json_builder_begin_array (b);
  for (guint i = 0; i < abi->nodes->len; i++)
    {
      const BigvmAbiNode *node = abi->nodes->pdata[i];
      json_builder_begin_object (b);
      bigvm_json_add_int (b, "node", node->node);
      bigvm_json_add_string (b, "cpus", node->cpus);
      bigvm_json_add_int (b, "memory", node->memory);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "firmware");
  json_builder_begin_object (b);
  bigvm_json_add_string (b, "type", abi->firmware);
  if (abi->firmware_descriptor != NULL)
    {
      bigvm_json_add_string (b, "descriptor", abi->firmware_descriptor);
      bigvm_json_add_string (b, "description", abi->firmware_description);
      bigvm_json_add_string (b, "code", abi->firmware_code);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "recorded");
  json_builder_begin_object (b);
  bigvm_json_add_string (b, "bigvm", abi->recorded_bigvm);
  bigvm_json_add_string (b, "qemu", abi->recorded_qemu);
  bigvm_json_add_string (b, "accel", abi->recorded_accel);
  bigvm_json_add_string (b, "cpu", abi->recorded_cpu);
  bigvm_json_add_string (b, "host", abi->recorded_host);
  bigvm_json_add_string (b, "time", abi->recorded_time);
  json_builder_end_object (b);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  g_autofree char *text = json_generator_to_data (generator, NULL);
  return g_strconcat (text, "\n", NULL);
}

/* Reading: each member checked for its type, a wrong one named. */
typedef struct {
  const char *path;
  GError **error;
  gboolean failed;
} Reader;

static JsonNode *
member (Reader *r, JsonObject *object, const char *where, const char *name, JsonNodeType type)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (r->failed)
    return NULL;
  if (node == NULL || JSON_NODE_TYPE (node) != type)
    {
      g_set_error (r->error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s: not a " BIGVM_ABI_FORMAT " record: %s%s%s is %s", r->path, where,
                   *where != '\0' ? "." : "", name, node == NULL ? "missing" : "of another type");
      r->failed = TRUE;
      return NULL;
    }
  return node;
}

static JsonObject *
get_object (Reader *r, JsonObject *object, const char *where, const char *name)
{
  JsonNode *node = member (r, object, where, name, JSON_NODE_OBJECT);
  return node != NULL ? json_node_get_object (node) : NULL;
}

static char *
get_string (Reader *r, JsonObject *object, const char *where, const char *name)
{
  JsonNode *node = member (r, object, where, name, JSON_NODE_VALUE);
  if (bigvm_json_holds (node, G_TYPE_STRING))
    return g_strdup (json_node_get_string (node));
  if (node != NULL)
    {
      g_set_error (r->error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s: not a " BIGVM_ABI_FORMAT " record: %s.%s is not a string", r->path,
                   where, name);
      r->failed = TRUE;
    }
  return NULL;
}

static guint64
get_uint (Reader *r, JsonObject *object, const char *where, const char *name)
{
  JsonNode *node = member (r, object, where, name, JSON_NODE_VALUE);
  if (bigvm_json_holds (node, G_TYPE_INT64)
      && json_node_get_int (node) >= 0)
    return json_node_get_int (node);
  if (node != NULL)
    {
      g_set_error (r->error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s: not a " BIGVM_ABI_FORMAT " record: %s.%s is not a number from 0",
                   r->path, where, name);
      r->failed = TRUE;
    }
  return 0;
}

static GStrv
get_strings (Reader *r, JsonObject *object, const char *where, const char *name)
{
  JsonNode *node = member (r, object, where, name, JSON_NODE_ARRAY);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();
  JsonArray *array = node != NULL ? json_node_get_array (node) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (!bigvm_json_holds (item, G_TYPE_STRING))
        {
          g_set_error (r->error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                       "%s: not a " BIGVM_ABI_FORMAT " record: %s.%s[%u] is not a string",
                       r->path, where, name, i);
          r->failed = TRUE;
          break;
        }
      g_strv_builder_add (out, json_node_get_string (item));
    }
  return g_strv_builder_end (out);
}

static BigvmCpuState *
read_cpu (Reader *r, JsonObject *guest)
{
  JsonNode *node = json_object_get_member (guest, "cpu");
  BigvmCpuState *cpu;
  JsonObject *o;

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if ((o = get_object (r, guest, "guest", "cpu")) == NULL)
    return NULL;
  cpu = g_new0 (BigvmCpuState, 1);
  cpu->vendor = get_string (r, o, "guest.cpu", "vendor");
  cpu->family = get_uint (r, o, "guest.cpu", "family");
  cpu->model = get_uint (r, o, "guest.cpu", "model");
  cpu->stepping = get_uint (r, o, "guest.cpu", "stepping");
  cpu->model_id = get_string (r, o, "guest.cpu", "model-id");
  cpu->level = get_uint (r, o, "guest.cpu", "level");
  cpu->xlevel = get_uint (r, o, "guest.cpu", "xlevel");
  cpu->phys_bits = get_uint (r, o, "guest.cpu", "phys-bits");
  cpu->feature_words = get_strings (r, o, "guest.cpu", "feature-words");
  cpu->features = get_strings (r, o, "guest.cpu", "features");
  cpu->knobs = get_strings (r, o, "guest.cpu", "knobs");
  cpu->lost = g_new0 (char *, 1);
  return cpu;
}

static void
read_memory (Reader *r, BigvmAbi *abi, JsonObject *memory)
{
  abi->ram = get_uint (r, memory, "guest.memory", "ram");
  abi->maxmem = get_uint (r, memory, "guest.memory", "maxmem");
  abi->slots = get_uint (r, memory, "guest.memory", "slots");
  abi->page_size = get_uint (r, memory, "guest.memory", "page-size");
  JsonNode *blocks = member (r, memory, "guest.memory", "blocks", JSON_NODE_ARRAY);
  for (guint i = 0; blocks != NULL && i < json_array_get_length (json_node_get_array (blocks)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (blocks), i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      BigvmAbiBlock *block = g_new0 (BigvmAbiBlock, 1);
      block->id = get_string (r, o, "guest.memory.blocks[]", "id");
      block->size = get_uint (r, o, "guest.memory.blocks[]", "size");
      g_ptr_array_add (abi->blocks, block);
    }
  JsonNode *nodes = member (r, memory, "guest.memory", "numa", JSON_NODE_ARRAY);
  for (guint i = 0; nodes != NULL && i < json_array_get_length (json_node_get_array (nodes)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (nodes), i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      BigvmAbiNode *node = g_new0 (BigvmAbiNode, 1);
      node->node = get_uint (r, o, "guest.memory.numa[]", "node");
      node->cpus = get_string (r, o, "guest.memory.numa[]", "cpus");
      node->memory = get_uint (r, o, "guest.memory.numa[]", "memory");
      g_ptr_array_add (abi->nodes, node);
    }
}

BigvmAbi *
bigvm_abi_parse (const char *path, const char *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (BigvmAbi) abi = abi_alloc ();
  Reader r = { path, error, FALSE };

  if (!json_parser_load_from_data (parser, data, len, &parse_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "%s: not a " BIGVM_ABI_FORMAT
                   " record: %s", path, parse_error->message);
      return NULL;
    }
  JsonNode *root_node = json_parser_get_root (parser);
  JsonObject *root = root_node != NULL && JSON_NODE_HOLDS_OBJECT (root_node)
                     ? json_node_get_object (root_node) : NULL;
  g_autofree char *format = get_string (&r, root, "", "format");
  if (format != NULL && !g_str_equal (format, BIGVM_ABI_FORMAT))
    {
      g_autofree char *shown = bigvm_echo (format);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR, "%s: format \"%s\" is not "
                   BIGVM_ABI_FORMAT ", the one this bigvm reads", path, shown);
      return NULL;
    }
  JsonObject *guest = get_object (&r, root, "", "guest");
  abi->machine = get_string (&r, guest, "guest", "machine");
  abi->cpu = guest != NULL && !r.failed ? read_cpu (&r, guest) : NULL;
  JsonObject *topology = get_object (&r, guest, "guest", "topology");
  abi->vcpus = get_uint (&r, topology, "guest.topology", "vcpus");
  abi->sockets = get_uint (&r, topology, "guest.topology", "sockets");
  abi->cores = get_uint (&r, topology, "guest.topology", "cores");
  abi->threads = get_uint (&r, topology, "guest.topology", "threads");
  JsonObject *memory = get_object (&r, guest, "guest", "memory");
  if (memory != NULL)
    read_memory (&r, abi, memory);
  JsonObject *firmware = get_object (&r, guest, "guest", "firmware");
  abi->firmware = get_string (&r, firmware, "guest.firmware", "type");
  if (firmware != NULL && json_object_has_member (firmware, "descriptor"))
    {
      abi->firmware_descriptor = get_string (&r, firmware, "guest.firmware", "descriptor");
      abi->firmware_description = get_string (&r, firmware, "guest.firmware", "description");
      abi->firmware_code = get_string (&r, firmware, "guest.firmware", "code");
    }
  JsonObject *recorded = get_object (&r, root, "", "recorded");
  abi->recorded_bigvm = get_string (&r, recorded, "recorded", "bigvm");
  abi->recorded_qemu = get_string (&r, recorded, "recorded", "qemu");
  abi->recorded_accel = get_string (&r, recorded, "recorded", "accel");
  abi->recorded_cpu = get_string (&r, recorded, "recorded", "cpu");
  abi->recorded_host = get_string (&r, recorded, "recorded", "host");
  abi->recorded_time = get_string (&r, recorded, "recorded", "time");
  return r.failed ? NULL : g_steal_pointer (&abi);
}

BigvmAbi *
bigvm_abi_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) read_error = NULL;

  if (!bigvm_read_input (path, MAX_RECORD_BYTES, &data, &len, &read_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "cannot read the guest's ABI "
                   "record: %s", read_error->message);
      return NULL;
    }
  return bigvm_abi_parse (path, data, len, error);
}

gboolean
bigvm_abi_write_new (const char *path, const BigvmAbi *abi, gboolean *ret_written,
                     GError **error)
{
  g_autofree char *json = bigvm_abi_to_json (abi);
  return bigvm_file_create_new (path, "the guest's ABI record", json, strlen (json),
                                ret_written, error);
}

gboolean
bigvm_abi_replace (const char *path, const BigvmAbi *abi, GError **error)
{
  g_autofree char *json = bigvm_abi_to_json (abi);
  return bigvm_file_replace (path, "the guest's ABI record", json, strlen (json), error);
}

/* ---- against another host's CPUID ------------------------------------ */

/* The feature words a libcpuid dump holds (leaf 7 at subleaf 0; of leaf
 * 0xD it keeps one subleaf, not always 0, so XCR0 is not compared), and
 * the bits KVM gives a guest whether the host has them or not:
 * x2APIC, TSC deadline, the hypervisor bit, the APIC, ARAT, TSC_ADJUST
 * and ARCH_CAPABILITIES are emulated (Linux arch/x86/kvm/cpuid.c
 * kvm_set_cpu_caps(); QEMU target/i386/kvm/kvm.c
 * kvm_arch_get_supported_cpuid()), OSXSAVE follows the guest's CR4, and
 * QEMU copies AMD's 0x80000001.EDX aliases from leaf 1
 * (CPUID_EXT2_AMD_ALIASES). */
static const struct {
  const char *word;
  guint32 leaf;
  int reg;
  guint32 emulated;
} host_words[] = {
  { "0x1.-.ECX", 1, ECX, (1u << 21) | (1u << 24) | (1u << 27) | (1u << 31) },
  { "0x1.-.EDX", 1, EDX, 1u << 9 },
  { "0x6.-.EAX", 6, EAX, 1u << 2 },
  { "0x7.0x0.EBX", 7, EBX, 1u << 1 },
  { "0x7.0x0.ECX", 7, ECX, 0 },
  { "0x7.0x0.EDX", 7, EDX, 1u << 29 },
  { "0x80000001.-.ECX", 0x80000001u, ECX, 0 },
  { "0x80000001.-.EDX", 0x80000001u, EDX, 0x0183f3ffu },
  { "0x80000007.-.EDX", 0x80000007u, EDX, 0 },
  { "0x80000008.-.EBX", 0x80000008u, EBX, 0 },
};

static guint32
host_register (const struct cpu_raw_data_t *raw, guint32 leaf, int reg)
{
  if (leaf >= 0x80000000u)
    return leaf - 0x80000000u < MAX_EXT_CPUID_LEVEL && raw->ext_cpuid[0][EAX] >= leaf
           ? raw->ext_cpuid[leaf - 0x80000000u][reg] : 0;
  return leaf < MAX_CPUID_LEVEL && raw->basic_cpuid[0][EAX] >= leaf
         ? raw->basic_cpuid[leaf][reg] : 0;
}

/* Family, model and stepping as CPUID leaf 1 encodes them (the Intel
 * SDM's "display family" rule). */
static void
host_signature (const struct cpu_raw_data_t *raw, gint64 *family, gint64 *model, gint64 *stepping)
{
  guint32 eax = host_register (raw, 1, EAX);
  guint32 base_family = (eax >> 8) & 0xf;

  *family = base_family + (base_family == 0xf ? (eax >> 20) & 0xff : 0);
  *model = ((eax >> 4) & 0xf)
           | (base_family == 0x6 || base_family == 0xf ? ((eax >> 16) & 0xf) << 4 : 0);
  *stepping = eax & 0xf;
}

void
bigvm_abi_check_host (const BigvmAbi *abi, const BigvmHost *host, GPtrArray *proven)
{
  const BigvmCpuState *cpu = abi->cpu;
  guint bits = cpu != NULL ? cpu->phys_bits : 0;

  if (bits > host->effective_phys_bits)
    g_ptr_array_add (proven, g_strdup_printf ("phys-bits: recorded %u, the host has %u", bits,
                                              host->effective_phys_bits));
  if (cpu == NULL)
    return;
  if (!g_str_equal (cpu->vendor, host->vendor_id))
    g_ptr_array_add (proven, g_strdup_printf ("vendor: recorded %s, the host is %s", cpu->vendor,
                                              host->vendor_id));
  g_autofree char *model = g_strndup (abi->recorded_cpu, strcspn (abi->recorded_cpu, ","));
  if (g_str_equal (model, "host") || g_str_equal (model, "max"))
    {
      gint64 family, number, stepping;
      host_signature (host->raw, &family, &number, &stepping);
      if (family != cpu->family || number != cpu->model || stepping != cpu->stepping)
        g_ptr_array_add (proven, g_strdup_printf ("family/model/stepping: recorded %" G_GINT64_FORMAT
                                                  "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                                                  " (-cpu %s takes the host's), the host is %"
                                                  G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%"
                                                  G_GINT64_FORMAT, cpu->family, cpu->model,
                                                  cpu->stepping, model, family, number,
                                                  stepping));
    }
  for (char **word = cpu->feature_words; *word != NULL; word++)
    for (gsize i = 0; i < G_N_ELEMENTS (host_words); i++)
      {
        gsize n = strlen (host_words[i].word);
        if (strncmp (*word, host_words[i].word, n) != 0 || !g_str_has_prefix (*word + n, " = "))
          continue;
        guint32 guest = (guint32) g_ascii_strtoull (*word + n + 3, NULL, 16);
        guint32 has = host_register (host->raw, host_words[i].leaf, host_words[i].reg);
        guint32 lacks = guest & ~has & ~host_words[i].emulated;
        if (lacks != 0)
          g_ptr_array_add (proven, g_strdup_printf ("CPUID %s: the guest has bits 0x%08x the "
                                                    "host lacks", host_words[i].word, lacks));
      }
}
