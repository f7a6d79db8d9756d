/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"
#include "errors.h"
#include "util.h"

#include <string.h>

#include <locale.h>

START_TEST (test_parse_uint)
{
  guint64 v = 0;

  ck_assert (bigvm_parse_uint ("42", 32, 52, &v, NULL));
  ck_assert_uint_eq (v, 42);
  ck_assert (bigvm_parse_uint ("007", 0, 10, &v, NULL));
  ck_assert_uint_eq (v, 7);

  static const char *const bad[] = { "", " 4", "4 ", "+4", "-4", "0x10", "4.0", "53",
                                     "31", "99999999999999999999999" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!bigvm_parse_uint (bad[i], 32, 52, &v, &error), "accepted \"%s\"", bad[i]);
      ck_assert (error != NULL);
    }
}
END_TEST

START_TEST (test_parse_size)
{
  static const struct { const char *text; guint64 bytes; } good[] = {
    { "1024", 1024 * BIGVM_MiB }, { "1T", BIGVM_TiB }, { "1010G", 1010 * BIGVM_GiB },
    { "1536M", 1536 * BIGVM_MiB }, { "4K", 4096 }, { "4096T", 4096 * BIGVM_TiB },
  };
  static const char *const bad[] = { "", "T", "1 T", "1t", "1TB", "1.5G", "-1G", "4097T",
                                     "18446744073709551615T" };
  guint64 bytes;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      ck_assert_msg (bigvm_parse_size (good[i].text, BIGVM_MiB, G_GUINT64_CONSTANT (1) << 52,
                                       &bytes, NULL), "rejected %s", good[i].text);
      ck_assert_uint_eq (bytes, good[i].bytes);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    ck_assert_msg (!bigvm_parse_size (bad[i], BIGVM_MiB, G_GUINT64_CONSTANT (1) << 52, &bytes,
                                      NULL), "accepted %s", bad[i]);
}
END_TEST

START_TEST (test_format_size)
{
  static const struct { guint64 bytes; const char *exact; const char *human; } cases[] = {
    { BIGVM_TiB, "1T", "1 TiB" },
    { 1010 * BIGVM_GiB, "1010G", "1010 GiB" },
    { 1536 * BIGVM_MiB, "1536M", "1.5 GiB" },
    { 4096, "4K", "4 KiB" },
    { 1000, "1000", "1000 bytes" },
    { BIGVM_TiB - BIGVM_MiB, "1048575M", "1024.0 GiB" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *exact = bigvm_format_size (cases[i].bytes);
      g_autofree char *human = bigvm_format_size_human (cases[i].bytes);
      ck_assert_str_eq (exact, cases[i].exact);
      ck_assert_str_eq (human, cases[i].human);
    }
  g_autofree char *exact = bigvm_format_size_exact (4094 * BIGVM_GiB);
  g_autofree char *bytes = bigvm_format_size_exact (1000);
  ck_assert_str_eq (exact, "4094 GiB");
  ck_assert_str_eq (bytes, "1000 bytes");
}
END_TEST

/* A comma-decimal locale must not leak into messages or QEMU arguments. */
START_TEST (test_format_size_locale)
{
  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL)
    {
      printf ("skip: no de_DE.UTF-8 locale here\n");
      return;
    }
  g_autofree char *human = bigvm_format_size_human (1536 * BIGVM_MiB);
  setlocale (LC_ALL, "C");
  ck_assert_str_eq (human, "1.5 GiB");
}
END_TEST

START_TEST (test_qemu_opt_escape)
{
  g_autofree char *a = bigvm_qemu_opt_escape ("/srv/a,b,,c");
  g_autofree char *b = bigvm_qemu_opt_escape ("plain");
  ck_assert_str_eq (a, "/srv/a,,b,,,,c");
  ck_assert_str_eq (b, "plain");
}
END_TEST

