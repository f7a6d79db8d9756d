/* The flavor to OpenStack and back (lib/openstack.c): both forms of
 * properties, swap "", refusals naming the JSON key, keys bigvm does not
 * act on kept as comments, and the round trip of every example and
 * golden flavor through `openstack flavor create` as OSC would store it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "json-out.h"
#include "openstack.h"
#include "util.h"

#include <json-glib/json-glib.h>
#include <string.h>

static char *
data_file (const char *name, gsize *len)
{
  g_autofree char *path = g_build_filename (test_srcdir (), "data", "openstack", name, NULL);
  char *text = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, len, NULL), "%s", path);
  return text;
}

static char *
import (const char *flavor_json, const char *image_json, GError **error)
{
  return bigvm_openstack_import (flavor_json, strlen (flavor_json), "f.json", image_json,
                                 image_json != NULL ? strlen (image_json) : 0, "i.json", error);
}

START_TEST (test_import_osc6)
{
  gsize len, image_len;
  g_autofree char *json = data_file ("flavor-osc6.json", &len);
  g_autofree char *image = data_file ("image.json", &image_len);
  g_autoptr (GError) error = NULL;
  g_autofree char *flavor = import (json, image, &error);

  ck_assert_msg (flavor != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (flavor,
    "# From the OpenStack flavor db.1t (id 5f1b4a0e-8c4e-4f5e-9d3a-2b7c1e0a9f11).\n"
    "name = db.1t\n"
    "ram = 1T\n"
    "vcpus = 32\n"
    "# disk = 80  (Nova's root disk, in GiB: bigvm's disks are bigvm:disk.N)\n"
    "hw:maxphysaddr_mode = emulate\n"
    "hw:maxphysaddr_bits = 42\n"
    "hw:numa_nodes = 2\n"
    "hw:mem_page_size = 1GB\n"
    "# hw:cpu_policy = dedicated  (a Nova setting bigvm does not act on)\n"
    "# quota:cpu_shares = 4096  (a Nova setting bigvm does not act on)\n"
    "# hw:cpu_pinning_magic = on  (a key bigvm does not know)\n"
    "# From the properties of the image debian-12-uefi.\n"
    "hw_firmware_type = uefi\n"
    "hw_machine_type = q35\n"
    "os_secure_boot = required\n"
    "# hw_disk_bus = virtio  (a Nova image property bigvm does not act on)\n"
    "# os_hash_algo = sha512  (not an image property Nova reads)\n");
}
END_TEST

/* Before OSC 5.5.0: one string of k='v' pairs; swap an integer. */
START_TEST (test_import_osc5)
{
  gsize len;
  g_autofree char *json = data_file ("flavor-osc5.json", &len);
  g_autoptr (GError) error = NULL;
  g_autofree char *flavor = import (json, NULL, &error);

  ck_assert_msg (flavor != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (flavor,
    "# From the OpenStack flavor db.1t (id 42).\n"
    "name = db.1t\n"
    "ram = 1T\n"
    "vcpus = 32\n"
    "# swap = 4096  (Nova's swap disk, in MiB: bigvm makes none)\n"
    "hw:maxphysaddr_bits = 42\n"
    "hw:maxphysaddr_mode = emulate\n"
    "hw:mem_page_size = 1GB\n"
    "hw:numa_nodes = 2\n");
}
END_TEST

/* A value holding the format's own separators. */
START_TEST (test_import_old_properties_quoted)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *flavor = import ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 1, \"properties\": "
                                    "\"quota:x='it''s, odd', trait:CUSTOM_Y='required'\"}", NULL,
                                    &error);
  ck_assert_msg (flavor != NULL, "%s", error ? error->message : "");
  ck_assert_ptr_nonnull (strstr (flavor, "# quota:x = it''s, odd  (a Nova setting"));
  ck_assert_ptr_nonnull (strstr (flavor, "# trait:CUSTOM_Y = required  (a Nova setting"));
}
END_TEST

/* A line break in any value stays inside its line: JSON cannot add keys
 * of its own to the flavor. */
START_TEST (test_import_line_breaks)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *flavor = import ("{\"name\": \"f\", \"ram\": 1024, \"vcpus\": 1, "
                                    "\"description\": \"x\\nbigvm:disk.0 = /dev/sda\", "
                                    "\"properties\": {\"quota:a\\nbigvm:qmp\": \"b\\nbigvm:pidfile = /p\"}}",
                                    NULL, &error);
  ck_assert_msg (flavor != NULL, "%s", error ? error->message : "");
  ck_assert_ptr_null (strstr (flavor, "\nbigvm:"));
  ck_assert_ptr_nonnull (strstr (flavor, "# x\\x0abigvm:disk.0 = /dev/sda\n"));
}
END_TEST

