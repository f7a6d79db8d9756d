/* bigvm: the fleet view.  Which of the hosts whose CPUID dumps are in a
 * folder can take a guest, and which can take it as it is now (its ABI
 * record): the question before buying or draining hosts.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "pipeline.h"

#include <glib.h>

typedef enum {
  BIGVM_FLEET_FITS,            /* the guest does not depend on the host (TCG) */
  BIGVM_FLEET_MAY_FIT,         /* nothing proves otherwise; KVM there decides */
  BIGVM_FLEET_REFUSED,
} BigvmFleetVerdict;

typedef struct {
  char *host;                  /* the dump's file name */
  BigvmFleetVerdict verdict;
  char *reason;                /* why refused, or what to confirm; NULL when it fits */
} BigvmFleetHost;

/* "fits", "may fit", "refused" */
const char *bigvm_fleet_verdict_name (BigvmFleetVerdict verdict);

/* Every dump in DIR (regular files, by name; or DIR itself when it is a
 * dump), planned as INPUT plans (INPUT's cpuid_dump replaced; it gives
 * no host, capabilities or firmware, which each dump's pipeline would
 * take over), and held
 * to RECORD (NULL: the guest's own record, if it has one): a refusal of
 * the plan or a difference from the record the dump proves is
 * "refused".  A folder that cannot be read, or holds no dump:
 * BIGVM_ERROR_NO_INPUT. */
GPtrArray *bigvm_fleet_check (const BigvmPipelineInput *input, const char *dir,
                              const BigvmAbi *record, GError **error);

/* Whether one of HOSTS fits or may fit. */
gboolean bigvm_fleet_any_fits (const GPtrArray *hosts);
