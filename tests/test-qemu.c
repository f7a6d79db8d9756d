/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "qmp.h"

#include <glib/gstdio.h>
#include <string.h>

START_TEST (test_parse_version)
{
  static const struct { const char *text; guint major, minor, micro; } good[] = {
    { "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022\n", 7, 2, 22 },
    { "QEMU emulator version 2.7.0\n", 2, 7, 0 },
    { "QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", 8, 2, 2 },
    { "QEMU PC emulator version 0.15\n", 0, 15, 0 },
  };
  static const char *const bad[] = {
    "", "\n", "qemu 7.2", "QEMU emulator version \n", "QEMU emulator version 7\n",
    "QEMU emulator version 7.x.1\n", "QEMU emulator version 9999999.1.1\n",
    "Usage: qemu-system-x86_64 [options]\nQEMU emulator version 7.2.0\n",
  };
  BigvmVersion v;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (bigvm_qemu_parse_version (good[i].text, &v, &error), "%s", good[i].text);
      ck_assert_uint_eq (v.major, good[i].major);
      ck_assert_uint_eq (v.minor, good[i].minor);
      ck_assert_uint_eq (v.micro, good[i].micro);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!bigvm_qemu_parse_version (bad[i], &v, &error), "accepted %s", bad[i]);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
    }
}
END_TEST

/* Component by component: 4.1000.0 is older than 5.0.0, though a packed
 * major*10^6 + minor*10^3 + micro said otherwise. */
START_TEST (test_version_compare)
{
  static const struct { BigvmVersion v; guint major, minor, micro; int sign; } cases[] = {
    { { 4, 1000, 0 }, 5, 0, 0, -1 },
    { { 4, 999999, 999999 }, 5, 0, 0, -1 },
    { { 5, 0, 0 }, 5, 0, 0, 0 },
    { { 7, 2, 22 }, 7, 3, 0, -1 },
    { { 7, 10, 0 }, 7, 3, 0, 1 },
    { { 10, 0, 0 }, 9, 999999, 999999, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int got = bigvm_version_compare (&cases[i].v, cases[i].major, cases[i].minor,
                                       cases[i].micro);
      ck_assert_msg ((got > 0) - (got < 0) == cases[i].sign, "case %zu: %d", i, got);
    }
}
END_TEST

static char *
write_script (const char *dir, const char *name, const char *body)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strconcat ("#!/bin/sh\n", body, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  ck_assert (g_chmod (path, 0755) == 0);
  return path;
}

/* A stand-in QEMU that starts a child of its own and waits for it. */
#define SLEEPING_CHILD "sleep 30 & echo $! > \"$0.child\"; wait"

/* The child SLEEPING_CHILD started for the stand-in SCRIPT ends with it:
 * bigvm kills the process group, not only the process. */
static void
assert_child_killed (const char *script)
{
  g_autofree char *pidfile = g_strconcat (script, ".child", NULL);
  g_autofree char *pid = NULL;

  ck_assert_msg (g_file_get_contents (pidfile, &pid, NULL, NULL), "%s: no child started",
                 script);
  g_strstrip (pid);
  g_autofree char *stat_path = g_strdup_printf ("/proc/%s/stat", pid);
  for (int tries = 0;; tries++)
    {
      g_autofree char *stat = NULL;
      /* Gone, or a zombie its new parent has not reaped yet. */
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL)
          || strstr (stat, ") Z ") != NULL)
        return;
      ck_assert_msg (tries < 200, "%s: its child %s outlived it", script, pid);
      g_usleep (10000);
    }
}

/* QEMU binaries that do not do what QEMU does: each is refused with a
 * clear reason, within the timeout. */
