/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"

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

static char *
write_script (const char *dir, const char *name, const char *body)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strconcat ("#!/bin/sh\n", body, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  ck_assert (g_chmod (path, 0755) == 0);
  return path;
}

/* QEMU binaries that do not do what QEMU does: each is refused with a
 * clear reason, within the timeout. */
START_TEST (test_probe_faults)
{
  g_autofree char *dir = test_tmpdir_new ();
  static const struct { const char *body; const char *message; } cases[] = {
    { "echo 'QEMU emulator version 2.6.2 (qemu-kvm)'\n",
      "is QEMU 2.6.2; bigvm needs 2.7.0 or newer (the first with phys-bits)" },
    { "echo 'something else'\n", "--version printed \"something else\", not" },
    { "", "--version printed \"\"" },
    { "exit 3\n", "--version exited with status 3" },
    { "kill -SEGV $$\n", "--version was killed by signal 11" },
    { "sleep 30\n", "did not finish within 0.5 s; killed it" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("qemu-%zu", i);
      g_autofree char *path = write_script (dir, name, cases[i].body);
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_probe (path, 500, &error);

      ck_assert_msg (caps == NULL, "%s accepted", cases[i].body);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
      ck_assert_msg (strstr (error->message, cases[i].message) != NULL, "%s: %s", cases[i].body,
                     error->message);
      ck_assert (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
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

START_TEST (test_probe_real)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = bigvm_qemu_find ("qemu-system-x86_64", &error);

  if (path == NULL)
    {
      printf ("skip: qemu-system-x86_64 is not installed\n");
      return;
    }
  g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_probe (path, 10000, &error);
  ck_assert_msg (caps != NULL, "%s", error ? error->message : "");
  ck_assert_uint_ge (caps->version.major, 7);
}
END_TEST

Suite *
suite_qemu (void)
{
  Suite *s = suite_create ("qemu");
  TCase *tc = tcase_create ("version");
  tcase_add_test (tc, test_parse_version);
  tcase_add_test (tc, test_probe_faults);
  tcase_add_test (tc, test_find);
  tcase_add_test (tc, test_probe_real);
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  return s;
}
