/* bigvm: facts about the host that will run the guest: its CPU (through
 * libcpuid, live or from a raw dump) and KVM.
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
  BIGVM_KVM_USABLE,        /* /dev/kvm opens read-write and answers */
  BIGVM_KVM_MISSING,
  BIGVM_KVM_DENIED,        /* cannot open it read-write */
  BIGVM_KVM_NOT_KVM,       /* opens, but is no KVM device */
  BIGVM_KVM_FROM_DUMP,     /* another host: kvm_detail says what the CPU can do */
} BigvmKvmState;

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
} BigvmHost;

/* Facts from raw CPUID registers (pure).  SOURCE names them in messages. */
BigvmHost *bigvm_host_from_cpuid (const struct cpu_raw_data_t *raw, const char *source);

/* This host: CPUID of the CPU bigvm runs on, and /dev/kvm. */
BigvmHost *bigvm_host_probe (GError **error);

/* The host whose libcpuid raw dump PATH is (cpuid_deserialize_raw_data).
 * Unreadable: BIGVM_ERROR_NO_INPUT. */
BigvmHost *bigvm_host_from_dump (const char *path, GError **error);

void bigvm_host_free (BigvmHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmHost, bigvm_host_free)

const char *bigvm_cpu_vendor_name (BigvmCpuVendor vendor);