START_TEST (test_probe_faults)
{
  g_autofree char *dir = test_tmpdir_new ();
  static const struct { const char *body; const char *message; } cases[] = {
    { "echo 'QEMU emulator version 2.6.2 (qemu-kvm)'\n",
      "is QEMU 2.6.2; bigvm needs 5.0.0 or newer (phys-bits came with 2.7, -machine "
      "memory-backend with 5.0)" },
    { "echo 'QEMU emulator version 4.1000.0'\n", "is QEMU 4.1000.0; bigvm needs 5.0.0 or newer" },
    { "echo 'QEMU emulator version 4.2.1 (Debian 1:4.2-3ubuntu6)'\n",
      "is QEMU 4.2.1; bigvm needs 5.0.0 or newer" },
    { "echo 'something else'\n", "--version printed \"something else\", not" },
    { "", "--version printed \"\"" },
    { "exit 3\n", "--version exited with status 3" },
    { "kill -SEGV $$\n", "--version was killed by signal 11" },
    { SLEEPING_CHILD "\n", "did not finish within 0.5 s; killed it" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("qemu-%zu", i);
      g_autofree char *path = write_script (dir, name, cases[i].body);
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      BigvmVersion version;
      gboolean ok = bigvm_qemu_get_version (path, 500, &version, &error);

      ck_assert_msg (!ok, "%s accepted", cases[i].body);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
      ck_assert_msg (strstr (error->message, cases[i].message) != NULL, "%s: %s", cases[i].body,
                     error->message);
      ck_assert (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
      if (g_str_equal (cases[i].body, SLEEPING_CHILD "\n"))
        assert_child_killed (path);
    }
  test_tmpdir_remove (dir);
}
END_TEST

START_TEST (test_find)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *script = write_script (dir, "qemu", "exit 0\n");
  g_autofree char *plain = g_build_filename (dir, "plain", NULL);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;

  ck_assert (g_file_set_contents (plain, "", -1, NULL));
  g_autofree char *found = bigvm_qemu_find (script, &e1);
  ck_assert_str_eq (found, script);
  ck_assert_ptr_null (bigvm_qemu_find ("bigvm-no-such-qemu", &e2));
  ck_assert (g_error_matches (e2, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
  ck_assert_ptr_null (bigvm_qemu_find (plain, &e3));
  ck_assert_str_eq (g_strrstr (e3->message, ": "), ": not an executable file");
  ck_assert_ptr_null (bigvm_qemu_find (dir, &e4));
  test_tmpdir_remove (dir);
}
END_TEST

/* A QEMU that answers --version but not QMP the way QEMU does. */
START_TEST (test_qmp_faults)
{
  g_autofree char *dir = test_tmpdir_new ();
  static const struct { const char *qmp; const char *message; } cases[] = {
    { "exit 1", "exited with status 1" },
    { "echo 'qemu: cannot start' >&2; exit 1", "exited with status 1: qemu: cannot start" },
    { "kill -ABRT $$", "was killed by signal 6" },
    { "echo 'this is not QMP'; sleep 30", "did not greet with QMP: \"this is not QMP\"" },
    { "echo '{\"QMP\": {}}'; read l; echo 'garbage'; sleep 30",
      "answered with something other than QMP: \"garbage\"" },
    { "echo '{\"QMP\": {}}'; read l; echo '{\"return\": {}}'; read l; echo '{\"return\": 7}'",
      "query-machines: the machine list is not a list" },
    { "echo '{\"QMP\": {}}'; read l; echo '{\"return\": {}}'; read l;"
      " echo '{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no such command\"}}'",
      "query-machines: " },
    { SLEEPING_CHILD, "did not answer in time; killed it" },
    { "echo '{\"QMP\": {}}'; read l; echo '{\"return\": {}}'; sleep 30",
      "did not answer in time; killed it" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("qemu-%zu", i);
      g_autofree char *body = g_strdup_printf ("if [ \"$1\" = --version ]; then\n"
                                               "  echo 'QEMU emulator version 7.2.0'; exit 0\n"
                                               "fi\n%s\n", cases[i].qmp);
      g_autofree char *path = write_script (dir, name, body);
      g_autoptr (GError) error = NULL;
      const char *models[] = { "max", NULL };
      gint64 start = g_get_monotonic_time ();
      g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_probe (path, "tcg", models, 1000, &error);

      ck_assert_msg (caps == NULL, "%s accepted", cases[i].qmp);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
      ck_assert_msg (strstr (error->message, cases[i].message) != NULL, "%s:\n%s", cases[i].qmp,
                     error->message);
      ck_assert_msg (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC, "%s took too long",
                     cases[i].qmp);
      if (g_str_equal (cases[i].qmp, SLEEPING_CHILD))
        assert_child_killed (path);
    }
  test_tmpdir_remove (dir);
}
END_TEST

START_TEST (test_qmp_lines)
{
  static const char *const bad[] = {
    "", "not json", "[]", "7", "{\"QMP\"", "{\"id\": 1}",
    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}}",
    "{\"error\": 5}",
  };
  gboolean event;
  JsonNode *ret;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!bigvm_qmp_parse_line (bad[i], strlen (bad[i]), &event, &ret, &error),
                     "accepted %s", bad[i]);
      ck_assert_ptr_null (ret);
    }
  const char *stop = "{\"event\": \"STOP\"}";
  const char *list = "{\"return\": [1]}";
  ck_assert (bigvm_qmp_parse_line (stop, strlen (stop), &event, &ret, NULL));
  ck_assert (event && ret == NULL);
  ck_assert (bigvm_qmp_parse_line (list, strlen (list), &event, &ret, NULL));
  ck_assert (!event && JSON_NODE_HOLDS_ARRAY (ret));
  json_node_unref (ret);
}
END_TEST

/* A reply naming a machine or model twice is read as its first, and
 * the cache's round trip keeps what was read. */
