/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "firmware.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *
description (GPtrArray *firmware, guint i)
{
  return ((BigvmFirmware *) firmware->pdata[i])->description;
}

START_TEST (test_parse)
{
  g_autoptr (GPtrArray) firmware = test_firmware_new ();
  BigvmFirmware *plain;

  ck_assert_uint_eq (firmware->len, 4);
  plain = firmware->pdata[2];
  ck_assert (plain->uefi && plain->flash_split);
  ck_assert_str_eq (plain->code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  ck_assert_str_eq (plain->vars_template, "/usr/share/OVMF/OVMF_VARS_4M.fd");
  ck_assert_str_eq (plain->code_format, "raw");
  ck_assert_str_eq (plain->x86_64_machines[1], "pc-q35-*");
  ck_assert (bigvm_firmware_has_feature (plain, "amd-sev"));
  ck_assert_ptr_null (((BigvmFirmware *) firmware->pdata[3])->x86_64_machines);
}
END_TEST

START_TEST (test_select)
{
  g_autoptr (GPtrArray) firmware = test_firmware_new ();
  const BigvmFirmware *q35 = bigvm_firmware_select (firmware, "pc-q35-7.2", FALSE);
  const BigvmFirmware *pc = bigvm_firmware_select (firmware, "pc-i440fx-2.12", FALSE);

  /* The secure-boot descriptors come first but need SMM: skipped. */
  ck_assert_ptr_nonnull (q35);
  ck_assert_str_eq (q35->code, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  ck_assert_ptr_eq (q35, pc);
  ck_assert_ptr_null (bigvm_firmware_select (firmware, "microvm", FALSE));
  ck_assert_ptr_null (bigvm_firmware_select (firmware, "q35", FALSE));
}
END_TEST

static void
put (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_mkdir_with_parents (dir, 0700);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
}

static char *
descriptor (const char *what)
{
  return g_strdup_printf ("{\"description\": \"%s\", \"interface-types\": [\"uefi\"],"
                          " \"mapping\": {\"device\": \"flash\","
                          " \"executable\": {\"filename\": \"/fw/%s.code\"},"
                          " \"nvram-template\": {\"filename\": \"/fw/%s.vars\"}},"
                          " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}],"
                          " \"features\": []}", what, what, what);
}

/* docs/interop/firmware.json: later directories override the same file
 * name, an empty file hides it, and file names give the order. */
START_TEST (test_precedence)
{
  g_autofree char *root = test_tmpdir_new ();
  g_autofree char *share = g_build_filename (root, "share", NULL);
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  g_autofree char *user = g_build_filename (root, "user", NULL);
  const char *dirs[] = { share, etc, user, "/nonexistent/firmware", NULL };
  g_autofree char *a = descriptor ("share-10"), *b = descriptor ("share-20"), *c = descriptor ("share-30");
  g_autofree char *b2 = descriptor ("etc-20"), *z = descriptor ("user-05");
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);

  put (share, "10-a.json", a);
  put (share, "20-b.json", b);
  put (share, "30-c.json", c);
  put (share, "README", "not a descriptor");
  put (etc, "20-b.json", b2);
  put (etc, "30-c.json", "");
  put (user, "05-z.json", z);

  g_autoptr (GPtrArray) firmware = bigvm_firmware_load (dirs, warnings);
  ck_assert_uint_eq (warnings->len, 0);
  ck_assert_uint_eq (firmware->len, 3);
  ck_assert_str_eq (description (firmware, 0), "user-05");
  ck_assert_str_eq (description (firmware, 1), "share-10");
  ck_assert_str_eq (description (firmware, 2), "etc-20");
  ck_assert (!((BigvmFirmware *) firmware->pdata[0])->code_exists);

  /* The user's copy of a name wins over /etc and /usr/share. */
  g_autofree char *mine = descriptor ("user-20");
  put (user, "20-b.json", mine);
  g_autoptr (GPtrArray) again = bigvm_firmware_load (dirs, warnings);
  ck_assert_str_eq (description (again, 2), "user-20");
  test_tmpdir_remove (root);
}
END_TEST

/* Every x86_64 target counts, not only the first. */
START_TEST (test_several_targets)
{
  const char *text = "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\","
                     " \"executable\": {\"filename\": \"/c\"}, \"nvram-template\": {\"filename\": \"/v\"}},"
                     " \"targets\": [{\"architecture\": \"x86_64\", \"machines\": [\"pc-i440fx-*\"]},"
                     " {\"architecture\": \"i386\", \"machines\": [\"*\"]},"
                     " {\"architecture\": \"x86_64\", \"machines\": [\"pc-q35-*\"]}]}";
  g_autoptr (GError) error = NULL;
  BigvmFirmware *f = bigvm_firmware_parse ("/d/x.json", text, strlen (text), &error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) bigvm_firmware_free);

  ck_assert_msg (f != NULL, "%s", error ? error->message : "");
  g_ptr_array_add (list, f);
  ck_assert_ptr_eq (bigvm_firmware_select (list, "pc-q35-7.2", FALSE), f);
  ck_assert_ptr_eq (bigvm_firmware_select (list, "pc-i440fx-7.2", FALSE), f);
  ck_assert_ptr_null (bigvm_firmware_select (list, "isapc", FALSE));
}
END_TEST

