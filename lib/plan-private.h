/* bigvm: what the planner's modules share and no one else uses.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"

/* A decision worth telling with -v and in check's list. */
void bigvm_plan_note (BigvmPlan *plan, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The guest's RAM: NUMA nodes and their backends, page size and
 * preallocation (plan-memory.c). */
gboolean bigvm_plan_memory (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                            const BigvmQemuCaps *caps, const BigvmPlanOptions *options,
                            GError **error);

/* The guest CPU: model, bigvm:cpu_flags, vendor, 64-bit or not, 1 GiB
 * pages, physical address bits (plan-cpu.c). */
gboolean bigvm_plan_cpu (BigvmPlan *plan, const BigvmFlavor *flavor, const BigvmHost *host,
                         const BigvmQemuCaps *caps, GError **error);

/* Nova's sockets x cores x threads from the flavor's preferences, or
 * none (-smp with the count only). */
gboolean bigvm_plan_topology (BigvmPlan *plan, const BigvmFlavor *flavor, GError **error);

/* Under TCG, QEMU takes APIC IDs up to 254 only. */
gboolean bigvm_plan_check_apic_ids (const BigvmPlan *plan, const BigvmFlavor *flavor,
                                    GError **error);
