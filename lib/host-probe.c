/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "host-probe.h"

#include "bounds.h"
#include "errors.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
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

static void node_free (gpointer data);

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
  host->raw = g_memdup2 (raw, sizeof *raw);
  copy_registers (vendor, raw->basic_cpuid[0], vendor_order, 3);
  host->vendor_id = g_strdup (vendor);
  host->vendor = bigvm_cpu_vendor_from_id (vendor);

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

  host->effective_phys_bits = host->phys_bits;
  host->hugepages = g_array_new (FALSE, FALSE, sizeof (BigvmHugePool));
  host->nodes = g_ptr_array_new_with_free_func (node_free);
  host->kvm = BIGVM_KVM_FROM_DUMP;
  host->overcommit_memory = -1;
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
  if (version != KVM_STABLE_API_VERSION)
    {
      close (fd);
      host->kvm = BIGVM_KVM_NOT_KVM;
      host->kvm_detail = g_strdup ("/dev/kvm is not a KVM device");
      return;
    }
  /* A VM is what QEMU will ask for; another hypervisor holding VMX or SVM
   * makes that fail with EBUSY. */
  int vm = ioctl (fd, KVM_CREATE_VM, 0);
  int saved_errno = errno;
  close (fd);
  if (vm < 0)
    {
      host->kvm = saved_errno == EBUSY ? BIGVM_KVM_IN_USE : BIGVM_KVM_NO_VM;
      host->kvm_detail = g_strdup_printf ("/dev/kvm cannot create a VM: %s%s",
                                          g_strerror (saved_errno),
                                          saved_errno == EBUSY
                                          ? " (another hypervisor uses VMX/SVM)" : "");
      return;
    }
  close (vm);
  host->kvm = BIGVM_KVM_USABLE;
  host->kvm_detail = g_strdup ("/dev/kvm is usable");
}

static char *
read_file (const char *root, const char *path)
{
  g_autofree char *full = g_build_filename (root, path, NULL);
  char *data = NULL;
  return g_file_get_contents (full, &data, NULL, NULL) ? data : NULL;
}

static gboolean
read_number (const char *root, const char *path, guint64 *ret)
{
  g_autofree char *text = read_file (root, path);
  return text != NULL && g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT64,
                                                      ret, NULL);
}

/* "MemTotal:       24683652 kB" in /proc/meminfo, or "Node 0 MemTotal:
 * ..." in a node's meminfo: the value of FIELD in bytes. */
static guint64
meminfo_bytes (const char *text, const char *field)
{
  g_autofree char *needle = g_strconcat (field, ":", NULL);
  const char *p = text != NULL ? strstr (text, needle) : NULL;
  guint64 kib;

  if (p == NULL)
    return 0;
  p += strlen (needle);
  while (*p == ' ')
    p++;
  return sscanf (p, "%" G_GUINT64_FORMAT, &kib) == 1 ? kib * 1024 : 0;
}

static gint
compare_pools (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const BigvmHugePool *) a)->page_size, y = ((const BigvmHugePool *) b)->page_size;
  return x < y ? -1 : x > y;
}

/* DIR/hugepages-2048kB/{nr,free}_hugepages, for the host or a node. */
static GArray *
read_pools (const char *root, const char *dir)
{
  GArray *pools = g_array_new (FALSE, FALSE, sizeof (BigvmHugePool));
  g_autofree char *full = g_build_filename (root, dir, NULL);
  g_autoptr (GDir) listing = g_dir_open (full, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      guint64 kib;
      BigvmHugePool pool = { 0 };
      if (sscanf (name, "hugepages-%" G_GUINT64_FORMAT "kB", &kib) != 1)
        continue;
      g_autofree char *nr = g_build_filename (dir, name, "nr_hugepages", NULL);
      g_autofree char *free_pages = g_build_filename (dir, name, "free_hugepages", NULL);
      pool.page_size = kib * 1024;
      if (read_number (root, nr, &pool.total) && read_number (root, free_pages, &pool.free))
        g_array_append_val (pools, pool);
    }
  g_array_sort (pools, compare_pools);
  return pools;
}

static guint
count_cpus (const char *cpulist)
{
  g_auto (GStrv) ranges = g_strsplit (cpulist, ",", -1);
  guint count = 0;

  for (char **r = ranges; *r != NULL; r++)
    {
      guint first, last;
      if (sscanf (*r, "%u-%u", &first, &last) == 2 && last >= first)
        count += last - first + 1;
      else if (sscanf (*r, "%u", &first) == 1)
        count++;
    }
  return count;
}

static void
node_free (gpointer data)
{
  BigvmHostNode *node = data;
  g_free (node->cpus);
  g_array_unref (node->hugepages);
  g_free (node);
}

static gint
compare_nodes (gconstpointer a, gconstpointer b)
{
  guint x = (*(BigvmHostNode *const *) a)->id, y = (*(BigvmHostNode *const *) b)->id;
  return x < y ? -1 : x > y;
}

