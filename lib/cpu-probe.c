/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cpu-probe.h"

#include "errors.h"
#include "json-in.h"
#include "util.h"

#include <string.h>

/* Switches that shape what CPUID shows without being feature bits (cache
 * and topology leaves, the TCG signature, ...), from the CPU's
 * properties in target/i386/cpu.c. */
static const char *const KNOBS[] = {
  "cpuid-0xb", "fill-mtrr-mask", "full-cpuid-auto-level", "host-cache-info", "l3-cache",
  "legacy-cache", "lmce", "pmu", "tcg-cpuid", "vmware-cpuid-freq", "x-intel-pt-auto-level",
  "x-vendor-cpuid-only", NULL
};

/* The keys of a static expansion that are no feature
 * (target/i386/cpu-sysemu.c x86_cpu_static_props). */
static const char *const NOT_FEATURES[] = {
  "family", "lmce", "min-level", "min-xlevel", "model", "model-id", "stepping", "vendor", NULL
};

void
bigvm_cpu_state_free (BigvmCpuState *state)
{
  if (state == NULL)
    return;
  g_free (state->vendor);
  g_free (state->model_id);
  g_strfreev (state->feature_words);
  g_strfreev (state->features);
  g_strfreev (state->knobs);
  g_strfreev (state->lost);
  g_free (state);
}

static gboolean
bad_shape (GError **error, const char *what)
{
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
               "QEMU's vCPU %s is not of the shape bigvm knows", what);
  return FALSE;
}

static JsonNode *
qom_get (BigvmQmp *qmp, const char *path, const char *property, GError **error)
{
  g_autoptr (JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "path", path);
  json_object_set_string_member (arguments, "property", property);
  return bigvm_qmp_execute (qmp, "qom-get", arguments, error);
}

static gboolean
get_string (BigvmQmp *qmp, const char *path, const char *property, char **ret, GError **error)
{
  g_autoptr (JsonNode) node = qom_get (qmp, path, property, error);
  if (node == NULL)
    return FALSE;
  if (!bigvm_json_holds (node, G_TYPE_STRING))
    return bad_shape (error, property);
  *ret = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
get_int (BigvmQmp *qmp, const char *path, const char *property, gint64 *ret, GError **error)
{
  g_autoptr (JsonNode) node = qom_get (qmp, path, property, error);
  if (node == NULL)
    return FALSE;
  if (!bigvm_json_holds (node, G_TYPE_INT64))
    return bad_shape (error, property);
  *ret = json_node_get_int (node);
  return TRUE;
}

typedef struct {
  gint64 leaf, subleaf;        /* subleaf -1: the leaf takes none */
  char reg[4];
  guint32 value;
} Word;

static int
compare_words (gconstpointer a, gconstpointer b)
{
  const Word *x = a, *y = b;
  if (x->leaf != y->leaf)
    return x->leaf < y->leaf ? -1 : 1;
  if (x->subleaf != y->subleaf)
    return x->subleaf < y->subleaf ? -1 : 1;
  return strcmp (x->reg, y->reg);
}

/* feature-words (qapi/machine.json X86CPUFeatureWordInfo, in no set
 * order: target/i386/cpu.c x86_cpu_get_feature_words()) as sorted
 * "leaf.subleaf.REG = value" lines. */
static GStrv
words_text (JsonNode *node, GError **error)
{
  g_autoptr (GArray) words = g_array_new (FALSE, FALSE, sizeof (Word));
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      JsonNode *eax = o != NULL ? json_object_get_member (o, "cpuid-input-eax") : NULL;
      JsonNode *ecx = o != NULL ? json_object_get_member (o, "cpuid-input-ecx") : NULL;
      JsonNode *reg = o != NULL ? json_object_get_member (o, "cpuid-register") : NULL;
      JsonNode *features = o != NULL ? json_object_get_member (o, "features") : NULL;
      Word w = { 0 };

      if (!bigvm_json_holds (eax, G_TYPE_INT64)
          || (ecx != NULL && !bigvm_json_holds (ecx, G_TYPE_INT64))
          || !bigvm_json_holds (reg, G_TYPE_STRING) || strlen (json_node_get_string (reg)) != 3
          || !bigvm_json_holds (features, G_TYPE_INT64))
        {
          bad_shape (error, "feature-words");
          return NULL;
        }
      w.leaf = json_node_get_int (eax);
      w.subleaf = ecx != NULL ? json_node_get_int (ecx) : -1;
      memcpy (w.reg, json_node_get_string (reg), 4);
      w.value = (guint32) json_node_get_int (features);
      g_array_append_val (words, w);
    }
  if (array == NULL)
    {
      bad_shape (error, "feature-words");
      return NULL;
    }
  g_array_sort (words, compare_words);
  GStrvBuilder *lines = g_strv_builder_new ();
  for (guint i = 0; i < words->len; i++)
    {
      const Word *w = &g_array_index (words, Word, i);
      g_autofree char *subleaf = w->subleaf < 0 ? g_strdup ("-")
                                                : g_strdup_printf ("0x%" G_GINT64_MODIFIER "x",
                                                                   w->subleaf);
      g_autofree char *line = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x.%s.%s = 0x%08x",
                                               w->leaf, subleaf, w->reg, w->value);
      g_strv_builder_add (lines, line);
    }
  GStrv out = g_strv_builder_end (lines);
  g_strv_builder_unref (lines);
  return out;
}

