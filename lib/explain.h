/* bigvm: a plan's address map, for people and for programs (pure).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "plan.h"

#include <glib.h>

/* A table of regions, and the bits needed, given and to spare. */
char *bigvm_explain_text (const BigvmPlan *plan);

/* {"min_phys_bits": N, "max_gpa": "0x...", "regions": [...], ...}, as
 * bigvm(1) documents; "refused" holds REFUSAL's message, or null, and
 * "warnings" WARNINGS. */
char *bigvm_explain_json (const BigvmPlan *plan, const GPtrArray *warnings,
                          const GError *refusal);
