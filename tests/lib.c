/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "firmware.h"
#include "util.h"

#include <glib/gstdio.h>
#include <string.h>

const char *
test_srcdir (void)
{
  return TEST_SRCDIR;
}

static void
put_string (uint32_t *regs, const int *order, gsize n, const char *text)
{
  char buf[16] = { 0 };
  memcpy (buf, text, MIN (strlen (text), 4 * n));
  for (gsize i = 0; i < n; i++)
    memcpy (&regs[order[i]], buf + 4 * i, 4);
}

void
test_cpuid_fill (struct cpu_raw_data_t *raw, const TestCpu *cpu)
{
  static const int vendor_order[] = { EBX, EDX, ECX };
  static const int brand_order[] = { EAX, EBX, ECX, EDX };
  guint max_ext = cpu->max_ext != 0 ? cpu->max_ext
                  : cpu->phys_bits != 0 ? 0x80000008u : 0x80000004u;

  memset (raw, 0, sizeof *raw);
  raw->basic_cpuid[0][EAX] = 1;
  put_string (raw->basic_cpuid[0], vendor_order, 3, cpu->vendor);
  raw->basic_cpuid[1][ECX] = cpu->vmx ? 1u << 5 : 0;

  raw->ext_cpuid[0][EAX] = max_ext;
  raw->ext_cpuid[1][EDX] = (cpu->lm ? 1u << 29 : 0) | (cpu->pdpe1gb ? 1u << 26 : 0);
  raw->ext_cpuid[1][ECX] = cpu->svm ? 1u << 2 : 0;
  for (guint i = 0; i < 3; i++)
    {
      const char *brand = cpu->brand != NULL ? cpu->brand : "Test CPU";
      const char *part = strlen (brand) > 16 * i ? brand + 16 * i : "";
      put_string (raw->ext_cpuid[2 + i], brand_order, 4, part);
    }
  if (cpu->phys_bits != 0)
    raw->ext_cpuid[8][EAX] = 0x3000 | cpu->phys_bits;
  raw->ext_cpuid[0x1f][EBX] = (cpu->sme_bits_lost & 0x3f) << 6;
}

static const struct {
  const char *name;
  TestCpu cpu;
} test_hosts[] = {
  { "intel-46", { "GenuineIntel", 46, 0, 0, TRUE, TRUE, TRUE, FALSE, "Test Xeon" } },
  { "intel-39", { "GenuineIntel", 39, 0, 0, TRUE, TRUE, TRUE, FALSE, "Test Core" } },
  { "amd-48", { "AuthenticAMD", 48, 0x8000001fu, 5, TRUE, TRUE, FALSE, TRUE, "Test EPYC" } },
  { "amd-48-no1g", { "AuthenticAMD", 48, 0, 0, TRUE, FALSE, FALSE, TRUE, "Test Opteron" } },
  { "novirt-46", { "GenuineIntel", 46, 0, 0, TRUE, TRUE, FALSE, FALSE, "Test Atom" } },
};

BigvmHost *
test_host_new (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (test_hosts); i++)
    if (g_str_equal (name, test_hosts[i].name))
      {
        struct cpu_raw_data_t raw;
        test_cpuid_fill (&raw, &test_hosts[i].cpu);
        return bigvm_host_from_cpuid (&raw, name);
      }
  ck_abort_msg ("no test host named %s", name);
  return NULL;
}

BigvmQemuCaps *
test_caps_new (void)
{
  g_autofree char *path = g_build_filename (test_srcdir (), "data", "qemu-7.2.22-tcg.caps",
                                            NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) variant = NULL;
  BigvmQemuCaps *caps;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, &error), "%s", error ? error->message : "");
  variant = g_variant_parse (NULL, text, NULL, NULL, &error);
  ck_assert_msg (variant != NULL, "%s: %s", path, error ? error->message : "");
  caps = bigvm_qemu_caps_from_variant (variant, &error);
  ck_assert_msg (caps != NULL, "%s: %s", path, error ? error->message : "");
  return caps;
}

GPtrArray *
test_firmware_new (void)
{
  g_autofree char *dir = g_build_filename (test_srcdir (), "data", "firmware", NULL);
  const char *dirs[] = { dir, NULL };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *firmware = bigvm_firmware_load (dirs, warnings);

  ck_assert_msg (warnings->len == 0, "loading %s: %s", dir,
                 warnings->len > 0 ? (char *) warnings->pdata[0] : "");
  for (guint i = 0; i < firmware->len; i++)
    {
      BigvmFirmware *f = firmware->pdata[i];
      f->code_exists = f->vars_template_exists = TRUE;
    }
  return firmware;
}

