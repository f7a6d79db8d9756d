/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "host-report.h"

#include "json-out.h"
#include "bounds.h"
#include "util.h"

static gboolean
host_has_kvm (const BigvmHost *host)
{
  return host->kvm == BIGVM_KVM_USABLE
         || (host->kvm == BIGVM_KVM_FROM_DUMP && (host->vmx || host->svm));
}

/* Nova's libvirt driver reports both traits once libvirt can write
 * <maxphysaddr> (nova/virt/libvirt/driver.py MIN_LIBVIRT_MAXPHYSADDR);
 * the blueprint (nova-specs libvirt-maxphysaddr-support) needs
 * host-passthrough, so KVM, for passthrough. */
GStrv
bigvm_host_nova_traits (const BigvmHost *host, const BigvmQemuCaps *caps)
{
  g_autoptr (GStrvBuilder) traits = g_strv_builder_new ();

  if (caps != NULL && caps->cpu_phys_bits)
    {
      g_strv_builder_add (traits, "COMPUTE_ADDRESS_SPACE_EMULATED");
      if (host_has_kvm (host) && host->long_mode)
        g_strv_builder_add (traits, "COMPUTE_ADDRESS_SPACE_PASSTHROUGH");
    }
  return g_strv_builder_end (traits);
}

guint
bigvm_host_max_emulate_bits_kvm (const BigvmHost *host)
{
  return host_has_kvm (host) ? host->effective_phys_bits : 0;
}

static const char *
kvm_state_name (BigvmKvmState state)
{
  switch (state)
    {
    case BIGVM_KVM_USABLE: return "usable";
    case BIGVM_KVM_MISSING: return "missing";
    case BIGVM_KVM_DENIED: return "denied";
    case BIGVM_KVM_NOT_KVM: return "not-kvm";
    case BIGVM_KVM_IN_USE: return "in-use";
    case BIGVM_KVM_NO_VM: return "no-vm";
    case BIGVM_KVM_NOT_ASKED: return "not-asked";
    case BIGVM_KVM_FROM_DUMP: break;
    }
  return "unknown";
}

static char *
version_string (const BigvmQemuCaps *caps)
{
  return g_strdup_printf ("%u.%u.%u", caps->version.major, caps->version.minor,
                          caps->version.micro);
}

static const char *
default_machine (const BigvmQemuCaps *caps)
{
  for (guint i = 0; i < bigvm_qemu_machines (caps)->len; i++)
    {
      const BigvmMachineType *m = bigvm_qemu_machines (caps)->pdata[i];
      if (m->is_default)
        return m->name;
    }
  return NULL;
}

static void
append_pools (GString *out, GArray *pools)
{
  for (guint i = 0; i < pools->len; i++)
    {
      const BigvmHugePool *p = &g_array_index (pools, BigvmHugePool, i);
      g_autofree char *size = bigvm_format_size_exact (p->page_size);
      g_string_append_printf (out, "%s%s: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " free",
                              i > 0 ? ", " : "", size, p->free, p->total);
    }
  if (pools->len == 0)
    g_string_append (out, "none");
}

char *
bigvm_host_report_text (const BigvmHost *host, const BigvmQemuCaps *caps)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) traits = bigvm_host_nova_traits (host, caps);
  guint kvm_bits = bigvm_host_max_emulate_bits_kvm (host);

  g_string_append_printf (out, "%-22s %s\n", "host", host->source);
  g_string_append_printf (out, "%-22s %s (%s)%s\n", "cpu", host->model_name[0] ? host->model_name
                          : "(no brand string)", host->vendor_id,
                          host->long_mode ? "" : ", 32-bit only");
  g_string_append_printf (out, "%-22s %u (CPUID 0x80000008)\n", "physical address bits",
                          host->phys_bits);
  if (host->mem_encrypt_bits_lost > 0)
    g_string_append_printf (out, "%-22s %u bits when SME/SEV is on\n", "memory encryption",
                            host->mem_encrypt_bits_lost);
  g_string_append_printf (out, "%-22s %u%s\n", "usable by guests", host->effective_phys_bits,
                          host->kernel_phys_bits != 0 && host->kernel_phys_bits < host->phys_bits
                          ? " (the kernel's figure, net of memory encryption)" : "");
  g_string_append_printf (out, "%-22s %s, %s\n", "1 GiB pages, VMX/SVM",
                          host->pdpe1gb ? "yes" : "no", host->vmx ? "VMX" : host->svm ? "SVM"
                          : "neither");
  g_string_append_printf (out, "%-22s %s\n", "kvm", host->kvm_detail);
  if (caps != NULL)
    {
      g_autofree char *version = version_string (caps);
      const BigvmMachineType *q35 = bigvm_qemu_find_machine (caps, "q35");
      g_string_append_printf (out, "%-22s %s %s (default machine %s, q35 is %s)\n", "qemu",
                              caps->path, version, default_machine (caps) ?: "none",
                              q35 != NULL ? q35->name : "missing");
      g_string_append_printf (out, "%-22s phys-bits %s, reserve %s, prealloc-threads %s, "
                              "prealloc-context %s, hugetlb %s\n", "qemu properties",
                              caps->cpu_phys_bits ? "yes" : "no", caps->ram_reserve ? "yes" : "no",
                              caps->prealloc_threads ? "yes" : "no",
                              caps->prealloc_context ? "yes" : "no",
                              caps->memfd_hugetlb ? "yes" : "no");
    }
  if (host->has_memory)
    {
      g_autofree char *total = bigvm_format_size_human (host->mem_total);
      g_autofree char *available = bigvm_format_size_human (host->mem_available);
      g_string_append_printf (out, "%-22s %s, %s available, %u CPUs online\n", "ram", total,
                              available, host->online_cpus);
      g_string_append_printf (out, "%-22s ", "huge pages");
      append_pools (out, host->hugepages);
      g_string_append_c (out, '\n');
      for (guint i = 0; i < host->nodes->len; i++)
        {
          const BigvmHostNode *node = host->nodes->pdata[i];
          g_autofree char *label = g_strdup_printf ("numa node %u", node->id);
          g_autofree char *mem = bigvm_format_size_human (node->mem_total);
          g_autofree char *mem_free = bigvm_format_size_human (node->mem_free);
          g_string_append_printf (out, "%-22s CPUs %s, %s (%s free), huge pages ", label,
                                  node->cpus, mem, mem_free);
          append_pools (out, node->hugepages);
          g_string_append_c (out, '\n');
        }
    }
  g_autofree char *joined = g_strjoinv (", ", traits);
  g_string_append_printf (out, "%-22s %s\n", "nova traits", traits[0] != NULL ? joined : "none");
  if (kvm_bits != 0)
    g_string_append_printf (out, "%-22s %u under KVM, %u under TCG\n", "largest emulate bits",
                            kvm_bits, BIGVM_MAX_PHYS_BITS);
  else
    g_string_append_printf (out, "%-22s %u under TCG (no KVM)\n", "largest emulate bits",
                            BIGVM_MAX_PHYS_BITS);
  return g_string_free (out, FALSE);
}