void
bigvm_host_read_system (BigvmHost *host, const char *root)
{
  g_autofree char *cpuinfo = read_file (root, "proc/cpuinfo");
  g_autofree char *meminfo = read_file (root, "proc/meminfo");
  g_autofree char *online = read_file (root, "sys/devices/system/cpu/online");
  g_autofree char *node_dir = g_build_filename (root, "sys/devices/system/node", NULL);
  g_autoptr (GDir) nodes = g_dir_open (node_dir, 0, NULL);
  const char *name;
  const char *sizes = cpuinfo != NULL ? strstr (cpuinfo, "address sizes") : NULL;
  guint bits;

  /* "address sizes	: 48 bits physical, 48 bits virtual": what Linux
   * found usable, memory encryption taken off
   * (arch/x86/kernel/cpu/common.c get_cpu_address_sizes). */
  if (sizes != NULL && (sizes = strchr (sizes, ':')) != NULL
      && sscanf (sizes + 1, "%u bits physical", &bits) == 1 && bits >= 32 && bits <= 64)
    {
      host->kernel_phys_bits = bits;
      host->effective_phys_bits = MIN (bits, host->phys_bits);
    }

  host->has_memory = meminfo != NULL;
  host->mem_total = meminfo_bytes (meminfo, "MemTotal");
  host->mem_available = meminfo_bytes (meminfo, "MemAvailable");
  host->online_cpus = online != NULL ? count_cpus (g_strstrip (online)) : 0;
  guint64 overcommit;
  host->overcommit_memory = read_number (root, "proc/sys/vm/overcommit_memory", &overcommit)
                            && overcommit <= 2 ? (int) overcommit : -1;
  g_array_unref (host->hugepages);
  host->hugepages = read_pools (root, "sys/kernel/mm/hugepages");

  while (nodes != NULL && (name = g_dir_read_name (nodes)) != NULL)
    {
      guint id;
      char tail;
      if (sscanf (name, "node%u%c", &id, &tail) != 1)
        continue;
      g_autofree char *dir = g_build_filename ("sys/devices/system/node", name, NULL);
      g_autofree char *cpulist_path = g_build_filename (dir, "cpulist", NULL);
      g_autofree char *meminfo_path = g_build_filename (dir, "meminfo", NULL);
      g_autofree char *pools = g_build_filename (dir, "hugepages", NULL);
      g_autofree char *cpulist = read_file (root, cpulist_path);
      g_autofree char *node_meminfo = read_file (root, meminfo_path);
      g_autofree char *prefix = g_strdup_printf ("Node %u MemTotal", id);
      g_autofree char *free_prefix = g_strdup_printf ("Node %u MemFree", id);
      BigvmHostNode *node = g_new0 (BigvmHostNode, 1);

      node->id = id;
      node->cpus = g_strdup (cpulist != NULL ? g_strstrip (cpulist) : "");
      node->cpu_count = count_cpus (node->cpus);
      node->mem_total = meminfo_bytes (node_meminfo, prefix);
      node->mem_free = meminfo_bytes (node_meminfo, free_prefix);
      node->hugepages = read_pools (root, pools);
      g_ptr_array_add (host->nodes, node);
    }
  g_ptr_array_sort (host->nodes, compare_nodes);
}

guint64
bigvm_hugetlbfs_page_size (const char *dir)
{
  struct statfs st;

  /* hugetlbfs reports its page size as the block size (fs/hugetlbfs). */
  if (statfs (dir, &st) < 0 || st.f_type != HUGETLBFS_MAGIC)
    return 0;
  return st.f_bsize;
}

const BigvmHugePool *
bigvm_host_find_pool (GArray *pools, guint64 page_size)
{
  for (guint i = 0; pools != NULL && i < pools->len; i++)
    if (g_array_index (pools, BigvmHugePool, i).page_size == page_size)
      return &g_array_index (pools, BigvmHugePool, i);
  return NULL;
}

/* No x86 CPU has more than 52 physical address bits (bounds.h); a dump
 * that says so is not of a real CPU, and planning with its figure would
 * give guests bits no host has. */
static gboolean
check_phys_bits (BigvmHost *host, int code, GError **error)
{
  if (host->phys_bits <= BIGVM_MAX_PHYS_BITS)
    return TRUE;
  g_set_error (error, BIGVM_ERROR, code, "%s: CPUID 0x80000008 reports %u physical address "
               "bits; x86 CPUs have at most %d", host->source, host->phys_bits,
               BIGVM_MAX_PHYS_BITS);
  bigvm_host_free (host);
  return FALSE;
}

/* This CPU's CPUID leaves that bigvm_host_from_cpuid() reads, and no
 * more: in a virtual machine every CPUID instruction exits to the
 * hypervisor, and cpuid_get_raw_data()'s hundred or so of them cost a
 * warm bigvm show more than everything else it does. */