static void
assert_refused (const char *json, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *flavor = import (json, NULL, &error);
  ck_assert_msg (flavor == NULL, "accepted: %s", json);
  ck_assert_int_eq (error->code, BIGVM_ERROR_FLAVOR);
  ck_assert_msg (g_str_equal (error->message, want), "\ngot:  %s\nwant: %s", error->message, want);
}

START_TEST (test_import_refused)
{
  assert_refused ("[]", "f.json: not a JSON object, as `openstack ... show -f json` prints");
  assert_refused ("{\"ram\": 1024, \"vcpus\": 1}", "f.json: name: missing, or not a string");
  assert_refused ("{\"name\": \"a\", \"ram\": \"1G\", \"vcpus\": 1}",
                  "f.json: ram: not a whole number from 0");
  assert_refused ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 1, \"properties\": "
                  "{\"hw:numa_nodes\": 2}}",
                  "f.json: properties.hw:numa_nodes: not a string, as Nova keeps every property");
  assert_refused ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 1, \"properties\": "
                  "{\"hw:maxphysaddr_mode\": \"emulate\", \"hw:maxphysaddr_bits\": \"99\"}}",
                  "f.json: properties.hw:maxphysaddr_bits: 99 is out of range (32..52)");
  assert_refused ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 0}",
                  "f.json: vcpus: 0 is out of range (1..4096)");
  assert_refused ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 1, \"properties\": "
                  "{\"hw:numa_nodes\": \"2\\n3\"}}",
                  "f.json: properties.hw:numa_nodes: holds a line break, which no flavor value can");
  assert_refused ("{\"name\": \"a\nb\", \"ram\": 1024, \"vcpus\": 1}",
                  "f.json: name: holds a line break, which no flavor value can");
  assert_refused ("{\"name\": \"a\", \"ram\": 17592186045440, \"vcpus\": 1}",
                  "f.json: ram: more MiB than any guest can have");
  assert_refused ("{\"name\": \"a\", \"ram\": 1024, \"vcpus\": 1, \"properties\": \"junk\"}",
                  "f.json: properties: a string not of the form k1='v1', k2='v2'");
}
END_TEST

/* OSC's store of `openstack flavor create` (and of the image set line):
 * what `show -f json` then prints. */
static char *
nova_stores (const char *command, char **image_json)
{
  g_auto (GStrv) lines = g_strsplit (command, "\n", -1);
  g_auto (GStrv) create = NULL;
  g_autoptr (JsonBuilder) flavor = json_builder_new ();
  g_autoptr (JsonBuilder) image = json_builder_new ();
  int argc;

  ck_assert_msg (g_shell_parse_argv (lines[0], &argc, &create, NULL), "%s", lines[0]);
  ck_assert_str_eq (create[0], "openstack");
  json_builder_begin_object (flavor);
  json_builder_set_member_name (flavor, "OS-FLV-DISABLED:disabled");
  json_builder_add_boolean_value (flavor, FALSE);
  json_builder_set_member_name (flavor, "id");
  json_builder_add_string_value (flavor, "0b0e1c2a-6f63-4a54-9b17-0a3e3f4d2c11");
  json_builder_set_member_name (flavor, "swap");
  json_builder_add_string_value (flavor, "");
  json_builder_set_member_name (flavor, "name");
  json_builder_add_string_value (flavor, create[argc - 1]);
  json_builder_set_member_name (flavor, "properties");
  json_builder_begin_object (flavor);
  for (int i = 3; i < argc - 1; i += 2)
    if (g_str_equal (create[i], "--property"))
      {
        char *eq = strchr (create[i + 1], '=');
        *eq = '\0';
        json_builder_set_member_name (flavor, create[i + 1]);
        json_builder_add_string_value (flavor, eq + 1);
      }
  json_builder_end_object (flavor);
  for (int i = 3; i < argc - 1; i += 2)
    if (g_str_equal (create[i], "--ram") || g_str_equal (create[i], "--vcpus")
        || g_str_equal (create[i], "--disk"))
      {
        json_builder_set_member_name (flavor, create[i] + 2);
        json_builder_add_int_value (flavor, g_ascii_strtoll (create[i + 1], NULL, 10));
      }
  json_builder_end_object (flavor);

  *image_json = NULL;
  for (char **line = lines; *line != NULL; line++)
    if (g_str_has_prefix (*line, "# openstack image set "))
      {
        g_auto (GStrv) set = NULL;
        int n;
        ck_assert (g_shell_parse_argv (*line + 2, &n, &set, NULL));
        json_builder_begin_object (image);
        json_builder_set_member_name (image, "name");
        json_builder_add_string_value (image, set[n - 1]);
        json_builder_set_member_name (image, "properties");
        json_builder_begin_object (image);
        for (int i = 3; i < n - 1; i += 2)
          {
            char *eq = strchr (set[i + 1], '=');
            *eq = '\0';
            json_builder_set_member_name (image, set[i + 1]);
            json_builder_add_string_value (image, eq + 1);
          }
        json_builder_end_object (image);
        json_builder_end_object (image);
        *image_json = bigvm_json_to_string (image);
      }
  return bigvm_json_to_string (flavor);
}