/* unavailable-features, each name once in QEMU's order; "" (a bit QEMU
 * has no name for) only counted. */
static gboolean
read_lost (JsonNode *node, BigvmCpuState *state, GError **error)
{
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (array == NULL)
    return bad_shape (error, "unavailable-features");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (!bigvm_json_holds (item, G_TYPE_STRING))
        return bad_shape (error, "unavailable-features");
      const char *name = json_node_get_string (item);
      if (*name == '\0')
        state->lost_unnamed++;
      else if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_add (names, NULL);
  state->lost = (GStrv) g_ptr_array_steal (names, NULL);
  return TRUE;
}

static JsonObject *
expand (BigvmQmp *qmp, const char *type, const char *model, GError **error, JsonNode **ret_node)
{
  g_autoptr (JsonObject) arguments = json_object_new ();
  JsonObject *model_object = json_object_new ();

  json_object_set_string_member (arguments, "type", type);
  json_object_set_string_member (model_object, "name", model);
  json_object_set_object_member (arguments, "model", model_object);
  *ret_node = bigvm_qmp_execute (qmp, "query-cpu-model-expansion", arguments, error);
  if (*ret_node == NULL)
    return NULL;
  JsonObject *root = JSON_NODE_HOLDS_OBJECT (*ret_node) ? json_node_get_object (*ret_node) : NULL;
  JsonNode *m = root != NULL ? json_object_get_member (root, "model") : NULL;
  JsonNode *props = m != NULL && JSON_NODE_HOLDS_OBJECT (m)
                    ? json_object_get_member (json_node_get_object (m), "props") : NULL;
  if (props == NULL || !JSON_NODE_HOLDS_OBJECT (props))
    {
      bad_shape (error, "model expansion");
      return NULL;
    }
  return json_node_get_object (props);
}

static GStrv
sorted_strv (GPtrArray *names)
{
  g_ptr_array_sort (names, bigvm_compare_strings);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_steal (names, NULL);
}

/* The enabled features: the names of a static expansion (QEMU's own
 * spellings, no aliases) that the full expansion of MODEL has on, less
 * the lost ones; and the knobs, from the same full expansion (which, in
 * the guest's own QEMU, has the guest's flags and machine's compat
 * properties). */
static gboolean
read_features (BigvmQmp *qmp, const char *model, BigvmCpuState *state, GError **error)
{
  g_autoptr (JsonNode) static_node = NULL;
  g_autoptr (JsonNode) full_node = NULL;
  JsonObject *names = expand (qmp, "static", "max", error, &static_node);
  JsonObject *full = names != NULL ? expand (qmp, "full", model, error, &full_node) : NULL;
  g_autoptr (GPtrArray) enabled = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) knobs = g_ptr_array_new_with_free_func (g_free);

  if (full == NULL)
    return FALSE;
  g_autoptr (GList) keys = json_object_get_members (names);
  for (GList *k = keys; k != NULL; k = k->next)
    {
      const char *name = k->data;
      JsonNode *value = json_object_get_member (full, name);
      if (!g_strv_contains (NOT_FEATURES, name) && bigvm_json_holds (value, G_TYPE_BOOLEAN)
          && json_node_get_boolean (value)
          && !g_strv_contains ((const char *const *) state->lost, name))
        g_ptr_array_add (enabled, g_strdup (name));
    }
  for (const char *const *knob = KNOBS; *knob != NULL; knob++)
    {
      JsonNode *value = json_object_get_member (full, *knob);
      if (bigvm_json_holds (value, G_TYPE_BOOLEAN))
        g_ptr_array_add (knobs, g_strdup_printf ("%s=%s", *knob,
                                                 json_node_get_boolean (value) ? "on" : "off"));
    }
  state->features = sorted_strv (enabled);
  state->knobs = sorted_strv (knobs);
  return TRUE;
}

