/* bigvm: what the QEMU binary is and can do, asked over QMP.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "host-probe.h"

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  guint major, minor, micro;
} BigvmVersion;

/* Below zero, zero or above as VERSION is older than, the same as or
 * newer than MAJOR.MINOR.MICRO, component by component (no packed
 * integer to overflow: QEMU's components are any size). */
int bigvm_version_compare (const BigvmVersion *version, guint major, guint minor, guint micro);

/* The oldest QEMU bigvm drives: x86 phys-bits came with 2.7
 * (target/i386/cpu.c), the "memory-backend" machine property, through
 * which bigvm gives every guest its RAM, with 5.0 (hw/core/machine.c). */
#define BIGVM_QEMU_MIN_MAJOR 5

typedef struct {
  char *name;
  char *alias;                 /* "q35", or NULL */
  gboolean is_default;
  gboolean deprecated;
  guint cpu_max;
  guint order;                 /* its place in QEMU's list */
} BigvmMachineType;

typedef struct {
  char *name;
  char *alias_of;              /* "qemu64-v1" for "qemu64", or NULL */
  gboolean deprecated;
  GVariant *unavailable;       /* as: features the probed accelerator lacks */
  guint order;                 /* its place in QEMU's list */
} BigvmCpuModel;

/* A CPU model's properties as QEMU expands them (query-cpu-model-expansion
 * type=full, target/i386/cpu.c builtin_x86_defs). */
typedef struct {
  char *vendor_id;             /* "AuthenticAMD"; the host's under KVM */
  gboolean lm;                 /* 64-bit: phys-bits can be set */
  gboolean pdpe1gb;            /* 1 GiB pages */
  gboolean pse36;              /* 36 physical bits for 32-bit models */
} BigvmCpuExpansion;

typedef struct {
  char *path;                  /* absolute */
  BigvmVersion version;
  char *accel;                 /* the accelerator the probe ran with */
  /* Every machine type (BigvmMachineType) and CPU model (BigvmCpuModel):
   * through bigvm_qemu_machines() and bigvm_qemu_cpu_models(), which list
   * them from the cache only when asked. */
  GPtrArray *machines;
  GPtrArray *cpu_models;
  /* Capabilities from the cache: its lists, sorted by name, which the
   * lookups search without reading the rest; NULL for a probe's. */
  GVariant *machines_v;        /* a(ssbbuu) */
  GVariant *aliases_v;         /* a{ss}: machine alias -> name */
  GVariant *models_v;          /* a(ssbasu) */
  GHashTable *found;           /* what the lookups took out of them */
  GHashTable *expansions;      /* model name -> BigvmCpuExpansion */
  /* Properties bigvm relies on (qom-list-properties). */
  gboolean cpu_phys_bits;      /* phys-bits, host-phys-bits */
  gboolean ram_reserve;        /* memory-backend-ram reserve (6.1) */
  gboolean prealloc_threads;
  gboolean prealloc_context;   /* thread-context (7.2) */
  gboolean memfd_hugetlb;
  /* What -cpu MODEL,+NAME and -NAME may say: the writable boolean
   * properties of the named models (base-x86_64-cpu), and the few more of
   * max and host (max-x86_64-cpu); "as", sorted. */
  GVariant *cpu_flags;
  GVariant *host_cpu_flags;
} BigvmQemuCaps;

/* Reads "QEMU emulator version X.Y.Z ..." from `qemu --version` output. */
gboolean bigvm_qemu_parse_version (const char *output, BigvmVersion *ret_version,
                                   GError **error);

/* NAME if it contains a slash, else NAME looked up in PATH; absolute. */
char *bigvm_qemu_find (const char *name, GError **error);

/* Runs PATH --version; QEMU that cannot run or is older than bigvm
 * supports: BIGVM_ERROR_UNAVAILABLE. */
gboolean bigvm_qemu_get_version (const char *path, guint timeout_ms,
                                 BigvmVersion *ret_version, GError **error);

/* Asks the QEMU at PATH, started with accelerator ACCEL ("tcg" or "kvm")
 * and no machine, what it can do, and expands the CPU models in MODELS
 * (NULL-terminated) that it has.  The probe is killed after TIMEOUT_MS.
 * Failures: BIGVM_ERROR_UNAVAILABLE. */
BigvmQemuCaps *bigvm_qemu_probe (const char *path, const char *accel,
                                 const char *const *models, guint timeout_ms,
                                 GError **error);

/* Adds to CAPS the expansions of MODELS it lacks, probing again. */
gboolean bigvm_qemu_expand_models (BigvmQemuCaps *caps, const char *const *models,
                                   guint timeout_ms, GError **error);

/* Empty capabilities, to be filled by replies. */
BigvmQemuCaps *bigvm_qemu_caps_new (const char *path, const char *accel);

/* Adds what QEMU answered to COMMAND (query-machines or
 * query-cpu-definitions) to CAPS (pure).  A reply of the wrong shape:
 * BIGVM_ERROR_UNAVAILABLE. */
gboolean bigvm_qemu_caps_add_reply (BigvmQemuCaps *caps, const char *command, JsonNode *reply,
                                    GError **error);

/* The capabilities as a GVariant, and back (pure): the cache holds it in
 * GVariant's binary form, which loads without parsing; the tests' recorded
 * capabilities in its text form (g_variant_print). */
GVariant *bigvm_qemu_caps_to_variant (const BigvmQemuCaps *caps);
BigvmQemuCaps *bigvm_qemu_caps_from_variant (GVariant *variant, GError **error);

void bigvm_qemu_caps_free (BigvmQemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmQemuCaps, bigvm_qemu_caps_free)

/* Every machine type and CPU model. */
GPtrArray *bigvm_qemu_machines (const BigvmQemuCaps *caps);
GPtrArray *bigvm_qemu_cpu_models (const BigvmQemuCaps *caps);

/* A machine type by name or alias; NULL if QEMU has none. */
const BigvmMachineType *bigvm_qemu_find_machine (const BigvmQemuCaps *caps, const char *name);
const BigvmCpuModel *bigvm_qemu_find_cpu_model (const BigvmQemuCaps *caps, const char *name);
const BigvmCpuExpansion *bigvm_qemu_find_expansion (const BigvmQemuCaps *caps, const char *name);

/* Whether -cpu MODEL,+FLAG (or -FLAG) names a boolean property of MODEL
 * that QEMU lets the command line set. */
gboolean bigvm_qemu_cpu_flag_known (const BigvmQemuCaps *caps, const char *model,
                                    const char *flag);

/* Up to three names in NAMES (machine or CPU model names) close to NAME,
 * comma-separated, or NULL. */
char *bigvm_qemu_close_names (GPtrArray *items, const char *name);
