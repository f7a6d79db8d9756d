/* Migration, the pure parts (lib/migrate.c): URIs, bigvm:migrate_* with
 * the command line, what query-migrate says, when to switch to postcopy.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "migrate.h"
#include "util.h"

#include <string.h>

START_TEST (test_uris)
{
  const char *good[] = { "unix:/run/bigvm/m.sock", "tcp:10.0.0.2:4444", "tcp:[::1]:4444",
                         "tcp:dst.example:1" };
  const char *bad[] = { "unix:relative.sock", "tcp:host", "tcp::4444", "tcp:h:0", "tcp:h:65536",
                        "exec:cat", "rdma:h:1", "" };
  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    ck_assert_msg (bigvm_migrate_check_uri (good[i], "URI", FALSE, NULL), "%s refused", good[i]);
  /* A listener takes every address without a host; a peer needs one. */
  ck_assert (bigvm_migrate_check_uri ("tcp::4444", "--incoming", TRUE, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      ck_assert_msg (!bigvm_migrate_check_uri (bad[i], "URI", FALSE, &error), "%s accepted", bad[i]);
      ck_assert_int_eq (error->code, BIGVM_ERROR_USAGE);
    }
  g_autofree char *long_path = g_strdup_printf ("unix:/%0108d", 0);
  ck_assert (!bigvm_migrate_check_uri (long_path, "URI", FALSE, NULL));
}
END_TEST

START_TEST (test_rates)
{
  guint64 bytes;
  ck_assert (bigvm_parse_rate ("1G", &bytes, NULL) && bytes == G_GUINT64_CONSTANT (1) << 30);
  ck_assert (bigvm_parse_rate ("1024", &bytes, NULL) && bytes == 1024);
  ck_assert (bigvm_parse_rate ("64M", &bytes, NULL) && bytes == 64 << 20);
  ck_assert (!bigvm_parse_rate ("1023", &bytes, NULL));
  ck_assert (!bigvm_parse_rate ("2T", &bytes, NULL));
  ck_assert (!bigvm_parse_rate ("1G/s", &bytes, NULL));
  ck_assert (!bigvm_parse_rate ("", &bytes, NULL));
}
END_TEST

/* The command line wins over the flavor, the flavor over the defaults. */
START_TEST (test_settings)
{
  g_autoptr (BigvmFlavor) flavor = test_flavor ("name = m\nram = 1G\nvcpus = 1\n"
                                                "bigvm:qmp = /run/m.qmp\n"
                                                "bigvm:migrate_bandwidth = 512M\n"
                                                "bigvm:migrate_downtime = 1000\n"
                                                "bigvm:migrate_postcopy = never\n"
                                                "bigvm:migrate_tls_dir = /etc/pki/m\n");
  g_autoptr (BigvmFlavor) plain = test_flavor ("name = m\nram = 1G\nvcpus = 1\n");
  BigvmMigrateSettings from_flavor = { 0 }, given = { .bandwidth = 1024, .downtime_ms = 5,
                                                      .tls_dir = "/tmp/x" }, none = { 0 };

  bigvm_migrate_settings_init (&from_flavor, flavor);
  ck_assert_uint_eq (from_flavor.bandwidth, 512 << 20);
  ck_assert_uint_eq (from_flavor.downtime_ms, 1000);
  ck_assert_str_eq (from_flavor.tls_dir, "/etc/pki/m");
  ck_assert_str_eq (from_flavor.qmp, "/run/m.qmp");
  ck_assert_int_eq (flavor->migrate_postcopy, 0);
  bigvm_migrate_settings_init (&given, flavor);
  ck_assert_uint_eq (given.bandwidth, 1024);
  ck_assert_uint_eq (given.downtime_ms, 5);
  ck_assert_str_eq (given.tls_dir, "/tmp/x");
  bigvm_migrate_settings_init (&none, plain);
  ck_assert_uint_eq (none.bandwidth, 0);
  ck_assert_uint_eq (none.downtime_ms, 300);
  ck_assert_ptr_null (none.tls_dir);
  ck_assert_int_eq (plain->migrate_postcopy, -1);
}
END_TEST