BigvmCpuState *
bigvm_cpu_state_read (BigvmQmp *qmp, const char *model, GError **error)
{
  g_autoptr (BigvmCpuState) state = g_new0 (BigvmCpuState, 1);
  g_autoptr (JsonNode) cpus = bigvm_qmp_execute (qmp, "query-cpus-fast", NULL, error);
  const char *path = NULL;
  gint64 value;

  if (cpus == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (cpus) && json_array_get_length (json_node_get_array (cpus)) > 0)
    {
      JsonNode *first = json_array_get_element (json_node_get_array (cpus), 0);
      if (JSON_NODE_HOLDS_OBJECT (first))
        path = json_object_get_string_member_with_default (json_node_get_object (first),
                                                           "qom-path", NULL);
    }
  if (path == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "QEMU started, but query-cpus-fast names no vCPU");
      return NULL;
    }
  g_autoptr (JsonNode) unavailable = qom_get (qmp, path, "unavailable-features", error);
  g_autoptr (JsonNode) words = unavailable != NULL ? qom_get (qmp, path, "feature-words", error)
                                                   : NULL;
  if (words == NULL || !read_lost (unavailable, state, error)
      || (state->feature_words = words_text (words, error)) == NULL
      || !get_string (qmp, path, "vendor", &state->vendor, error)
      || !get_string (qmp, path, "model-id", &state->model_id, error)
      || !get_int (qmp, path, "family", &state->family, error)
      || !get_int (qmp, path, "model", &state->model, error)
      || !get_int (qmp, path, "stepping", &state->stepping, error))
    return NULL;
  if (!get_int (qmp, path, "level", &value, error))
    return NULL;
  state->level = value;
  if (!get_int (qmp, path, "xlevel", &value, error))
    return NULL;
  state->xlevel = value;
  if (!get_int (qmp, path, "phys-bits", &value, error))
    return NULL;
  state->phys_bits = value;
  if (!read_features (qmp, model, state, error))
    return NULL;
  return g_steal_pointer (&state);
}

char *
bigvm_cpu_config_key (const BigvmCpuConfig *c)
{
  return g_strdup_printf ("-machine %s -accel %s -cpu %s -smp %s", c->machine, c->accel, c->cpu,
                          c->smp);
}

BigvmCpuState *
bigvm_cpu_probe (const char *qemu_path, const BigvmCpuConfig *c, guint timeout_ms,
                 GError **error)
{
  g_autofree char *checked = g_strconcat (c->cpu, ",check=off", NULL);
  g_autofree char *model = g_strndup (c->cpu, strcspn (c->cpu, ","));
  /* Like the capability probe (qemu.c), no defaults and no user config;
   * the guest's machine, not none: older machine types change features
   * and stepping through their compat properties. */
  const char *argv[] = { qemu_path, "-S", "-no-user-config", "-nodefaults", "-display", "none",
                         "-machine", c->machine, "-accel", c->accel, "-cpu", checked,
                         "-smp", c->smp,
                         "-m", "64M", "-qmp", "stdio", NULL };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (BigvmQmp) qmp = bigvm_qmp_start (argv, deadline, &local_error);
  BigvmCpuState *state = qmp != NULL ? bigvm_cpu_state_read (qmp, model, &local_error) : NULL;

  if (state == NULL)
    g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s", local_error->message);
  return state;
}

#define STATE_TYPE "(sxxxsttuasasasasu)"
/* The same, with the string arrays as GStrv. */
#define STATE_FORMAT "(sxxxsttu^as^as^as^asu)"

GVariant *
bigvm_cpu_state_to_variant (const BigvmCpuState *s)
{
  return g_variant_ref_sink (
    g_variant_new (STATE_FORMAT, s->vendor, s->family, s->model, s->stepping, s->model_id, s->level,
                   s->xlevel, s->phys_bits, s->feature_words, s->features, s->knobs, s->lost,
                   s->lost_unnamed));
}

BigvmCpuState *
bigvm_cpu_state_from_variant (GVariant *variant, GError **error)
{
  BigvmCpuState *s;

  if (variant == NULL || !g_variant_is_of_type (variant, G_VARIANT_TYPE (STATE_TYPE)))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "not a bigvm CPU state");
      return NULL;
    }
  s = g_new0 (BigvmCpuState, 1);
  g_variant_get (variant, STATE_FORMAT, &s->vendor, &s->family, &s->model, &s->stepping,
                 &s->model_id, &s->level, &s->xlevel, &s->phys_bits, &s->feature_words,
                 &s->features, &s->knobs, &s->lost, &s->lost_unnamed);
  return s;
}
