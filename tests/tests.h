/* bigvm tests: one Check suite per lib/ module, and shared fixtures.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "cpu-probe.h"
#include "flavor.h"
#include "host-probe.h"
#include "pipeline.h"
#include "plan.h"
#include "qemu.h"

#include <check.h>
#include <glib.h>
#include <stdio.h>

Suite *suite_util (void);
Suite *suite_cache (void);
Suite *suite_layout (void);
Suite *suite_flavor (void);
Suite *suite_host (void);
Suite *suite_qemu (void);
Suite *suite_firmware (void);
Suite *suite_plan (void);
Suite *suite_argv (void);
Suite *suite_nvram (void);
Suite *suite_files (void);
Suite *suite_prealloc (void);
Suite *suite_pipeline (void);
Suite *suite_golden (void);
Suite *suite_abi (void);
Suite *suite_migrate (void);
Suite *suite_openstack (void);

/* tests/ in the source tree. */
const char *test_srcdir (void);

/* Raw CPUID registers of a made-up CPU. */
typedef struct {
  const char *vendor;          /* 12 characters */
  guint phys_bits;             /* 0: no leaf 0x80000008 */
  guint max_ext;               /* highest extended leaf; 0: 0x80000008 */
  guint sme_bits_lost;         /* written to 0x8000001F EBX[11:6] */
  gboolean lm, pdpe1gb, vmx, svm;
  const char *brand;
} TestCpu;

void test_cpuid_fill (struct cpu_raw_data_t *raw, const TestCpu *cpu);

/* Hosts the golden tests plan for, by name ("intel-46", "amd-48", ...),
 * built from TestCpu registers with KVM as a dump host. */
BigvmHost *test_host_new (const char *name);

/* Debian 12's QEMU 7.2.22 at /usr/bin/qemu-system-x86_64, as probed under
 * TCG (tests/data/qemu-7.2.22-tcg.caps). */
BigvmQemuCaps *test_caps_new (void);

/* The CPUs that QEMU built under TCG, by bigvm_cpu_config_key()
 * (tests/data/qemu-7.2.22-tcg.cpus), for BigvmPipelineInput.cpu_states:
 * the CPU probe recorded, as the capabilities are. */
GHashTable *test_cpu_states (void);

/* With BIGVM_TEST_REGENERATE=1, when P stopped for want of a recorded
 * CPU, asks the real QEMU for it, adds it to the recording and returns
 * TRUE: the caller runs its pipeline again. */
gboolean test_cpu_states_fill (const BigvmPipeline *p);

/* The descriptors in tests/data/firmware, with their files taken as present. */
GPtrArray *test_firmware_new (void);

/* Parses TEXT as a flavor named "test.flavor" (base directory /flavors),
 * asserting success. */
BigvmFlavor *test_flavor (const char *text);

/* Parses TEXT and returns the error message, asserting failure with CODE. */
char *test_flavor_error (const char *text, int code);

/* A temporary directory, removed with its files at teardown. */
char *test_tmpdir_new (void);
void test_tmpdir_remove (const char *dir);
