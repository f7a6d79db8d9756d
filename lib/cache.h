/* bigvm: QEMU's capabilities, kept between runs so that a warm bigvm
 * starts no QEMU at all.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "cpu-probe.h"
#include "qemu.h"

#include <glib.h>

/* What identifies a QEMU binary: a new build, even at the same path,
 * differs in one of these. */
typedef struct {
  char *path;                  /* resolved, absolute */
  guint64 size;
  gint64 mtime_ns;
  guint64 inode;
  guint64 device;
} BigvmBinaryId;

gboolean bigvm_binary_id (const char *path, BigvmBinaryId *ret_id, GError **error);
void bigvm_binary_id_clear (BigvmBinaryId *id);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BigvmBinaryId, bigvm_binary_id_clear)

/* ${XDG_CACHE_HOME:-~/.cache}/bigvm */
char *bigvm_cache_dir (void);

/* QEMU's capabilities under ACCEL, with the expansions of MODELS: from the
 * cache in CACHE_DIR when it has them for this very binary, else probed
 * (each QEMU killed after TIMEOUT_MS) and written back.  A cache that is
 * missing, corrupt, stale or from another bigvm is probed again; one that
 * cannot be written costs a warning added to WARNINGS.  *RET_PROBED says
 * whether a QEMU process ran. */
BigvmQemuCaps *bigvm_cache_get_caps (const char *path, const char *accel,
                                     const char *const *models, const char *cache_dir,
                                     guint timeout_ms, GPtrArray *warnings,
                                     gboolean *ret_probed, GError **error);

/* The cache file for ID under ACCEL, and reading and writing it.  Load
 * fails when the file is absent, unreadable, or not for ID and this bigvm;
 * store writes a temporary file and renames it into place. */
char *bigvm_cache_file (const char *cache_dir, const BigvmBinaryId *id, const char *accel);
BigvmQemuCaps *bigvm_cache_load (const char *file, const BigvmBinaryId *id, GError **error);
gboolean bigvm_cache_store (const char *file, const BigvmBinaryId *id,
                            const BigvmQemuCaps *caps, GError **error);

/* The CPU QEMU at PATH builds for CONFIG (cpu-probe.h): from the cache
 * in CACHE_DIR when it holds it for this very binary, configuration and
 * HOST_IDENTITY (what else decides the answer: the host CPU and kernel
 * under KVM; NULL under TCG, whose CPU is the same on every host), else
 * probed and written back, as bigvm_cache_get_caps(). */
BigvmCpuState *bigvm_cache_get_cpu (const char *path, const BigvmCpuConfig *config,
                                    const char *host_identity, const char *cache_dir,
                                    guint timeout_ms, GPtrArray *warnings,
                                    gboolean *ret_probed, GError **error);
