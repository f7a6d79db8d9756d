/* bigvm: the guest CPU as QEMU builds it.  One paused QEMU with the
 * guest's machine type, accelerator, -cpu and -smp but 64 MiB of RAM and
 * no devices has the very CPU object of the real guest (RAM and devices
 * change nothing in it, measured on QEMU 7.2 for every model), so it
 * says before the launch which features the guest would lose and what
 * its CPU is; check --preflight reads the real guest's the same way.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "qmp.h"

#include <glib.h>

/* What the guest sees of its CPU, and what it lost. */
typedef struct {
  char *vendor;
  gint64 family, model, stepping;
  char *model_id;
  guint64 level, xlevel;
  guint phys_bits;
  GStrv feature_words;         /* "0x7.0x0.EBX = 0x011803a9", sorted; "-" for no subleaf */
  GStrv features;              /* enabled, by QEMU's own names, sorted */
  GStrv knobs;                 /* CPUID-shaping switches: "l3-cache=on", sorted */
  GStrv lost;                  /* unavailable-features: QEMU's order, each once */
  guint lost_unnamed;          /* lost bits QEMU has no name for */
} BigvmCpuState;

void bigvm_cpu_state_free (BigvmCpuState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmCpuState, bigvm_cpu_state_free)

/* Reads vCPU 0 of the QEMU QMP talks to: qom-get of its properties, and
 * the full expansion of its model MODEL, whose true features less the
 * lost ones are the enabled features (the feature words miss MSR-based
 * ones).  A reply of the wrong shape: BIGVM_ERROR_UNAVAILABLE. */
BigvmCpuState *bigvm_cpu_state_read (BigvmQmp *qmp, const char *model, GError **error);

/* What the guest's CPU is made of: everything of the command line that
 * reaches the CPU object. */
typedef struct {
  const char *machine;         /* a full machine type: pc-q35-7.2 */
  const char *accel;           /* "tcg" or "kvm" */
  const char *cpu;             /* the -cpu value without check or enforce */
  const char *smp;             /* the -smp value */
} BigvmCpuConfig;

/* CONFIG in one line, for the cache and the tests' recordings. */
char *bigvm_cpu_config_key (const BigvmCpuConfig *config);

/* The CPU of a guest made of CONFIG, from a paused QEMU at QEMU_PATH
 * with 64 MiB and check=off, killed after TIMEOUT_MS.  A configuration
 * QEMU refuses is BIGVM_ERROR_UNAVAILABLE with what QEMU said. */
BigvmCpuState *bigvm_cpu_probe (const char *qemu_path, const BigvmCpuConfig *config,
                                guint timeout_ms, GError **error);

/* The state as a GVariant, for the cache and the tests' recordings, and
 * back (NULL, with ERROR, for another shape). */
GVariant *bigvm_cpu_state_to_variant (const BigvmCpuState *state);
BigvmCpuState *bigvm_cpu_state_from_variant (GVariant *variant, GError **error);