START_TEST (test_repeated_names)
{
  static const char *const replies[][2] = {
    { "query-machines", "[{\"name\": \"pc-q35-7.2\", \"cpu-max\": 288},"
                        " {\"name\": \"pc-q35-7.2\", \"cpu-max\": 1}, {\"name\": \"none\"}]" },
    { "query-cpu-definitions", "[{\"name\": \"max\"}, {\"name\": \"max\", \"deprecated\": true}]" },
  };
  g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_caps_new ("/q/qemu", "tcg");

  for (gsize i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_autoptr (JsonNode) reply = json_from_string (replies[i][1], NULL);
      ck_assert (bigvm_qemu_caps_add_reply (caps, replies[i][0], reply, NULL));
    }
  g_autoptr (GVariant) variant = bigvm_qemu_caps_to_variant (caps);
  g_autoptr (BigvmQemuCaps) back = bigvm_qemu_caps_from_variant (variant, NULL);
  ck_assert_ptr_nonnull (back);
  for (gsize i = 0; i < 2; i++)
    {
      const BigvmQemuCaps *c = i == 0 ? caps : back;
      ck_assert_uint_eq (bigvm_qemu_machines (c)->len, 2);
      ck_assert_uint_eq (bigvm_qemu_find_machine (c, "pc-q35-7.2")->cpu_max, 288);
      ck_assert_uint_eq (bigvm_qemu_cpu_models (c)->len, 1);
      ck_assert (!bigvm_qemu_find_cpu_model (c, "max")->deprecated);
    }
}
END_TEST

START_TEST (test_probe_real)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bigvm_qemu_find ("qemu-system-x86_64", &error);
  const char *models[] = { "max", "Westmere", "no-such-model", NULL };

  if (path == NULL)
    {
      printf ("skip: qemu-system-x86_64 is not installed\n");
      return;
    }
  g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_probe (path, "tcg", models, 30000, &error);
  ck_assert_msg (caps != NULL, "%s", error ? error->message : "");
  ck_assert_uint_ge (caps->version.major, 7);
  const BigvmMachineType *q35 = bigvm_qemu_find_machine (caps, "q35");
  ck_assert_ptr_nonnull (q35);
  ck_assert (g_str_has_prefix (q35->name, "pc-q35-"));
  ck_assert_uint_ge (q35->cpu_max, 255);
  ck_assert (caps->cpu_phys_bits && caps->ram_reserve);
  const BigvmCpuExpansion *max = bigvm_qemu_find_expansion (caps, "max");
  const BigvmCpuExpansion *westmere = bigvm_qemu_find_expansion (caps, "Westmere");
  ck_assert_str_eq (max->vendor_id, "AuthenticAMD");
  ck_assert (max->lm && max->pdpe1gb);
  ck_assert_str_eq (westmere->vendor_id, "GenuineIntel");
  ck_assert (westmere->lm && !westmere->pdpe1gb);
  ck_assert_ptr_null (bigvm_qemu_find_expansion (caps, "no-such-model"));

  /* The GVariant form carries everything. */
  g_autoptr (GVariant) variant = bigvm_qemu_caps_to_variant (caps);
  g_autoptr (BigvmQemuCaps) back = bigvm_qemu_caps_from_variant (variant, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (bigvm_qemu_machines (back)->len, bigvm_qemu_machines (caps)->len);
  ck_assert_uint_eq (bigvm_qemu_cpu_models (back)->len, bigvm_qemu_cpu_models (caps)->len);
  ck_assert_str_eq (bigvm_qemu_find_machine (back, "q35")->name, q35->name);
  ck_assert (bigvm_qemu_find_expansion (back, "max")->pdpe1gb);
  ck_assert (back->ram_reserve && back->cpu_phys_bits);
}
END_TEST

START_TEST (test_close_names)
{
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  g_autofree char *machines = bigvm_qemu_close_names (bigvm_qemu_machines (caps), "pc-q53-7.2");
  g_autofree char *models = bigvm_qemu_close_names (bigvm_qemu_cpu_models (caps), "Westmer");
  g_autofree char *none = bigvm_qemu_close_names (bigvm_qemu_cpu_models (caps), "zzzzzzzzzzzz");

  ck_assert (g_str_has_prefix (machines, "pc-q35-7.2, "));
  ck_assert (g_str_has_prefix (models, "Westmere"));
  ck_assert_ptr_null (none);
}
END_TEST

Suite *
suite_qemu (void)
{
  Suite *s = suite_create ("qemu");
  TCase *tc = tcase_create ("version");
  tcase_add_test (tc, test_parse_version);
  tcase_add_test (tc, test_version_compare);
  tcase_add_test (tc, test_probe_faults);
  tcase_add_test (tc, test_find);
  tcase_add_test (tc, test_probe_real);
  tcase_add_test (tc, test_close_names);
  suite_add_tcase (s, tc);
  tc = tcase_create ("qmp");
  tcase_add_test (tc, test_qmp_lines);
  tcase_add_test (tc, test_repeated_names);
  tcase_add_test (tc, test_qmp_faults);
  tcase_set_timeout (tc, 60);
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  return s;
}
