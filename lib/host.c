/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "host.h"

#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXT_LEAF(n) ((n) - 0x80000000u)

/* Bits of CPUID 0x80000001 EDX and ECX, and of leaf 1 ECX. */
#define CPUID_EXT_EDX_PDPE1GB (1u << 26)
#define CPUID_EXT_EDX_LM (1u << 29)
#define CPUID_EXT_ECX_SVM (1u << 2)
#define CPUID_1_ECX_VMX (1u << 5)

/* Why "KVM_GET_API_VERSION == 12": the API version every KVM has
 * reported since Linux 2.6.22 (Documentation/virt/kvm/api.rst). */
#define KVM_STABLE_API_VERSION 12

/* Real dumps are under 100 KiB; libcpuid would read anything line by line. */
#define MAX_DUMP_BYTES (1024 * 1024)

static void
copy_registers (char *out, const uint32_t *regs, const int *order, gsize n)
{
  for (gsize i = 0; i < n; i++)
    memcpy (out + 4 * i, &regs[order[i]], 4);
}

BigvmHost *
bigvm_host_from_cpuid (const struct cpu_raw_data_t *raw, const char *source)
{
  BigvmHost *host = g_new0 (BigvmHost, 1);
  static const int vendor_order[] = { EBX, EDX, ECX };
  static const int brand_order[] = { EAX, EBX, ECX, EDX };
  char vendor[13] = { 0 };
  guint32 max_ext = raw->ext_cpuid[0][EAX];

  host->source = g_strdup (source);
  copy_registers (vendor, raw->basic_cpuid[0], vendor_order, 3);
  host->vendor_id = g_strdup (vendor);
  if (g_str_equal (vendor, "GenuineIntel"))
    host->vendor = BIGVM_VENDOR_INTEL;
  else if (g_str_equal (vendor, "AuthenticAMD"))
    host->vendor = BIGVM_VENDOR_AMD;

  host->vmx = raw->basic_cpuid[0][EAX] >= 1
              && (raw->basic_cpuid[1][ECX] & CPUID_1_ECX_VMX) != 0;

  /* Extended leaves above the maximum leaf 0x80000000 reports are not
   * valid: Intel answers them with its highest basic leaf's data. */
  if (max_ext >= 0x80000001u)
    {
      const uint32_t *leaf = raw->ext_cpuid[EXT_LEAF (0x80000001u)];
      host->long_mode = (leaf[EDX] & CPUID_EXT_EDX_LM) != 0;
      host->pdpe1gb = (leaf[EDX] & CPUID_EXT_EDX_PDPE1GB) != 0;
      host->svm = (leaf[ECX] & CPUID_EXT_ECX_SVM) != 0;
    }

  if (max_ext >= 0x80000004u)
    {
      char brand[49] = { 0 };
      for (guint i = 0; i < 3; i++)
        copy_registers (brand + 16 * i, raw->ext_cpuid[EXT_LEAF (0x80000002u) + i],
                        brand_order, 4);
      host->model_name = g_strdup (g_strstrip (brand));
    }
  else
    host->model_name = g_strdup ("");

  /* Without leaf 0x80000008, 36 bits if the CPU has PAE/PSE-36-era
   * addressing: what Linux assumes too (arch/x86/kernel/cpu/common.c). */
  if (max_ext >= 0x80000008u)
    host->phys_bits = raw->ext_cpuid[EXT_LEAF (0x80000008u)][EAX] & 0xff;
  else
    host->phys_bits = 36;

  /* AMD memory encryption (SME/SEV) takes EBX[11:6] bits off the physical
   * address width when it is active (AMD APM vol. 3, CPUID Fn8000_001F). */
  if (host->vendor == BIGVM_VENDOR_AMD && max_ext >= 0x8000001Fu)
    host->mem_encrypt_bits_lost = (raw->ext_cpuid[EXT_LEAF (0x8000001Fu)][EBX] >> 6) & 0x3f;

  host->kvm = BIGVM_KVM_FROM_DUMP;
  host->kvm_detail = g_strdup (host->vmx || host->svm
                               ? "planned for another host whose CPU has VMX/SVM"
                               : "planned for another host whose CPU has no VMX/SVM");
  return host;
}

static void
probe_kvm (BigvmHost *host)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);

  g_free (host->kvm_detail);
  if (fd < 0)
    {
      int saved_errno = errno;
      host->kvm = saved_errno == ENOENT || saved_errno == ENXIO || saved_errno == ENODEV
                  ? BIGVM_KVM_MISSING : BIGVM_KVM_DENIED;
      host->kvm_detail = g_strdup_printf ("cannot open /dev/kvm: %s",
                                          g_strerror (saved_errno));
      return;
    }
  int version = ioctl (fd, KVM_GET_API_VERSION, 0);
  close (fd);
  if (version != KVM_STABLE_API_VERSION)
    {
      host->kvm = BIGVM_KVM_NOT_KVM;
      host->kvm_detail = g_strdup ("/dev/kvm is not a KVM device");
      return;
    }
  host->kvm = BIGVM_KVM_USABLE;
  host->kvm_detail = g_strdup ("/dev/kvm is usable");
}

BigvmHost *
bigvm_host_probe (GError **error)
{
  struct cpu_raw_data_t raw;

  cpuid_set_warn_function (NULL);
  if (cpuid_get_raw_data (&raw) != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "cannot read this CPU's CPUID: %s", cpuid_error ());
      return NULL;
    }
  BigvmHost *host = bigvm_host_from_cpuid (&raw, "this host");
  probe_kvm (host);
  return host;
}

BigvmHost *
bigvm_host_from_dump (const char *path, GError **error)
{
  struct cpu_raw_data_t raw;
  struct stat st;

  /* libcpuid reads stdin for "", and says little about why a file cannot
   * be opened: check that first. */
  int fd = *path == '\0' ? -1 : open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      int saved_errno = *path == '\0' ? ENOENT : errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s: %s", path,
                   g_strerror (saved_errno));
      return NULL;
    }
  gboolean regular = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
  close (fd);
  if (!regular || st.st_size > MAX_DUMP_BYTES)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   regular ? "%s: too large for a CPUID dump" : "%s: not a regular file",
                   path);
      return NULL;
    }

  memset (&raw, 0, sizeof raw);
  cpuid_set_warn_function (NULL);
  if (cpuid_deserialize_raw_data (&raw, path) != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   "%s: not a CPUID dump libcpuid can read: %s", path, cpuid_error ());
      return NULL;
    }
  /* Some formats (cpuid(1)'s own, say) read "successfully" as all zeros:
   * a real CPU always reports a maximum basic leaf and a vendor. */
  if (raw.basic_cpuid[0][EBX] == 0 && raw.basic_cpuid[0][EDX] == 0
      && raw.basic_cpuid[0][ECX] == 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT,
                   "%s: no CPUID data libcpuid can read (expected lines such as "
                   "\"basic_cpuid[0]=...\", from cpuid_serialize_raw_data)", path);
      return NULL;
    }
  return bigvm_host_from_cpuid (&raw, path);
}

void
bigvm_host_free (BigvmHost *host)
{
  if (host == NULL)
    return;
  g_free (host->source);
  g_free (host->vendor_id);
  g_free (host->model_name);
  g_free (host->kvm_detail);
  g_free (host);
}

const char *
bigvm_cpu_vendor_name (BigvmCpuVendor vendor)
{
  switch (vendor)
    {
    case BIGVM_VENDOR_INTEL: return "Intel";
    case BIGVM_VENDOR_AMD: return "AMD";
    case BIGVM_VENDOR_OTHER: break;
    }
  return "other";
}
