/* bigvm: the bounds bigvm holds flavors, dumps and plans to, each with
 * where it comes from.  One home, so that a bound the flavor parser checks
 * is the bound the planner and QEMU apply.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* Physical address bits of an x86-64 guest CPU: QEMU accepts phys-bits
 * 32..TARGET_PHYS_ADDR_SPACE_BITS (target/i386/cpu-param.h: 52;
 * target/i386/cpu.c x86_cpu_realizefn()), which is also the architectural
 * maximum (Intel SDM vol. 3A 4.1.4, MAXPHYADDR <= 52). */
#define BIGVM_MIN_PHYS_BITS 32
#define BIGVM_MAX_PHYS_BITS 52

/* Largest RAM and maxmem: what BIGVM_MAX_PHYS_BITS can address. */
#define BIGVM_MAX_RAM_BYTES (G_GUINT64_CONSTANT (1) << BIGVM_MAX_PHYS_BITS)

/* vcpus: bigvm's bound on the number a flavor may say.  QEMU's own limit
 * is the machine type's max_cpus (query-machines cpu-max: 288 for q35 and
 * 255 for pc in 7.2), which the planner applies; 4096 is the largest
 * KVM_MAX_VCPUS of x86 Linux (arch/x86/include/asm/kvm_host.h, with
 * CONFIG_MAXSMP as Debian builds it; 1024 otherwise). */
#define BIGVM_MAX_VCPUS 4096

/* Guest NUMA nodes: QEMU's MAX_NODES (include/sysemu/numa.h), which
 * -numa node,nodeid= and memory backends' host-nodes both check
 * (hw/core/numa.c parse_numa_node(), backends/hostmem.c
 * host_memory_backend_set_host_nodes()). */
#define BIGVM_MAX_NUMA_NODES 128

/* Host NUMA node ids a backend may bind to: below MAX_NODES too
 * (backends/hostmem.c: "Invalid host-nodes value"). */
#define BIGVM_MAX_HOST_NODE (BIGVM_MAX_NUMA_NODES - 1)

/* Memory hotplug slots: QEMU's ACPI_MAX_RAM_SLOTS (hw/mem/pc-dimm.h). */
#define BIGVM_MAX_MEM_SLOTS 256

/* Preallocation threads: bigvm's bound, well above any host's CPUs that
 * could usefully clear pages at once; QEMU's prealloc-threads is a uint32. */
#define BIGVM_MAX_PREALLOC_THREADS 1024

/* A flavor's name: Nova's limit (nova/api/openstack/compute/schemas/
 * flavor_manage.py, maxLength 255). */
#define BIGVM_MAX_NAME_CHARS 255

/* Largest flavor file bigvm reads; a flavor is a few hundred bytes. */
#define BIGVM_FLAVOR_MAX_BYTES (256 * 1024)

/* How much of an input bigvm echoes in a message: a 200 KB line is
 * summed up, not printed. */
#define BIGVM_MAX_ECHO_CHARS 80

/* Problems listed one per line before the rest are only counted. */
#define BIGVM_MAX_LISTED_PROBLEMS 20

/* The bounds of bigvm:migrate_bandwidth and --bandwidth, chosen by bigvm:
 * below 1 KiB/s no guest would ever move (and below 10 bytes/s QEMU 7.2
 * takes it as no limit at all: migration/migration.c divides
 * max-bandwidth by XFER_LIMIT_RATIO, and a rate of 0 is none); above
 * 1 TiB/s no link goes. */
#define BIGVM_MIGRATE_MIN_BANDWIDTH 1024
#define BIGVM_MIGRATE_MAX_BANDWIDTH (G_GUINT64_CONSTANT (1) << 40)
/* QEMU's downtime-limit range (migration.c migrate_params_check()). */
#define BIGVM_MIGRATE_MAX_DOWNTIME_MS 2000000