START_TEST (test_bit_length)
{
  ck_assert_uint_eq (bigvm_bit_length (0), 0);
  ck_assert_uint_eq (bigvm_bit_length (1), 1);
  ck_assert_uint_eq (bigvm_bit_length (0x2077fffffffull), 42);
  ck_assert_uint_eq (bigvm_bit_length (0x1ffffffffffull), 41);
  ck_assert_uint_eq (bigvm_bit_length (G_MAXUINT64), 64);
}
END_TEST

/* A 200 KB input is echoed as its start and its length. */
START_TEST (test_echo)
{
  g_autofree char *short_text = bigvm_echo ("hw:maxphysaddr_bit");
  g_autofree char *long_key = g_strnfill (200000, 'k');
  g_autofree char *long_echo = bigvm_echo (long_key);
  g_autofree char *want = g_strdup_printf ("%.60s... (200000 bytes)", long_key);
  g_autofree char *wide = g_strnfill (100, 'x');
  g_autofree char *accents = g_strjoinv ("\303\251", (char *[]) { wide, wide, NULL });
  g_autofree char *accents_echo = bigvm_echo (accents);

  ck_assert_str_eq (short_text, "hw:maxphysaddr_bit");
  ck_assert_str_eq (long_echo, want);
  ck_assert_msg (g_utf8_validate (accents_echo, -1, NULL), "%s", accents_echo);
  ck_assert_uint_le (strlen (accents_echo), 100);
}
END_TEST

START_TEST (test_escape_control)
{
  g_autofree char *plain = bigvm_escape_control ("db1.flavor:4: ram: 1 TiB\nsecond line, caf\303\251");
  g_autofree char *raw = bigvm_escape_control ("/tmp/\033]0;owned\007x\tcaf\351 \302\233 \177");

  ck_assert_str_eq (plain, "db1.flavor:4: ram: 1 TiB\nsecond line, caf\303\251");
  ck_assert_str_eq (raw, "/tmp/\\x1b]0;owned\\x07x\\x09caf\\xe9 \\xc2\\x9b \\x7f");
}
END_TEST

START_TEST (test_edit_distance)
{
  ck_assert_uint_eq (bigvm_edit_distance ("ram", "ram"), 0);
  ck_assert_uint_eq (bigvm_edit_distance ("rma", "ram"), 2);
  ck_assert_uint_eq (bigvm_edit_distance ("hw:maxphysaddr_bit", "hw:maxphysaddr_bits"), 1);
  ck_assert_uint_eq (bigvm_edit_distance ("", "abc"), 3);
}
END_TEST

/* Inputs are read only as far as allowed: /dev/zero never ends. */
START_TEST (test_read_input_bounded)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;

  ck_assert (!bigvm_read_input ("/dev/zero", 1 << 20, &data, &len, &error));
  ck_assert_int_eq (error->code, BIGVM_ERROR_NO_INPUT);
  ck_assert_str_eq (error->message, "/dev/zero: too large");
  g_clear_error (&error);
  ck_assert (!bigvm_read_input ("/nonexistent", 1 << 20, &data, &len, &error));
  ck_assert_str_eq (error->message, "/nonexistent: No such file or directory");
}
END_TEST

Suite *
suite_util (void)
{
  Suite *s = suite_create ("util");
  TCase *tc = tcase_create ("numbers");
  tcase_add_test (tc, test_parse_uint);
  tcase_add_test (tc, test_parse_size);
  tcase_add_test (tc, test_format_size);
  tcase_add_test (tc, test_format_size_locale);
  tcase_add_test (tc, test_bit_length);
  suite_add_tcase (s, tc);
  tc = tcase_create ("text");
  tcase_add_test (tc, test_qemu_opt_escape);
  tcase_add_test (tc, test_edit_distance);
  tcase_add_test (tc, test_echo);
  tcase_add_test (tc, test_escape_control);
  tcase_add_test (tc, test_read_input_bounded);
  suite_add_tcase (s, tc);
  return s;
}