START_TEST (test_malformed)
{
  static const char *const texts[] = {
    "{", "[]", "{\"interface-types\": \"uefi\", \"mapping\": {}, \"targets\": []}",
    "{\"interface-types\": [\"uefi\"], \"targets\": []}",
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\"}, \"targets\": []}",
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": 7}, \"targets\": []}",
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"memory\"}, \"targets\": {}}",
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"memory\"}, \"targets\": [{\"architecture\": 1}]}",
    /* No root at all: json_parser_get_root() is NULL. */
    "", "\n", " \t\n",
    /* A format that would go onto -drive as it is. */
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\", \"executable\": "
    "{\"filename\": \"/c\", \"format\": \"raw,file=/etc/shadow\"}, \"nvram-template\": "
    "{\"filename\": \"/v\"}}, \"targets\": []}",
    "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\", \"executable\": "
    "{\"filename\": \"/c\"}, \"nvram-template\": {\"filename\": \"/v\", \"format\": \"vmdk\"}}, "
    "\"targets\": []}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmFirmware) f = bigvm_firmware_parse ("/d/x.json", texts[i], strlen (texts[i]),
                                                          &error);
      ck_assert_msg (f == NULL, "accepted %s", texts[i]);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
      ck_assert_msg (g_str_has_prefix (error->message, "/d/x.json: not a firmware descriptor: "),
                     "%s", error->message);
    }

  /* A broken file is skipped and named; the others load, and it still
   * hides the same name of lower priority. */
  g_autofree char *root = test_tmpdir_new ();
  g_autofree char *share = g_build_filename (root, "share", NULL);
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  const char *dirs[] = { share, etc, NULL };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *good = descriptor ("share-40");
  g_autofree char *hidden = descriptor ("share-50");
  g_mkdir (share, 0700);
  g_mkdir (etc, 0700);
  put (share, "40-good.json", good);
  put (share, "50-broken.json", hidden);
  put (etc, "50-broken.json", "\n");
  g_autoptr (GPtrArray) firmware = bigvm_firmware_load (dirs, warnings);
  ck_assert_uint_eq (firmware->len, 1);
  ck_assert_str_eq (description (firmware, 0), "share-40");
  ck_assert_uint_eq (warnings->len, 1);
  ck_assert_msg (strstr (warnings->pdata[0], "etc/50-broken.json: not a firmware descriptor: ")
                 != NULL && strstr (warnings->pdata[0], "; skipped, and it still hides any "
                                    "50-broken.json of lower priority") != NULL,
                 "%s", (char *) warnings->pdata[0]);
  test_tmpdir_remove (root);
}
END_TEST

START_TEST (test_search_dirs)
{
  g_auto (GStrv) dirs = bigvm_firmware_search_dirs ();
  ck_assert_uint_eq (g_strv_length (dirs), 3);
  ck_assert_str_eq (dirs[0], "/usr/share/qemu/firmware");
  ck_assert_str_eq (dirs[1], "/etc/qemu/firmware");
  ck_assert_str_eq (dirs[2], "/nonexistent/bigvm-test-config/qemu/firmware");
}
END_TEST

Suite *
suite_firmware (void)
{
  Suite *s = suite_create ("firmware");
  TCase *tc = tcase_create ("descriptors");
  tcase_add_test (tc, test_parse);
  tcase_add_test (tc, test_select);
  tcase_add_test (tc, test_precedence);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_several_targets);
  tcase_add_test (tc, test_search_dirs);
  suite_add_tcase (s, tc);
  return s;
}
