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

/* Control characters and bytes that are not UTF-8 never reach a terminal
 * raw: bash's $'...' gives back the very bytes. */
START_TEST (test_shell_raw_bytes)
{
  g_autoptr (GPtrArray) argv = words ("/usr/bin/qemu", "file=/vm/\033[2Jx.img", "tab\there",
                                      "latin1-caf\351", "it's\\\n", "\302\233csi", "ok-\303\251",
                                      NULL);
  g_autofree char *line = bigvm_argv_to_shell (argv);

  ck_assert_str_eq (line, "/usr/bin/qemu $'file=/vm/\\x1b[2Jx.img' $'tab\\x09here' "
                          "$'latin1-caf\\xe9' $'it\\'s\\\\\\x0a' $'\\xc2\\x9bcsi' 'ok-\303\251'");
  for (const char *p = line; *p != '\0'; p++)
    ck_assert_msg ((guchar) *p >= 0x20 && *p != 0x7f, "raw byte 0x%02x in %s", (guchar) *p, line);
}
END_TEST

/* JSON text is UTF-8: a word that is not is the array of its bytes, and
 * the document parses. */
START_TEST (test_json_not_utf8)
{
  g_autoptr (GPtrArray) argv = words ("/usr/bin/qemu", "file=caf\351.img", NULL);
  g_autoptr (GPtrArray) warnings = words ("caf\351.flavor: ignored", NULL);
  g_autofree char *json = bigvm_argv_to_json (argv, warnings);
  g_autoptr (JsonParser) parser = json_parser_new ();

  ck_assert_msg (g_utf8_validate (json, -1, NULL), "%s", json);
  ck_assert_msg (json_parser_load_from_data (parser, json, -1, NULL), "%s", json);
  ck_assert_str_eq (json, "{\"argv\":[\"/usr/bin/qemu\",[102,105,108,101,61,99,97,102,233,46,105,"
                          "109,103]],\"warnings\":[\"caf\357\277\275.flavor: ignored\"]}");
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

/* QemuOpts' reading of one option argument: the keys of its key=value
 * pairs, where ",," is a literal comma (util/qemu-option.c). */
static GPtrArray *
qemu_opt_keys (const char *word)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  const char *p = word;

  while (*p != '\0')
    {
      GString *pair = g_string_new (NULL);
      for (; *p != '\0'; p++)
        {
          if (*p == ',' && p[1] == ',')
            {
              g_string_append_c (pair, ',');
              p++;
            }
          else if (*p == ',')
            {
              p++;
              break;
            }
          else
            g_string_append_c (pair, *p);
        }
      const char *eq = strchr (pair->str, '=');
      g_ptr_array_add (keys, g_strndup (pair->str, eq != NULL ? (gsize) (eq - pair->str)
                                                              : pair->len));
      g_string_free (pair, TRUE);
    }
  return keys;
}

/* Every flavor key that reaches the command line: a value with commas,
 * '=', blanks and a would-be property either is refused or arrives as one
 * value.  A new key must be added here, or this test fails. */
