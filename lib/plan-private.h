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