static void
read_leaves (struct cpu_raw_data_t *raw)
{
  static const guint32 extended[] = { 0x80000001u, 0x80000002u, 0x80000003u, 0x80000004u,
                                      0x80000008u, 0x8000001Fu };

  memset (raw, 0, sizeof *raw);
  cpu_exec_cpuid (0, raw->basic_cpuid[0]);
  if (raw->basic_cpuid[0][EAX] >= 1)
    cpu_exec_cpuid (1, raw->basic_cpuid[1]);
  cpu_exec_cpuid (0x80000000u, raw->ext_cpuid[0]);
  for (gsize i = 0; i < G_N_ELEMENTS (extended); i++)
    if (raw->ext_cpuid[0][EAX] >= extended[i])
      cpu_exec_cpuid (extended[i], raw->ext_cpuid[EXT_LEAF (extended[i])]);
}

/* KVM gives a guest what this CPU has (CPUID, and the microcode, which
 * can take TSX away), less what the kernel and KVM's parameters leave out
 * (target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid() asks the kernel
 * for KVM_GET_SUPPORTED_CPUID). */
static char *
kvm_identity (struct cpu_raw_data_t *raw, const char *root)
{
  static const char *const files[] = { "proc/version", "proc/cmdline" };
  static const char *const modules[] = { "kvm", "kvm_intel", "kvm_amd" };
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *cpuinfo = read_file (root, "proc/cpuinfo");
  const char *microcode = cpuinfo != NULL ? strstr (cpuinfo, "\nmicrocode") : NULL;

  /* The leaves the guest's features come from, beyond those read above. */
  if (raw->basic_cpuid[0][EAX] >= 7)
    cpu_exec_cpuid (7, raw->basic_cpuid[7]);
  if (raw->basic_cpuid[0][EAX] >= 0xd)
    cpu_exec_cpuid (0xd, raw->basic_cpuid[0xd]);
  /* Not the APIC ID of the CPU bigvm ran on (leaf 1 EBX[31:24]). */
  struct cpu_raw_data_t leaves = *raw;
  leaves.basic_cpuid[1][EBX] &= 0x00ffffffu;
  g_checksum_update (sum, (const guchar *) &leaves, sizeof leaves);
  if (microcode != NULL)
    g_checksum_update (sum, (const guchar *) microcode + 1, strcspn (microcode + 1, "\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *text = read_file (root, files[i]);
      g_checksum_update (sum, (const guchar *) (text ?: ""), -1);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (modules); i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/sys/module/%s/parameters", root, modules[i]);
      g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
        g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, bigvm_compare_strings);
      for (guint n = 0; n < names->len; n++)
        {
          g_autofree char *path = g_build_filename (dir, names->pdata[n], NULL);
          g_autofree char *value = NULL;
          g_file_get_contents (path, &value, NULL, NULL);
          g_checksum_update (sum, (const guchar *) path, -1);
          g_checksum_update (sum, (const guchar *) (value ?: ""), -1);
        }
    }
  return g_strdup (g_checksum_get_string (sum));
}

BigvmHost *
bigvm_host_probe (const char *root, gboolean kvm, GError **error)
{
  struct cpu_raw_data_t raw;

  if (!cpuid_present ())
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "this CPU has no CPUID");
      return NULL;
    }
  read_leaves (&raw);
  BigvmHost *host = bigvm_host_from_cpuid (&raw, "this host");
  if (!check_phys_bits (host, BIGVM_ERROR_UNAVAILABLE, error))
    return NULL;
  if (kvm)
    probe_kvm (host);
  else
    {
      host->kvm = BIGVM_KVM_NOT_ASKED;
      g_free (host->kvm_detail);
      host->kvm_detail = g_strdup ("not asked (--accel=tcg)");
    }
  if (host->kvm == BIGVM_KVM_USABLE)
    host->kvm_identity = kvm_identity (host->raw, root);
  bigvm_host_read_system (host, root);
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
  BigvmHost *host = bigvm_host_from_cpuid (&raw, path);
  if (!check_phys_bits (host, BIGVM_ERROR_NO_INPUT, error))
    return NULL;
  return host;
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
  g_free (host->kvm_identity);
  g_free (host->raw);
  g_array_unref (host->hugepages);
  g_ptr_array_unref (host->nodes);
  g_free (host);
}

const BigvmHostNode *
bigvm_host_find_node (const BigvmHost *host, guint id)
{
  for (guint n = 0; n < host->nodes->len; n++)
    {
      const BigvmHostNode *node = host->nodes->pdata[n];
      if (node->id == id)
        return node;
    }
  return NULL;
}

BigvmCpuVendor
bigvm_cpu_vendor_from_id (const char *vendor_id)
{
  if (g_strcmp0 (vendor_id, "AuthenticAMD") == 0)
    return BIGVM_VENDOR_AMD;
  if (g_strcmp0 (vendor_id, "GenuineIntel") == 0)
    return BIGVM_VENDOR_INTEL;
  return BIGVM_VENDOR_OTHER;
}

const char *
bigvm_cpu_vendor_id (BigvmCpuVendor vendor)
{
  switch (vendor)
    {
    case BIGVM_VENDOR_INTEL: return "GenuineIntel";
    case BIGVM_VENDOR_AMD: return "AuthenticAMD";
    case BIGVM_VENDOR_OTHER: break;
    }
  return NULL;
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
