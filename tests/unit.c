/* bigvm's unit tests: one runner, a suite per module.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include <locale.h>
#include <stdlib.h>

int
main (void)
{
  /* A GLib critical or warning is a bug, never only a log line. */
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  /* Hermetic: no locale, user directories or QEMU from the caller. */
  setlocale (LC_ALL, "C");
  g_setenv ("HOME", "/nonexistent/bigvm-test-home", TRUE);
  g_setenv ("XDG_CONFIG_HOME", "/nonexistent/bigvm-test-config", TRUE);
  g_setenv ("XDG_STATE_HOME", "/nonexistent/bigvm-test-state", TRUE);
  g_setenv ("XDG_CACHE_HOME", "/nonexistent/bigvm-test-cache", TRUE);
  g_unsetenv ("BIGVM_QEMU");

  SRunner *runner = srunner_create (suite_util ());
  srunner_add_suite (runner, suite_flavor ());
  srunner_add_suite (runner, suite_host ());
  srunner_add_suite (runner, suite_qemu ());
  srunner_add_suite (runner, suite_firmware ());
  srunner_add_suite (runner, suite_layout ());
  srunner_add_suite (runner, suite_plan ());
  srunner_add_suite (runner, suite_argv ());
  srunner_add_suite (runner, suite_nvram ());
  srunner_add_suite (runner, suite_cache ());
  srunner_add_suite (runner, suite_files ());
  srunner_add_suite (runner, suite_prealloc ());
  srunner_add_suite (runner, suite_abi ());
  srunner_add_suite (runner, suite_migrate ());
  srunner_add_suite (runner, suite_openstack ());
  srunner_add_suite (runner, suite_pipeline ());
  srunner_add_suite (runner, suite_golden ());
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
