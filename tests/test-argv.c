/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "argv.h"

#include <json-glib/json-glib.h>
#include <string.h>

static GPtrArray *
words (const char *first, ...)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  va_list args;

  va_start (args, first);
  for (const char *w = first; w != NULL; w = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (w));
  va_end (args);
  return argv;
}

START_TEST (test_shell_quoting)
{
  g_autoptr (GPtrArray) argv = words ("/usr/bin/qemu", "-name", "guest=db1", "-m", "size=1T,slots=4",
                                      "a b", "it's", "", "$HOME", "x;y", "-cpu", "max,+pdpe1gb",
                                      "~/disk.img", "a~b", NULL);
  g_autofree char *line = bigvm_argv_to_shell (argv);

  ck_assert_str_eq (line, "/usr/bin/qemu -name guest=db1 -m size=1T,slots=4 'a b' 'it'\\''s' '' "
                          "'$HOME' 'x;y' -cpu max,+pdpe1gb '~/disk.img' 'a~b'");

  /* The shell reads the line back into the same words. */
  g_auto (GStrv) back = NULL;
  gint n;
  ck_assert (g_shell_parse_argv (line, &n, &back, NULL));
  ck_assert_int_eq (n, (gint) argv->len);
  for (guint i = 0; i < argv->len; i++)
    ck_assert_str_eq (back[i], argv->pdata[i]);
}
END_TEST

START_TEST (test_json)
{
  g_autoptr (GPtrArray) argv = words ("/usr/bin/qemu", "-name", "guest=\"q\"\n", NULL);
  g_autoptr (GPtrArray) warnings = words ("f:3: hw:cpu_policy: ignored", NULL);
  g_autofree char *json = bigvm_argv_to_json (argv, warnings);
  g_autoptr (JsonParser) parser = json_parser_new ();

  ck_assert (json_parser_load_from_data (parser, json, -1, NULL));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *a = json_object_get_array_member (root, "argv");
  JsonArray *w = json_object_get_array_member (root, "warnings");
  ck_assert_uint_eq (json_array_get_length (a), 3);
  ck_assert_str_eq (json_array_get_string_element (a, 2), "guest=\"q\"\n");
  ck_assert_str_eq (json_array_get_string_element (w, 0), "f:3: hw:cpu_policy: ignored");
  ck_assert_ptr_null (strchr (json, '\n'));  /* one line */
}
END_TEST

static GPtrArray *
build (const char *text, const char *const *extra)
{
  g_autoptr (BigvmFlavor) flavor = test_flavor (text);
  g_autoptr (BigvmHost) host = test_host_new ("amd-48");
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  g_autoptr (GPtrArray) firmware = test_firmware_new ();
  BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .sparse_ram = TRUE, .nvram_dir = "/state/bigvm" };
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmPlan) plan = bigvm_plan_new (flavor, host, caps, firmware, &options, &error);

  ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
  return bigvm_argv_build (plan, caps->path, extra);
}

static gboolean
has_word (GPtrArray *argv, const char *word)
{
  for (guint i = 0; i < argv->len; i++)
    if (g_str_equal (argv->pdata[i], word))
      return TRUE;
  return FALSE;
}

/* No flavor value can add a QEMU option or property: commas are doubled,
 * which is how QEMU's option parser reads a literal comma. */
START_TEST (test_no_injection)
{
  g_autoptr (GPtrArray) argv = build ("name = x,accel=kvm\nram = 64G\nvcpus = 1\n"
                                      "hw_firmware_type = uefi\n"
                                      "bigvm:nvram = /srv/a,readonly=on/x,.fd\n", NULL);
  ck_assert (has_word (argv, "guest=x,,accel=kvm"));
  ck_assert (has_word (argv, "if=pflash,unit=1,format=raw,file=/srv/a,,readonly=on/x,,.fd"));
}
END_TEST

START_TEST (test_extra_args)
{
  const char *extra[] = { "-device", "isa-debug-exit,iobase=0xf4", "--", "", NULL };
  g_autoptr (GPtrArray) argv = build ("name = x\nram = 64G\nvcpus = 1\n", extra);

  ck_assert_uint_ge (argv->len, 5);
  for (guint i = 0; i < 4; i++)
    ck_assert_str_eq (argv->pdata[argv->len - 4 + i], extra[i]);
  ck_assert_str_eq (argv->pdata[0], "/usr/bin/qemu-system-x86_64");
}
END_TEST

Suite *
suite_argv (void)
{
  Suite *s = suite_create ("argv");
  TCase *tc = tcase_create ("build");
  tcase_add_test (tc, test_no_injection);
  tcase_add_test (tc, test_extra_args);
  suite_add_tcase (s, tc);
  tc = tcase_create ("show");
  tcase_add_test (tc, test_shell_quoting);
  tcase_add_test (tc, test_json);
  suite_add_tcase (s, tc);
  return s;
}
