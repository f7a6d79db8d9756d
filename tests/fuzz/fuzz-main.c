/* libFuzzer: set up once for every harness.  A GLib critical (a library
 * called the wrong way) or warning is a bug the fuzzer must report, not a
 * line in its log.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}