static void
add_pools (JsonBuilder *b, const char *name, GArray *pools)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < pools->len; i++)
    {
      const BigvmHugePool *p = &g_array_index (pools, BigvmHugePool, i);
      json_builder_begin_object (b);
      bigvm_json_add_int (b, "size", p->page_size);
      bigvm_json_add_int (b, "total", p->total);
      bigvm_json_add_int (b, "free", p->free);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

char *
bigvm_host_report_json (const BigvmHost *host, const BigvmQemuCaps *caps)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_auto (GStrv) traits = bigvm_host_nova_traits (host, caps);
  guint kvm_bits = bigvm_host_max_emulate_bits_kvm (host);

  json_builder_begin_object (b);
  bigvm_json_add_string (b, "source", host->source);
  bigvm_json_add_string (b, "cpu_vendor", host->vendor_id);
  bigvm_json_add_string (b, "model", host->model_name);
  bigvm_json_add_int (b, "phys_bits", host->phys_bits);
  bigvm_json_add_int (b, "mem_encrypt_bits_lost", host->mem_encrypt_bits_lost);
  bigvm_json_add_int (b, "effective_phys_bits", host->effective_phys_bits);
  bigvm_json_add_bool (b, "long_mode", host->long_mode);
  bigvm_json_add_bool (b, "pdpe1gb", host->pdpe1gb);
  bigvm_json_add_bool (b, "vmx", host->vmx);
  bigvm_json_add_bool (b, "svm", host->svm);

  json_builder_set_member_name (b, "kvm");
  json_builder_begin_object (b);
  bigvm_json_add_string (b, "state", kvm_state_name (host->kvm));
  bigvm_json_add_string (b, "detail", host->kvm_detail);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "qemu");
  if (caps != NULL)
    {
      g_autofree char *version = version_string (caps);
      json_builder_begin_object (b);
      bigvm_json_add_string (b, "path", caps->path);
      bigvm_json_add_string (b, "version", version);
      bigvm_json_add_string (b, "default_machine", default_machine (caps));
      json_builder_set_member_name (b, "properties");
      json_builder_begin_object (b);
      bigvm_json_add_bool (b, "phys-bits", caps->cpu_phys_bits);
      bigvm_json_add_bool (b, "reserve", caps->ram_reserve);
      bigvm_json_add_bool (b, "prealloc-threads", caps->prealloc_threads);
      bigvm_json_add_bool (b, "prealloc-context", caps->prealloc_context);
      bigvm_json_add_bool (b, "hugetlb", caps->memfd_hugetlb);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  if (host->has_memory)
    {
      add_pools (b, "hugepages", host->hugepages);
      json_builder_set_member_name (b, "numa_nodes");
      json_builder_begin_array (b);
      for (guint i = 0; i < host->nodes->len; i++)
        {
          const BigvmHostNode *node = host->nodes->pdata[i];
          json_builder_begin_object (b);
          bigvm_json_add_int (b, "id", node->id);
          bigvm_json_add_string (b, "cpus", node->cpus);
          bigvm_json_add_int (b, "mem_total", node->mem_total);
          bigvm_json_add_int (b, "mem_free", node->mem_free);
          add_pools (b, "hugepages", node->hugepages);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "ram");
      json_builder_begin_object (b);
      bigvm_json_add_int (b, "total", host->mem_total);
      bigvm_json_add_int (b, "available", host->mem_available);
      bigvm_json_add_int (b, "online_cpus", host->online_cpus);
      json_builder_end_object (b);
    }
  else
    {
      /* A dump says nothing of another host's memory. */
      json_builder_set_member_name (b, "hugepages");
      json_builder_add_null_value (b);
      json_builder_set_member_name (b, "numa_nodes");
      json_builder_add_null_value (b);
      json_builder_set_member_name (b, "ram");
      json_builder_add_null_value (b);
    }

  bigvm_json_add_strings (b, "nova_traits", (const char *const *) traits,
                          g_strv_length (traits));
  json_builder_set_member_name (b, "largest_emulate_bits");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kvm");
  if (kvm_bits != 0)
    json_builder_add_int_value (b, kvm_bits);
  else
    json_builder_add_null_value (b);
  bigvm_json_add_int (b, "tcg", BIGVM_MAX_PHYS_BITS);
  json_builder_end_object (b);
  json_builder_end_object (b);

  return bigvm_json_to_string (b);
}
