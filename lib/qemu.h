/* bigvm: what the QEMU binary is and can do.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

typedef struct {
  guint major, minor, micro;
} BigvmVersion;

#define BIGVM_VERSION_CODE(major, minor, micro) \
  ((major) * 1000000u + (minor) * 1000u + (micro))
#define BIGVM_VERSION_TO_CODE(v) BIGVM_VERSION_CODE ((v).major, (v).minor, (v).micro)

/* The oldest QEMU bigvm drives: the first with the x86 phys-bits property
 * (QEMU 2.7, target/i386/cpu.c). */
#define BIGVM_QEMU_MIN_VERSION BIGVM_VERSION_CODE (2, 7, 0)

typedef struct {
  char *path;                  /* absolute */
  BigvmVersion version;
} BigvmQemuCaps;

/* Reads "QEMU emulator version X.Y.Z ..." from `qemu --version` output. */
gboolean bigvm_qemu_parse_version (const char *output, BigvmVersion *ret_version,
                                   GError **error);

/* NAME if it contains a slash, else NAME looked up in PATH; absolute. */
char *bigvm_qemu_find (const char *name, GError **error);

/* Asks the QEMU at PATH what it is; each process it starts is killed after
 * TIMEOUT_MS.  QEMU that cannot run, or is older than bigvm supports:
 * BIGVM_ERROR_UNAVAILABLE. */
BigvmQemuCaps *bigvm_qemu_probe (const char *path, guint timeout_ms, GError **error);

void bigvm_qemu_caps_free (BigvmQemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmQemuCaps, bigvm_qemu_caps_free)