START_TEST (test_bad_keys)
{
  g_autofree char *a = test_flavor_error ("name = m\nram = 1G\nvcpus = 1\n"
                                          "bigvm:migrate_postcopy = always\n", BIGVM_ERROR_FLAVOR);
  g_autofree char *b = test_flavor_error ("name = m\nram = 1G\nvcpus = 1\n"
                                          "bigvm:migrate_downtime = 0\n", BIGVM_ERROR_FLAVOR);
  g_autofree char *c = test_flavor_error ("name = m\nram = 1G\nvcpus = 1\n"
                                          "bigvm:migrate_bandwidth = 10\n", BIGVM_ERROR_FLAVOR);
  ck_assert_str_eq (a, "test.flavor:4: bigvm:migrate_postcopy: \"always\" is not auto or never");
  ck_assert_ptr_nonnull (strstr (b, "test.flavor:4: bigvm:migrate_downtime: "));
  ck_assert_str_eq (c, "test.flavor:4: bigvm:migrate_bandwidth: 10 bytes per second is below "
                       "the 1K bigvm takes");
}
END_TEST

static void
read_sample (const char *json, BigvmMigrateSample *sample)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  ck_assert_ptr_nonnull (node);
  bigvm_migrate_sample_read (node, sample);
}

START_TEST (test_sample)
{
  g_auto (BigvmMigrateSample) s = { 0 };

  /* QEMU 7.2's reply during precopy, as recorded here. */
  read_sample ("{\"expected-downtime\": 3998, \"status\": \"active\", \"setup-time\": 1495, "
               "\"total-time\": 14207, \"ram\": {\"total\": 1074282496, \"postcopy-requests\": 0, "
               "\"dirty-sync-count\": 2, \"page-size\": 4096, \"remaining\": 154763264, "
               "\"mbps\": 537.13, \"transferred\": 32646985, \"duplicate\": 4060, "
               "\"dirty-pages-rate\": 5187, \"normal\": 7946}}", &s);
  ck_assert_str_eq (s.status, "active");
  ck_assert_uint_eq (s.pass, 2);
  ck_assert_uint_eq (s.total, 1074282496);
  ck_assert_uint_eq (s.remaining, 154763264);
  ck_assert_uint_eq (s.zero_pages, 4060);
  ck_assert_uint_eq (s.normal_pages, 7946);
  ck_assert_uint_eq (s.dirty_rate, 5187);
  ck_assert (s.mbps > 537 && s.mbps < 538);
  ck_assert_int_eq (s.expected_downtime_ms, 3998);
  ck_assert_int_eq (s.downtime_ms, -1);
  ck_assert_ptr_null (s.error);

  read_sample ("{\"status\": \"failed\", \"error-desc\": \"Unable to write to socket: Broken pipe\"}",
               &s);
  ck_assert_str_eq (s.status, "failed");
  ck_assert_str_eq (s.error, "Unable to write to socket: Broken pipe");
  ck_assert_uint_eq (s.total, 0);
  read_sample ("{}", &s);
  ck_assert_str_eq (s.status, "none");
  ck_assert_ptr_null (s.error);
}
END_TEST

/* Over the limit for two syncs in a row after the first pass: switch. */
START_TEST (test_convergence)
{
  BigvmConvergence c = { 0 };
  BigvmMigrateSample s = { .downtime_limit_ms = 300 };

  g_strlcpy (s.status, "active", sizeof s.status);
  s.pass = 1;
  s.expected_downtime_ms = 9999;
  ck_assert (!bigvm_migrate_not_converging (&c, &s));   /* the first pass says nothing */
  s.pass = 2;
  ck_assert (!bigvm_migrate_not_converging (&c, &s));
  ck_assert (!bigvm_migrate_not_converging (&c, &s));   /* the same sync, seen again */
  s.pass = 3;
  s.expected_downtime_ms = 200;
  ck_assert (!bigvm_migrate_not_converging (&c, &s));   /* back under: count again */
  s.pass = 4;
  s.expected_downtime_ms = 500;
  ck_assert (!bigvm_migrate_not_converging (&c, &s));
  s.pass = 5;
  ck_assert (bigvm_migrate_not_converging (&c, &s));
  g_strlcpy (s.status, "postcopy-active", sizeof s.status);
  s.pass = 6;
  ck_assert (!bigvm_migrate_not_converging (&c, &s));
}
END_TEST

Suite *
suite_migrate (void)
{
  Suite *s = suite_create ("migrate");
  TCase *tc = tcase_create ("source");

  tcase_add_test (tc, test_uris);
  tcase_add_test (tc, test_rates);
  tcase_add_test (tc, test_settings);
  tcase_add_test (tc, test_bad_keys);
  tcase_add_test (tc, test_sample);
  tcase_add_test (tc, test_convergence);
  suite_add_tcase (s, tc);
  return s;
}
