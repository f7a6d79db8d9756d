/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "hostinfo.h"

#include "util.h"

#include <json-glib/json-glib.h>

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
  for (guint i = 0; i < caps->machines->len; i++)
    {
      const BigvmMachineType *m = caps->machines->pdata[i];
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
                            kvm_bits, BIGVM_TCG_MAX_PHYS_BITS);
  else
    g_string_append_printf (out, "%-22s %u under TCG (no KVM)\n", "largest emulate bits",
                            BIGVM_TCG_MAX_PHYS_BITS);
  return g_string_free (out, FALSE);
}

static void
member (JsonBuilder *b, const char *name)
{
  json_builder_set_member_name (b, name);
}

static void
add_pools (JsonBuilder *b, const char *name, GArray *pools)
{
  member (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < pools->len; i++)
    {
      const BigvmHugePool *p = &g_array_index (pools, BigvmHugePool, i);
      json_builder_begin_object (b);
      member (b, "size");
      json_builder_add_int_value (b, p->page_size);
      member (b, "total");
      json_builder_add_int_value (b, p->total);
      member (b, "free");
      json_builder_add_int_value (b, p->free);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

char *
bigvm_host_report_json (const BigvmHost *host, const BigvmQemuCaps *caps)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_auto (GStrv) traits = bigvm_host_nova_traits (host, caps);
  guint kvm_bits = bigvm_host_max_emulate_bits_kvm (host);

  json_builder_begin_object (b);
  member (b, "source");
  json_builder_add_string_value (b, host->source);
  member (b, "cpu_vendor");
  json_builder_add_string_value (b, host->vendor_id);
  member (b, "model");
  json_builder_add_string_value (b, host->model_name);
  member (b, "phys_bits");
  json_builder_add_int_value (b, host->phys_bits);
  member (b, "mem_encrypt_bits_lost");
  json_builder_add_int_value (b, host->mem_encrypt_bits_lost);
  member (b, "effective_phys_bits");
  json_builder_add_int_value (b, host->effective_phys_bits);
  member (b, "long_mode");
  json_builder_add_boolean_value (b, host->long_mode);
  member (b, "pdpe1gb");
  json_builder_add_boolean_value (b, host->pdpe1gb);
  member (b, "vmx");
  json_builder_add_boolean_value (b, host->vmx);
  member (b, "svm");
  json_builder_add_boolean_value (b, host->svm);

  member (b, "kvm");
  json_builder_begin_object (b);
  member (b, "state");
  json_builder_add_string_value (b, kvm_state_name (host->kvm));
  member (b, "detail");
  json_builder_add_string_value (b, host->kvm_detail);
  json_builder_end_object (b);

  member (b, "qemu");
  if (caps != NULL)
    {
      g_autofree char *version = version_string (caps);
      json_builder_begin_object (b);
      member (b, "path");
      json_builder_add_string_value (b, caps->path);
      member (b, "version");
      json_builder_add_string_value (b, version);
      member (b, "default_machine");
      json_builder_add_string_value (b, default_machine (caps));
      member (b, "properties");
      json_builder_begin_object (b);
      member (b, "phys-bits");
      json_builder_add_boolean_value (b, caps->cpu_phys_bits);
      member (b, "reserve");
      json_builder_add_boolean_value (b, caps->ram_reserve);
      member (b, "prealloc-threads");
      json_builder_add_boolean_value (b, caps->prealloc_threads);
      member (b, "prealloc-context");
      json_builder_add_boolean_value (b, caps->prealloc_context);
      member (b, "hugetlb");
      json_builder_add_boolean_value (b, caps->memfd_hugetlb);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  if (host->has_memory)
    {
      add_pools (b, "hugepages", host->hugepages);
      member (b, "numa_nodes");
      json_builder_begin_array (b);
      for (guint i = 0; i < host->nodes->len; i++)
        {
          const BigvmHostNode *node = host->nodes->pdata[i];
          json_builder_begin_object (b);
          member (b, "id");
          json_builder_add_int_value (b, node->id);
          member (b, "cpus");
          json_builder_add_string_value (b, node->cpus);
          member (b, "mem_total");
          json_builder_add_int_value (b, node->mem_total);
          member (b, "mem_free");
          json_builder_add_int_value (b, node->mem_free);
          add_pools (b, "hugepages", node->hugepages);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      member (b, "ram");
      json_builder_begin_object (b);
      member (b, "total");
      json_builder_add_int_value (b, host->mem_total);
      member (b, "available");
      json_builder_add_int_value (b, host->mem_available);
      member (b, "online_cpus");
      json_builder_add_int_value (b, host->online_cpus);
      json_builder_end_object (b);
    }
  else
    {
      /* A dump says nothing of another host's memory. */
      member (b, "hugepages");
      json_builder_add_null_value (b);
      member (b, "numa_nodes");
      json_builder_add_null_value (b);
      member (b, "ram");
      json_builder_add_null_value (b);
    }

  member (b, "nova_traits");
  json_builder_begin_array (b);
  for (char **t = traits; *t != NULL; t++)
    json_builder_add_string_value (b, *t);
  json_builder_end_array (b);
  member (b, "largest_emulate_bits");
  json_builder_begin_object (b);
  member (b, "kvm");
  if (kvm_bits != 0)
    json_builder_add_int_value (b, kvm_bits);
  else
    json_builder_add_null_value (b);
  member (b, "tcg");
  json_builder_add_int_value (b, BIGVM_TCG_MAX_PHYS_BITS);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