START_TEST (test_every_key_escaped)
{
  static const char *const hostile = "/a b/x,injected=on,,y=z.img";
  static const struct { const char *key; const char *value; gboolean refused; } keys[] = {
    { "name", "x,injected=on", FALSE },
    { "ram", "1G,injected=on", TRUE },
    { "vcpus", "1,injected=on", TRUE },
    { "hw:maxphysaddr_mode", "emulate,injected=on", TRUE },
    { "hw:maxphysaddr_bits", "42,injected=on", TRUE },
    { "hw_machine_type", "q35,injected=on", TRUE },
    { "hw_firmware_type", "uefi,injected=on", TRUE },
    { "hw:mem_page_size", "2MB,injected=on", TRUE },
    { "hw:numa_nodes", "1,injected=on", TRUE },
    { "hw:numa_cpus.N", "0,injected=on", TRUE },
    { "hw:numa_mem.N", "1G,injected=on", TRUE },
    { "hw:cpu_sockets", "1,injected=on", TRUE },
    { "hw:cpu_cores", "1,injected=on", TRUE },
    { "hw:cpu_threads", "1,injected=on", TRUE },
    { "bigvm:cpu_model", "max,injected=on", TRUE },
    { "bigvm:cpu_flags", "+pdpe1gb,injected=on", TRUE },
    { "bigvm:cpu_check", "warn,injected=on", TRUE },
    { "bigvm:maxmem", "2G,injected=on", TRUE },
    { "bigvm:mem_slots", "1,injected=on", TRUE },
    { "bigvm:nvram", NULL, FALSE },
    { "bigvm:abi", NULL, FALSE },
    { "bigvm:prealloc_threads", "1,injected=on", TRUE },
    { "bigvm:mem_path", NULL, FALSE },
    { "bigvm:numa_host_nodes.N", "0,injected=on", TRUE },
    { "bigvm:disk.N", NULL, FALSE },
    { "bigvm:disk.N.format", "raw,injected=on", TRUE },
    { "bigvm:cdrom", NULL, FALSE },
    { "bigvm:net", "tap:x,injected=on", TRUE },
    { "bigvm:qmp", NULL, FALSE },
    { "bigvm:pidfile", NULL, FALSE },
    { "bigvm:migrate_tls_dir", NULL, FALSE },
    { "bigvm:migrate_bandwidth", "1G,injected=on", TRUE },
    { "bigvm:migrate_downtime", "300,injected=on", TRUE },
    { "bigvm:migrate_postcopy", "auto,injected=on", TRUE },
    { "os_secure_boot", "required,injected=on", TRUE },
    { "os:secure_boot", "required,injected=on", TRUE },
  };
  g_autofree const char **known = bigvm_flavor_keys ();

  for (const char **k = known; *k != NULL; k++)
    {
      gboolean listed = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
        listed |= g_str_equal (keys[i].key, *k);
      ck_assert_msg (listed, "flavor key %s is not in test_every_key_escaped", *k);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *key = g_strdup (keys[i].key);
      char *n = strstr (key, ".N");
      if (n != NULL)
        n[1] = '0';
      const char *value = keys[i].value != NULL ? keys[i].value : hostile;
      g_autofree char *text = g_strdup_printf ("name = x\nram = 2G\nvcpus = 1\n"
                                               "hw_firmware_type = uefi\nhw:numa_nodes = 1\n"
                                               "hw:mem_page_size = 2MB\n%s = %s\n", key, value);
      /* The key under test replaces the base's own line for it. */
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      GString *flavor_text = g_string_new (NULL);
      for (char **line = lines; *line != NULL; line++)
        if (**line != '\0' && (!g_str_has_prefix (*line, key) || strstr (*line, value) != NULL))
          g_string_append_printf (flavor_text, "%s\n", *line);
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmFlavor) flavor = bigvm_flavor_parse ("t", "/f", flavor_text->str,
                                                           flavor_text->len, &error);
      g_string_free (flavor_text, TRUE);
      if (keys[i].refused)
        {
          ck_assert_msg (flavor == NULL, "%s = %s was accepted", key, value);
          continue;
        }
      ck_assert_msg (flavor != NULL, "%s: %s", key, error->message);
      /* bigvm's own file, which QEMU never sees; the TLS directory reaches
       * QEMU only with run --incoming (tests/golden/incoming-tls). */
      if (g_str_equal (key, "bigvm:abi") || g_str_equal (key, "bigvm:migrate_tls_dir"))
        continue;
      g_autoptr (BigvmHost) host = test_host_new ("amd-48");
      g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
      g_autoptr (GPtrArray) firmware = test_firmware_new ();
      BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .nvram_dir = "/s",
                                   .mem_path_page_size = 2 * 1024 * 1024 };
      g_autoptr (BigvmPlan) plan = bigvm_plan_new (flavor, host, caps, firmware, &options, &error);
      ck_assert_msg (plan != NULL, "%s: %s", key, error ? error->message : "");
      g_autoptr (GPtrArray) argv = bigvm_argv_build (plan, "/q", NULL);
      gboolean seen = FALSE;
      for (guint w = 0; w < argv->len; w++)
        {
          const char *word = argv->pdata[w];
          /* -pidfile takes a file name as it is, not options. */
          if (w > 0 && g_str_equal (argv->pdata[w - 1], "-pidfile"))
            {
              seen |= strstr (word, "x,injected=on,,y=z") != NULL;
              continue;
            }
          g_autoptr (GPtrArray) opt_keys = qemu_opt_keys (word);
          for (guint o = 0; o < opt_keys->len; o++)
            ck_assert_msg (!g_str_equal (opt_keys->pdata[o], "injected"),
                           "%s injected a property: %s", key, word);
          seen |= strstr (word, "injected") != NULL;
        }
      ck_assert_msg (seen, "%s: the value did not reach the command line", key);
    }
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
  tcase_add_test (tc, test_every_key_escaped);
  suite_add_tcase (s, tc);
  tc = tcase_create ("show");
  tcase_add_test (tc, test_shell_quoting);
  tcase_add_test (tc, test_json);
  tcase_add_test (tc, test_shell_raw_bytes);
  tcase_add_test (tc, test_json_not_utf8);
  suite_add_tcase (s, tc);
  return s;
}
