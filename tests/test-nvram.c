/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "nvram.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;
static char *template;

static void
setup (void)
{
  dir = test_tmpdir_new ();
  template = g_build_filename (dir, "VARS.template", NULL);
  ck_assert (g_file_set_contents (template, "template-bytes", -1, NULL));
}

static void
teardown (void)
{
  test_tmpdir_remove (dir);
  g_free (dir);
  g_free (template);
}

static char *
contents (const char *path)
{
  char *data = NULL;
  ck_assert (g_file_get_contents (path, &data, NULL, NULL));
  return data;
}

START_TEST (test_create_missing)
{
  g_autofree char *nvram = g_build_filename (dir, "state", "bigvm", "db1_VARS.fd", NULL);
  g_autoptr (GError) error = NULL;
  gboolean exists = TRUE;
  struct stat st;

  ck_assert (bigvm_nvram_check (nvram, &exists, &error));
  ck_assert (!exists);
  ck_assert_msg (bigvm_nvram_create (nvram, template, &error), "%s", error ? error->message : "");
  g_autofree char *data = contents (nvram);
  ck_assert_str_eq (data, "template-bytes");
  ck_assert (stat (nvram, &st) == 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0600);
  g_autofree char *parent = g_path_get_dirname (nvram);
  ck_assert (stat (parent, &st) == 0);
  ck_assert_uint_eq (st.st_mode & 07777, 0700);
  /* No temporary file left beside it. */
  g_autoptr (GDir) listing = g_dir_open (parent, 0, NULL);
  ck_assert_str_eq (g_dir_read_name (listing), "db1_VARS.fd");
  ck_assert_ptr_null (g_dir_read_name (listing));
  /* The template is only read. */
  g_autofree char *t = contents (template);
  ck_assert_str_eq (t, "template-bytes");
}
END_TEST

START_TEST (test_existing_kept)
{
  g_autofree char *nvram = g_build_filename (dir, "db1_VARS.fd", NULL);
  g_autoptr (GError) error = NULL;
  gboolean exists = FALSE;

  ck_assert (g_file_set_contents (nvram, "guest-variables", -1, NULL));
  ck_assert (bigvm_nvram_check (nvram, &exists, &error));
  ck_assert (exists);
  /* Even asked to, creation never replaces what is there. */
  ck_assert (bigvm_nvram_create (nvram, template, &error));
  g_autofree char *data = contents (nvram);
  ck_assert_str_eq (data, "guest-variables");
}
END_TEST

START_TEST (test_refused)
{
  g_autofree char *target = g_build_filename (dir, "elsewhere.fd", NULL);
  g_autofree char *link = g_build_filename (dir, "link_VARS.fd", NULL);
  g_autofree char *subdir = g_build_filename (dir, "sub", NULL);
  const char *paths[] = { link, subdir, NULL };

  ck_assert (g_file_set_contents (target, "precious", -1, NULL));
  ck_assert (symlink (target, link) == 0);
  ck_assert (g_mkdir (subdir, 0700) == 0);
  for (const char **p = paths; *p != NULL; p++)
    {
      g_autoptr (GError) error = NULL;
      gboolean exists;
      ck_assert_msg (!bigvm_nvram_check (*p, &exists, &error), "%s accepted", *p);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
    }
  g_autofree char *data = contents (target);
  ck_assert_str_eq (data, "precious");
}
END_TEST

START_TEST (test_template_missing)
{
  g_autofree char *nvram = g_build_filename (dir, "x_VARS.fd", NULL);
  g_autoptr (GError) error = NULL;

  ck_assert (!bigvm_nvram_create (nvram, "/nonexistent/VARS.fd", &error));
  ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
  ck_assert (!g_file_test (nvram, G_FILE_TEST_EXISTS));
}
END_TEST

Suite *
suite_nvram (void)
{
  Suite *s = suite_create ("nvram");
  TCase *tc = tcase_create ("files");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_create_missing);
  tcase_add_test (tc, test_existing_kept);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_template_missing);
  suite_add_tcase (s, tc);
  return s;
}
