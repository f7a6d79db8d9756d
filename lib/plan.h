/* bigvm: the plan, worked out from the flavor, the host and the QEMU
 * binary without any I/O: what the guest gets, or why it cannot run.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "firmware.h"
#include "flavor.h"
#include "host-probe.h"
#include "layout.h"
#include "ovmf.h"
#include "qemu.h"

#include <glib.h>

typedef enum {
  BIGVM_ACCEL_AUTO,
  BIGVM_ACCEL_KVM,
  BIGVM_ACCEL_TCG,
} BigvmAccel;

typedef struct {
  BigvmAccel accel;            /* as asked on the command line */
  gboolean sparse_ram;         /* --sparse-ram */
  const char *nvram_dir;       /* where NAME_VARS.fd goes by default */
  guint64 mem_path_page_size;  /* bigvm:mem_path's huge page size, read by
                                * the caller (statfs); 0 when not hugetlbfs */
  /* The machine type the guest's ABI record holds, and the record: a
   * flavor naming the machine by alias keeps this one. */
  const char *pinned_machine;
  const char *record;
  /* run --incoming: where the guest's migration arrives, and the TLS
   * credentials it comes with (NULL: none). */
  const char *incoming;
  const char *incoming_tls_dir;
} BigvmPlanOptions;

/* One memory backend: all guest RAM, or one guest NUMA node's. */
typedef struct {
  guint node;                  /* guest node, or 0 without NUMA */
  guint64 size;
  GArray *cpus;                /* guint: the node's vCPUs; NULL without NUMA */
  GArray *host_nodes;          /* guint: bound to these host nodes; may be empty */
  gboolean thread_context;     /* prealloc threads run on HOST_NODES' CPUs */
} BigvmMemBackend;

typedef struct {
  BigvmAccel accel;            /* KVM or TCG */
  char *accel_reason;          /* why, for -v */
  char *name;
  char *machine;               /* the full machine type, e.g. pc-q35-7.2 */
  char *cpu_model;
  GPtrArray *cpu_props;        /* "phys-bits=42", "+pdpe1gb", ... */
  BigvmCpuCheck cpu_check;
  guint vcpus;
  guint64 ram_bytes;
  guint64 maxmem_bytes;        /* 0: no hotplug */
  guint mem_slots;
  gboolean sparse_ram;
  guint64 page_size;           /* huge pages of this size; 0: small pages */
  char *mem_path;              /* huge pages from this hugetlbfs directory */
  guint prealloc_threads;      /* huge pages are preallocated */
  gboolean numa;               /* one backend and -numa node per guest node */
  GPtrArray *mem_backends;     /* BigvmMemBackend */
  guint sockets, cores, threads; /* 0: -smp with the count only */

  /* Devices. */
  GPtrArray *disks;            /* BigvmDisk, copied */
  char *cdrom;
  BigvmNetKind net;
  char *net_name;
  char *mac;                   /* derived from the name: stable per guest */
  char *qmp;
  char *pidfile;
  char *incoming;              /* -incoming URI, or NULL */
  char *incoming_tls_dir;
  gboolean secure_boot;        /* SMM on, Secure Boot firmware */
  guint tseg_mbytes;           /* 0: QEMU's default TSEG */

  /* The guest's physical address space. */
  BigvmLayout *layout;
  BigvmCpuVendor guest_vendor;
  gboolean guest_lm;           /* 64-bit (long mode) */
  gboolean guest_pdpe1gb;
  gboolean accel_pdpe1gb;      /* the accelerator can give 1 GiB pages */
  guint guest_phys_bits;       /* what its CPU will report */
  guint qemu_min_bits;         /* what QEMU needs to start it */
  guint firmware_min_bits;     /* what OVMF needs to boot it; 0 for BIOS */
  guint min_phys_bits;         /* the larger */
  char *min_bits_reason;       /* "the 64-bit PCI hole ends at 0x...", for messages */
  BigvmOvmfView ovmf;          /* UEFI only */

  /* UEFI only: the firmware descriptor chosen, and the guest's own
   * variable store (created from the template at launch when missing). */
  const BigvmFirmware *firmware;
  char *nvram;

  GPtrArray *warnings;         /* the planner's own, for the operator */
  GPtrArray *notes;            /* decisions, for -v and explain */
} BigvmPlan;

/* The accelerator the plan will use, and why (pure; also decides which
 * QEMU capabilities to probe).  A refusal is BIGVM_ERROR_UNAVAILABLE. */
gboolean bigvm_plan_choose_accel (const BigvmHost *host, BigvmAccel requested,
                                  BigvmAccel *ret_accel, char **ret_reason, GError **error);

/* The CPU model the guest gets under ACCEL. */
const char *bigvm_plan_cpu_model (const BigvmFlavor *flavor, BigvmAccel accel);

/* Works out the plan.  A guest that cannot run this way is refused with
 * BIGVM_ERROR_FLAVOR (the flavor asks for something impossible) or
 * BIGVM_ERROR_UNAVAILABLE (this host or QEMU cannot do it), the message
 * naming the flavor key at fault.  CAPS must hold the CPU model's
 * expansion.  FIRMWARE must outlive the plan. */
BigvmPlan *bigvm_plan_new (const BigvmFlavor *flavor, const BigvmHost *host,
                           const BigvmQemuCaps *caps, GPtrArray *firmware,
                           const BigvmPlanOptions *options, GError **error);

/* Like bigvm_plan_new(), but a refusal found once the address map is
 * known still returns the plan as far as it got, with ERROR set: explain
 * shows the map of a guest that does not fit. */
BigvmPlan *bigvm_plan_explain (const BigvmFlavor *flavor, const BigvmHost *host,
                               const BigvmQemuCaps *caps, GPtrArray *firmware,
                               const BigvmPlanOptions *options, GError **error);

/* What the guest would lose of the CPU features it asks for: LOST (the
 * CPU object's unavailable-features, as cpu-probe.h reads them) and
 * UNNAMED bits QEMU has no name for.  With bigvm:cpu_check = enforce a
 * refusal (BIGVM_ERROR_UNAVAILABLE), with warn a warning, with none a
 * note. */
gboolean bigvm_plan_check_lost_features (BigvmPlan *plan, const BigvmFlavor *flavor,
                                         const char *const *lost, guint unnamed,
                                         GError **error);

/* What this host lacks to run PLAN: huge pages of its size (per bound
 * host node), memory for small pages, the host nodes it binds to.  FALSE
 * with every finding, one per line (BIGVM_ERROR_UNAVAILABLE); run and
 * check refuse on it, show and explain only warn.  A host known from a
 * CPUID dump has no memory to check. */
gboolean bigvm_plan_check_capacity (const BigvmPlan *plan, const BigvmFlavor *flavor,
                                    const BigvmHost *host, GError **error);

/* The topology key the flavor sets first, for messages ("vcpus" if none). */
const char *bigvm_plan_topology_key (const BigvmFlavor *flavor);

/* The sockets QEMU makes of the plan's -smp on MACHINE. */
guint bigvm_plan_sockets (const BigvmPlan *plan, const BigvmMachine *machine);

/* How long QEMU may take to preallocate PLAN's huge pages, in seconds:
 * about a second per GiB and thread, at least one. */
guint64 bigvm_plan_prealloc_seconds (const BigvmPlan *plan);

void bigvm_plan_free (BigvmPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmPlan, bigvm_plan_free)

const char *bigvm_accel_name (BigvmAccel accel);
