/* bigvm: the probe of the host that will run the guest: its CPU (through
 * libcpuid, live or from a raw dump), KVM, memory, huge pages and NUMA
 * nodes.  With the QEMU probe (qemu.h), the only stage that reads the
 * machine.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <libcpuid/libcpuid.h>

typedef enum {
  BIGVM_VENDOR_OTHER,
  BIGVM_VENDOR_INTEL,
  BIGVM_VENDOR_AMD,
} BigvmCpuVendor;

typedef enum {
  BIGVM_KVM_USABLE,        /* /dev/kvm opens read-write and makes VMs */
  BIGVM_KVM_MISSING,
  BIGVM_KVM_DENIED,        /* cannot open it read-write */
  BIGVM_KVM_NOT_KVM,       /* opens, but is no KVM device */
  BIGVM_KVM_IN_USE,        /* makes no VM: another hypervisor holds VMX/SVM */
  BIGVM_KVM_NO_VM,         /* makes no VM for another reason */
  BIGVM_KVM_FROM_DUMP,     /* another host: kvm_detail says what the CPU can do */
  BIGVM_KVM_NOT_ASKED,     /* this host, with TCG asked for */
} BigvmKvmState;

/* A pool of huge pages of one size, the whole host's or a node's. */
typedef struct {
  guint64 page_size;       /* bytes */
  guint64 total;           /* pages */
  guint64 free;
} BigvmHugePool;

typedef struct {
  guint id;
  char *cpus;              /* the kernel's cpulist, e.g. "0-15,32-47" */
  guint cpu_count;
  guint64 mem_total;       /* bytes */
  guint64 mem_free;
  GArray *hugepages;       /* BigvmHugePool, by size */
} BigvmHostNode;

typedef struct {
  char *source;            /* "this host", or the dump's path */
  BigvmCpuVendor vendor;
  char *vendor_id;         /* CPUID leaf 0, e.g. "AuthenticAMD" */
  char *model_name;        /* brand string, "" when the CPU has none */
  guint phys_bits;         /* CPUID 0x80000008 EAX[7:0]; 36 without the leaf */
  guint mem_encrypt_bits_lost; /* CPUID 0x8000001F EBX[11:6] (AMD) */
  gboolean long_mode;
  gboolean pdpe1gb;        /* 1 GiB pages */
  gboolean vmx;
  gboolean svm;

  BigvmKvmState kvm;
  char *kvm_detail;        /* why KVM is not usable, for messages */
  /* What decides the CPU KVM builds for a guest, besides QEMU: this CPU,
   * its microcode, the kernel and KVM's parameters, in one digest (for
   * the CPU cache); NULL unless KVM is usable here. */
  char *kvm_identity;
  struct cpu_raw_data_t *raw; /* the CPUID leaves read (all of a dump's) */

  /* The width a guest can use: the kernel's "address sizes" on this host
   * (net of memory encryption), CPUID's for a dump. */
  guint effective_phys_bits;
  guint kernel_phys_bits;  /* 0: not known (a dump, or no /proc) */

  /* Memory, this host only (has_memory FALSE for a dump). */
  gboolean has_memory;
  guint64 mem_total;       /* bytes, /proc/meminfo */
  guint64 mem_available;
  guint online_cpus;
  GArray *hugepages;       /* BigvmHugePool, by size */
  GPtrArray *nodes;        /* BigvmHostNode, by id */
  int overcommit_memory;   /* vm.overcommit_memory, or -1 when not known */
} BigvmHost;

/* Facts from raw CPUID registers (pure).  SOURCE names them in messages. */
BigvmHost *bigvm_host_from_cpuid (const struct cpu_raw_data_t *raw, const char *source);

/* This host: CPUID of the CPU bigvm runs on, /dev/kvm (unless KVM is
 * FALSE: making a VM to see that KVM works costs milliseconds), and the
 * memory, huge pages and NUMA nodes ROOT's /proc and /sys show ("/" for
 * the real ones; tests pass a tree of their own). */
BigvmHost *bigvm_host_probe (const char *root, gboolean kvm, GError **error);

/* Reads ROOT's /proc/cpuinfo, /proc/meminfo and /sys into HOST. */
void bigvm_host_read_system (BigvmHost *host, const char *root);

/* The huge page size of the hugetlbfs mount DIR is on, or 0 when it is not
 * on one (or cannot be read). */
guint64 bigvm_hugetlbfs_page_size (const char *dir);

/* The pool of PAGE_SIZE pages in POOLS (BigvmHugePool), or NULL. */
const BigvmHugePool *bigvm_host_find_pool (GArray *pools, guint64 page_size);

/* The host whose libcpuid raw dump PATH is (cpuid_deserialize_raw_data).
 * Unreadable: BIGVM_ERROR_NO_INPUT. */
BigvmHost *bigvm_host_from_dump (const char *path, GError **error);

void bigvm_host_free (BigvmHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmHost, bigvm_host_free)

/* "Intel", "AMD", "other", for people. */
const char *bigvm_cpu_vendor_name (BigvmCpuVendor vendor);

/* CPUID leaf 0's vendor string of VENDOR ("GenuineIntel",
 * "AuthenticAMD"), or NULL for another. */
const char *bigvm_cpu_vendor_id (BigvmCpuVendor vendor);

/* The vendor a CPUID vendor string names.  Exactly "AuthenticAMD" is AMD,
 * as QEMU's IS_AMD_CPU() has it (target/i386/cpu.h; hw/i386/pc.c decides
 * the 1 TiB relocation on it), so Hygon's "HygonGenuine" is another. */
BigvmCpuVendor bigvm_cpu_vendor_from_id (const char *vendor_id);

/* Host NUMA node ID, or NULL when the host has none such. */
const BigvmHostNode *bigvm_host_find_node (const BigvmHost *host, guint id);