BigvmFlavor *
test_flavor (const char *text)
{
  g_autoptr (GError) error = NULL;
  BigvmFlavor *flavor = bigvm_flavor_parse ("test.flavor", "/flavors", text,
                                            strlen (text), &error);
  ck_assert_msg (flavor != NULL, "flavor rejected: %s\n---\n%s", error ? error->message : "",
                 text);
  return flavor;
}

char *
test_flavor_error (const char *text, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) flavor = bigvm_flavor_parse ("test.flavor", "/flavors", text,
                                                       strlen (text), &error);
  ck_assert_msg (flavor == NULL, "flavor accepted:\n%s", text);
  ck_assert_msg (g_error_matches (error, BIGVM_ERROR, code), "code %d, want %d: %s",
                 error->code, code, error->message);
  return g_strdup (error->message);
}

char *
test_tmpdir_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("bigvm-test-XXXXXX", &error);
  ck_assert_msg (dir != NULL, "%s", error ? error->message : "");
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

void
test_tmpdir_remove (const char *dir)
{
  remove_tree (dir);
}

static GHashTable *cpu_states;

static char *
cpu_states_path (void)
{
  return g_build_filename (test_srcdir (), "data", "qemu-7.2.22-tcg.cpus", NULL);
}

GHashTable *
test_cpu_states (void)
{
  g_autofree char *path = cpu_states_path ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) all = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (cpu_states != NULL)
    return cpu_states;
  cpu_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) bigvm_cpu_state_free);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return cpu_states;  /* none recorded yet */
  all = g_variant_parse (G_VARIANT_TYPE ("a{sv}"), text, NULL, NULL, &error);
  ck_assert_msg (all != NULL, "%s: %s", path, error != NULL ? error->message : "");
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      BigvmCpuState *state = bigvm_cpu_state_from_variant (value, &error);
      ck_assert_msg (state != NULL, "%s: %s: %s", path, key, error->message);
      g_hash_table_insert (cpu_states, g_strdup (key), state);
      g_variant_unref (value);
    }
  return cpu_states;
}

/* One entry per line, sorted, so that a new recording shows in a diff as
 * the lines it adds. */
static void
save_cpu_states (void)
{
  g_autofree char *path = cpu_states_path ();
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GString *out = g_string_new ("{\n");
  GHashTableIter iter;
  gpointer key_data;

  g_hash_table_iter_init (&iter, cpu_states);
  while (g_hash_table_iter_next (&iter, &key_data, NULL))
    g_ptr_array_add (keys, key_data);

  g_ptr_array_sort (keys, bigvm_compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr (GVariant) state = bigvm_cpu_state_to_variant (g_hash_table_lookup (cpu_states,
                                                                                    keys->pdata[i]));
      g_autoptr (GVariant) key = g_variant_ref_sink (g_variant_new_string (keys->pdata[i]));
      g_autofree char *key_text = g_variant_print (key, FALSE);
      g_autofree char *state_text = g_variant_print (state, TRUE);
      g_string_append_printf (out, "  %s: <%s>%s\n", key_text, state_text,
                              i + 1 < keys->len ? "," : "");
    }
  g_string_append (out, "}\n");
  ck_assert (g_file_set_contents (path, out->str, -1, NULL));
  g_string_free (out, TRUE);
}

gboolean
test_cpu_states_fill (const BigvmPipeline *p)
{
  static const char prefix[] = "no CPU recorded for ";
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (g_getenv ("BIGVM_TEST_REGENERATE"), "1") != 0 || p->refusal == NULL
      || !g_str_has_prefix (p->refusal->message, prefix))
    return FALSE;
  /* The key says what to ask: "-machine M -accel A -cpu C -smp S". */
  const char *key = p->refusal->message + strlen (prefix);
  g_auto (GStrv) words = g_strsplit (key, " ", -1);
  ck_assert_msg (g_strv_length (words) == 8, "cannot read CPU key %s", key);
  BigvmCpuConfig config = { words[1], words[3], words[5], words[7] };
  BigvmCpuState *state = bigvm_cpu_probe (p->caps->path, &config, 60000, &error);
  ck_assert_msg (state != NULL, "%s: %s", key, error != NULL ? error->message : "");
  g_hash_table_insert (test_cpu_states (), g_strdup (key), state);
  save_cpu_states ();
  return TRUE;
}
