/* bigvm: the whole pipeline as one call.  A flavor file is read and
 * validated, the host and QEMU are probed (or their facts injected), the
 * guest is planned and its command line built; every command (show, run,
 * check, explain, host) and the tests go through it, so what the golden
 * tests pin is what show prints.  Decisions, warnings and the refusal come
 * back as data, in the order they were found; printing them is the
 * caller's.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "abi.h"
#include "cpu-probe.h"
#include "firmware.h"
#include "flavor.h"
#include "host-probe.h"
#include "plan.h"
#include "qemu.h"

#include <glib.h>

/* What the caller will do with the guest decides what a host short of
 * memory is. */
typedef enum {
  BIGVM_PURPOSE_RUN,           /* run and check: about to use the host, so a refusal */
  BIGVM_PURPOSE_SHOW,          /* show: only prints, so a warning */
  BIGVM_PURPOSE_EXPLAIN,       /* as show, and a plan refused once its address map is
                                * known is kept, for explain to show the map */
  BIGVM_PURPOSE_ABI,           /* as show, and differences from the record are the
                                * caller's to print (bigvm abi) */
} BigvmPurpose;

typedef struct {
  const char *flavor_path;     /* NULL: the host and QEMU only (bigvm host) */
  BigvmPurpose purpose;
  BigvmAccel accel;            /* as asked on the command line */
  gboolean sparse_ram;
  const char *cpuid_dump;      /* plan for the host this libcpuid dump is; NULL: this one */
  const char *qemu;            /* QEMU's name (looked up in PATH) or path */
  guint probe_timeout_ms;      /* for each QEMU started to ask what it can do */
  const char *const *qemu_args; /* appended to the command line as they are; may be NULL */
  const char *abi_record;      /* compare with this record, not the guest's own */
  gboolean abi_update;         /* the guest moves on: no machine type pinned */
  /* run --incoming: the guest arrives by migration on this URI, with TLS
   * from this directory (NULL: the flavor's bigvm:migrate_tls_dir).  It
   * must be the one its record holds, to the last feature gained. */
  const char *incoming;
  const char *incoming_tls_dir;

  /* Where things are; NULL for the default. */
  const char *cache_dir;       /* ${XDG_CACHE_HOME:-~/.cache}/bigvm */
  const char *state_dir;       /* ${XDG_STATE_HOME:-~/.local/state}/bigvm: NVRAM files */
  const char *const *firmware_dirs; /* bigvm_firmware_search_dirs() */

  /* Facts given instead of probed (tests); the pipeline takes them over. */
  BigvmHost *host;
  BigvmQemuCaps *caps;
  GPtrArray *firmware;
  /* CPUs QEMU built, by bigvm_cpu_config_key() (tests' recordings);
   * borrowed.  A configuration missing from it is a refusal. */
  GHashTable *cpu_states;
} BigvmPipelineInput;

typedef struct {
  /* Each stage's result, NULL when the pipeline stopped before it. */
  BigvmFlavor *flavor;
  BigvmHost *host;
  BigvmQemuCaps *caps;
  GPtrArray *firmware;         /* BigvmFirmware, UEFI guests only */
  BigvmPlan *plan;             /* explain: may be set beside a refusal */
  BigvmCpuState *cpu;          /* the guest CPU QEMU builds; NULL when not known
                                * before it starts (another host's KVM) */
  char *abi_path;              /* the guest's ABI record */
  BigvmAbi *record;            /* what it holds (or input abi_record's); NULL: none yet */
  BigvmAbi *abi;               /* the guest's ABI as it starts now */
  GPtrArray *abi_changed;      /* how ABI differs from RECORD (bigvm_abi_compare) */
  GPtrArray *abi_gained;
  GPtrArray *argv;             /* what run executes (not NULL-terminated) */

  GPtrArray *notes;            /* decisions and findings, in order ("ok" in check) */
  GPtrArray *warnings;         /* the flavor's, the planner's, the cache's, the host's */
  GError *refusal;             /* why the guest cannot run, or NULL */
} BigvmPipeline;

/* Runs the pipeline as far as it goes: never NULL. */
BigvmPipeline *bigvm_pipeline_new (BigvmPipelineInput *input);

void bigvm_pipeline_free (BigvmPipeline *pipeline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmPipeline, bigvm_pipeline_free)
