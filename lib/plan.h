/* bigvm: the plan, worked out from the flavor, the host and the QEMU
 * binary without any I/O: what the guest gets, or why it cannot run.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "firmware.h"
#include "flavor.h"
#include "host.h"
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
} BigvmPlanOptions;

typedef struct {
  BigvmAccel accel;            /* KVM or TCG */
  char *accel_reason;          /* why, for -v */
  char *name;
  char *machine;               /* as QEMU is to be given it */
  char *cpu_model;
  GPtrArray *cpu_props;        /* "phys-bits=42", "+pdpe1gb", ... */
  guint vcpus;
  guint64 ram_bytes;
  guint64 maxmem_bytes;        /* 0: no hotplug */
  guint mem_slots;
  gboolean sparse_ram;

  /* UEFI only: the firmware descriptor chosen, and the guest's own
   * variable store (created from the template at launch when missing). */
  const BigvmFirmware *firmware;
  char *nvram;

  GPtrArray *warnings;         /* for the operator, on stderr */
} BigvmPlan;

/* Works out the plan.  A guest that cannot run this way is refused with
 * BIGVM_ERROR_FLAVOR (the flavor asks for something impossible) or
 * BIGVM_ERROR_UNAVAILABLE (this host or QEMU cannot do it), the message
 * naming the flavor key at fault.  FIRMWARE must outlive the plan. */
BigvmPlan *bigvm_plan_new (const BigvmFlavor *flavor, const BigvmHost *host,
                           const BigvmQemuCaps *caps, GPtrArray *firmware,
                           const BigvmPlanOptions *options, GError **error);

void bigvm_plan_free (BigvmPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmPlan, bigvm_plan_free)

const char *bigvm_accel_name (BigvmAccel accel);
