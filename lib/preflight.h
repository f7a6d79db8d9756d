/* bigvm: start QEMU with the real command line, stopped, and ask it what
 * the guest CPU got.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

typedef struct {
  guint phys_bits;             /* the first vCPU's, as QEMU realized it */
  gboolean host_phys_bits;
  gboolean pdpe1gb;
  char *vendor;
} BigvmPreflight;

void bigvm_preflight_clear (BigvmPreflight *preflight);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BigvmPreflight, bigvm_preflight_clear)

/* Runs ARGV plus -S and a QMP socket in a private directory, waits until
 * QEMU answers, reads the first vCPU's properties and quits it, all within
 * TIMEOUT_MS.  A QEMU that fails to start is BIGVM_ERROR_UNAVAILABLE, with
 * what it said. */
gboolean bigvm_preflight_run (const GPtrArray *argv, guint timeout_ms,
                              BigvmPreflight *ret_preflight, GError **error);