/* FLAVOR's keys and values that Nova carries and bigvm acts on (bigvm:
 * keys Nova does not carry; the others come back as comments). */
static char *
nova_part (const BigvmFlavor *flavor)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < flavor->entries->len; i++)
    {
      const BigvmFlavorEntry *e = flavor->entries->pdata[i];
      if (g_str_has_prefix (e->key, "bigvm:") || !bigvm_flavor_key_known (e->key))
        continue;
      g_ptr_array_add (lines, g_str_equal (e->key, "ram")
                              ? g_strdup_printf ("ram = %" G_GUINT64_FORMAT, flavor->ram_bytes)
                              : g_strdup_printf ("%s = %s", e->key, e->value));
    }
  g_ptr_array_sort (lines, bigvm_compare_strings);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv ("\n", (char **) lines->pdata);
}

static GPtrArray *round_trip_files;

/* Flavor -> show --format=openstack -> Nova -> flavor show -f json ->
 * import: the same keys and values. */
START_TEST (test_round_trip)
{
  const char *path = round_trip_files->pdata[_i];
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) original = bigvm_flavor_load (path, &error);
  g_autofree char *image_json = NULL;

  if (original == NULL)
    return;  /* a refused golden flavor: nothing to export */
  g_autofree char *command = bigvm_openstack_export (original, NULL);
  g_autofree char *flavor_json = nova_stores (command, &image_json);
  g_autofree char *imported = import (flavor_json, image_json, &error);
  ck_assert_msg (imported != NULL, "%s: %s\n%s", path, error ? error->message : "", command);
  g_autoptr (BigvmFlavor) back = bigvm_flavor_parse ("back", "/", imported, strlen (imported),
                                                     &error);
  ck_assert_msg (back != NULL, "%s: %s", path, error ? error->message : "");
  g_autofree char *want = nova_part (original);
  g_autofree char *got = nova_part (back);
  ck_assert_msg (g_str_equal (want, got), "%s\n--- want\n%s\n--- got\n%s", path, want, got);
  /* What Nova does not carry is said in the export, each bigvm: key on
   * its own line; the Nova keys bigvm does not act on come back as
   * comments. */
  for (guint i = 0; i < original->entries->len; i++)
    {
      const BigvmFlavorEntry *e = original->entries->pdata[i];
      g_autofree char *said = g_strdup_printf ("#   %s = ", e->key);
      g_autofree char *kept = g_strdup_printf ("# %s = %s  (", e->key, e->value);
      if (g_str_has_prefix (e->key, "bigvm:"))
        ck_assert_msg (strstr (command, said) != NULL, "%s: %s is not said", path, e->key);
      else if (!bigvm_flavor_key_known (e->key) && !g_str_equal (e->key, "id")
               && !g_str_equal (e->key, "is_public"))
        ck_assert_msg (strstr (imported, kept) != NULL, "%s: %s did not come back:\n%s", path,
                       e->key, imported);
    }
}
END_TEST

static GPtrArray *
list_flavors (void)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *dirs[] = { "../examples", "golden" };

  for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *dir = g_build_filename (test_srcdir (), dirs[d], NULL);
      g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
      const char *name;
      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        if (g_str_has_suffix (name, ".flavor"))
          g_ptr_array_add (files, g_build_filename (dir, name, NULL));
    }
  g_ptr_array_sort (files, bigvm_compare_strings);
  return files;
}

Suite *
suite_openstack (void)
{
  Suite *s = suite_create ("openstack");
  TCase *tc = tcase_create ("nova");

  round_trip_files = list_flavors ();
  tcase_add_test (tc, test_import_osc6);
  tcase_add_test (tc, test_import_osc5);
  tcase_add_test (tc, test_import_old_properties_quoted);
  tcase_add_test (tc, test_import_line_breaks);
  tcase_add_test (tc, test_import_refused);
  tcase_add_loop_test (tc, test_round_trip, 0, round_trip_files->len);
  suite_add_tcase (s, tc);
  return s;
}
