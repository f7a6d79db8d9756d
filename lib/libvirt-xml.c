/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Elements as libvirt 9.0 documents them (docs/formatdomain.rst) and its
 * schema (src/conf/schemas/domaincommon.rng) has them. */
#include "config.h"

#include "libvirt-xml.h"

#include "layout.h"
#include "util.h"

#include <string.h>

typedef struct {
  GString *out;
  guint depth;
} Xml;

static void
line (Xml *x, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* One line at the current depth; FORMAT's %s arguments must be escaped
 * (text ()) by the caller. */
static void
line (Xml *x, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_string_append_printf (x->out, "%*s", (int) x->depth * 2, "");
  g_string_append_vprintf (x->out, format, args);
  g_string_append_c (x->out, '\n');
  va_end (args);
}

static void
open_element (Xml *x, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
open_element (Xml *x, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *tag = g_strdup_vprintf (format, args);
  va_end (args);
  line (x, "<%s>", tag);
  x->depth++;
}

static void
close_element (Xml *x, const char *name)
{
  x->depth--;
  line (x, "</%s>", name);
}

/* Text and attribute values escaped; bytes that are not UTF-8 (which
 * XML cannot hold) as U+FFFD. */
static char *
text (const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value, -1);
  return g_markup_escape_text (valid, -1);
}

static void
say (GPtrArray *unsaid, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
say (GPtrArray *unsaid, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (unsaid, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
add_memory (Xml *x, const BigvmPlan *plan, GPtrArray *unsaid)
{
  line (x, "<memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>", plan->ram_bytes / 1024);
  line (x, "<currentMemory unit='KiB'>%" G_GUINT64_FORMAT "</currentMemory>",
        plan->ram_bytes / 1024);
  if (plan->maxmem_bytes != 0)
    line (x, "<maxMemory slots='%u' unit='KiB'>%" G_GUINT64_FORMAT "</maxMemory>",
          plan->mem_slots, plan->maxmem_bytes / 1024);
  if (plan->page_size != 0)
    {
      open_element (x, "memoryBacking");
      open_element (x, "hugepages");
      line (x, "<page size='%" G_GUINT64_FORMAT "' unit='KiB'/>", plan->page_size / 1024);
      close_element (x, "hugepages");
      /* bigvm's backends are memfd unless bigvm:mem_path names a
       * hugetlbfs directory, which libvirt finds itself (qemu.conf
       * hugetlbfs_mount). */
      if (plan->mem_path == NULL)
        line (x, "<source type='memfd'/>");
      else
        say (unsaid, "bigvm:mem_path: libvirt takes the hugetlbfs mount of qemu.conf's "
             "hugetlbfs_mount, not %s", plan->mem_path);
      line (x, "<allocation mode='immediate' threads='%u'/>", plan->prealloc_threads);
      close_element (x, "memoryBacking");
    }
  if (plan->sparse_ram)
    say (unsaid, "--sparse-ram: libvirt 9.0 cannot map guest RAM without reserving it "
         "(reserve=off): the host must have the memory");
}

static void
add_os (Xml *x, const BigvmPlan *plan, GPtrArray *unsaid)
{
  g_autofree char *machine = text (plan->machine);

  open_element (x, "os");
  line (x, "<type arch='x86_64' machine='%s'>hvm</type>", machine);
  if (plan->firmware != NULL)
    {
      g_autofree char *code = text (plan->firmware->code);
      g_autofree char *vars_template = text (plan->firmware->vars_template);
      g_autofree char *nvram = text (plan->nvram);
      line (x, "<loader readonly='yes' secure='%s' type='pflash'>%s</loader>",
            plan->secure_boot ? "yes" : "no", code);
      line (x, "<nvram template='%s'>%s</nvram>", vars_template, nvram);
    }
  line (x, "<boot dev='hd'/>");
  close_element (x, "os");
  open_element (x, "features");
  line (x, "<acpi/>");
  line (x, "<apic/>");
  if (plan->secure_boot)
    {
      if (plan->tseg_mbytes != 0)
        {
          open_element (x, "smm state='on'");
          line (x, "<tseg unit='MiB'>%u</tseg>", plan->tseg_mbytes);
          close_element (x, "smm");
        }
      else
        line (x, "<smm state='on'/>");
    }
  close_element (x, "features");
  (void) unsaid;
}

/* <cpu>: the model, check, topology, bigvm's features, the address
 * width (<maxphysaddr>, libvirt 8.7) and the NUMA cells. */
static void
add_cpu (Xml *x, const BigvmPlan *plan, GPtrArray *unsaid)
{
  static const char *const checks[] = {
    [BIGVM_CPU_CHECK_ENFORCE] = "full", [BIGVM_CPU_CHECK_WARN] = "none",
    [BIGVM_CPU_CHECK_NONE] = "none",
  };
  gboolean host = g_str_equal (plan->cpu_model, "host");
  gboolean max = g_str_equal (plan->cpu_model, "max");
  BigvmMachine machine = { 0 };
  const char *bits_mode = NULL;
  guint bits = 0;

  bigvm_machine_parse (plan->machine, &machine);
  /* libvirt's host-passthrough is -cpu host, maximum is -cpu max
   * (src/qemu/qemu_command.c qemuBuildCpuModelArgStr). */
  if (host || max)
    open_element (x, "cpu mode='%s' check='%s'", host ? "host-passthrough" : "maximum",
                  checks[plan->cpu_check]);
  else
    {
      g_autofree char *model = text (plan->cpu_model);
      open_element (x, "cpu mode='custom' match='exact' check='%s'", checks[plan->cpu_check]);
      line (x, "<model fallback='forbid'>%s</model>", model);
    }
  guint sockets = bigvm_plan_sockets (plan, &machine);
  guint cores = plan->sockets != 0 ? plan->cores : plan->vcpus / sockets;
  guint threads = plan->sockets != 0 ? plan->threads : 1;
  line (x, "<topology sockets='%u' dies='1' cores='%u' threads='%u'/>", sockets, cores, threads);
  for (guint i = 0; i < plan->cpu_props->len; i++)
    {
      const char *prop = plan->cpu_props->pdata[i];
      if (g_str_has_prefix (prop, "phys-bits="))
        {
          bits_mode = "emulate";
          bits = g_ascii_strtoull (prop + strlen ("phys-bits="), NULL, 10);
        }
      else if (g_str_equal (prop, "host-phys-bits=on"))
        bits_mode = "passthrough";
      else if (prop[0] == '+' || prop[0] == '-')
        {
          g_autofree char *name = text (prop + 1);
          line (x, "<feature policy='%s' name='%s'/>", prop[0] == '+' ? "require" : "disable",
                name);
        }
    }
  if (bits_mode != NULL && bits != 0)
    line (x, "<maxphysaddr mode='%s' bits='%u'/>", bits_mode, bits);
  else if (bits_mode != NULL)
    line (x, "<maxphysaddr mode='%s'/>", bits_mode);
  if (plan->numa || plan->maxmem_bytes != 0)
    {
      open_element (x, "numa");
      if (plan->numa)
        for (guint i = 0; i < plan->mem_backends->len; i++)
          {
            const BigvmMemBackend *b = plan->mem_backends->pdata[i];
            g_autofree char *cpus = bigvm_format_list (b->cpus);
            line (x, "<cell id='%u' cpus='%s' memory='%" G_GUINT64_FORMAT "' unit='KiB'/>",
                  b->node, cpus, b->size / 1024);
          }
      else
        {
          /* libvirt refuses memory hotplug without a NUMA node
           * (qemu_validate.c: "At least one numa node has to be
           * configured when enabling memory hotplug"). */
          line (x, "<cell id='0' cpus='0-%u' memory='%" G_GUINT64_FORMAT "' unit='KiB'/>",
                plan->vcpus - 1, plan->ram_bytes / 1024);
          say (unsaid, "bigvm:maxmem: libvirt needs a NUMA node for memory hotplug: the guest "
               "gets one node under libvirt, none under bigvm");
        }
      close_element (x, "numa");
    }
  close_element (x, "cpu");
}

static void
add_numatune (Xml *x, const BigvmPlan *plan)
{
  gboolean bound = FALSE;

  for (guint i = 0; plan->numa && i < plan->mem_backends->len; i++)
    bound |= ((BigvmMemBackend *) plan->mem_backends->pdata[i])->host_nodes->len > 0;
  if (!bound)
    return;
  open_element (x, "numatune");
  for (guint i = 0; i < plan->mem_backends->len; i++)
    {
      const BigvmMemBackend *b = plan->mem_backends->pdata[i];
      if (b->host_nodes->len == 0)
        continue;
      g_autofree char *nodes = bigvm_format_list (b->host_nodes);
      line (x, "<memnode cellid='%u' mode='strict' nodeset='%s'/>", b->node, nodes);
    }
  close_element (x, "numatune");
}

/* PREFIX and the disk's letters, as libvirt counts them
 * (virDiskNameFromIndex): vda ... vdz, vdaa, vdab ... */
static char *
disk_name (const char *prefix, guint index)
{
  char letters[8];
  int n = G_N_ELEMENTS (letters) - 1;

  letters[n] = '\0';
  for (guint i = index + 1; i > 0 && n > 0; i = (i - 1) / 26)
    letters[--n] = 'a' + (i - 1) % 26;
  return g_strconcat (prefix, letters + n, NULL);
}

static void
add_devices (Xml *x, const BigvmPlan *plan, const char *emulator, GPtrArray *unsaid)
{
  g_autofree char *qemu = text (emulator);
  guint boot = 1;
  BigvmMachine machine = { 0 };

  bigvm_machine_parse (plan->machine, &machine);
  open_element (x, "devices");
  line (x, "<emulator>%s</emulator>", qemu);
  for (guint i = 0; i < plan->disks->len; i++)
    {
      const BigvmDisk *disk = plan->disks->pdata[i];
      g_autofree char *path = text (disk->path);
      open_element (x, "disk type='file' device='disk'");
      line (x, "<driver name='qemu' type='%s'/>", bigvm_disk_format_name (disk->format));
      line (x, "<source file='%s'/>", path);
      g_autofree char *target = disk_name ("vd", i);
      line (x, "<target dev='%s' bus='virtio'/>", target);
      line (x, "<boot order='%u'/>", boot++);
      close_element (x, "disk");
    }
  if (plan->cdrom != NULL)
    {
      g_autofree char *path = text (plan->cdrom);
      gboolean q35 = machine.family == BIGVM_MACHINE_Q35;
      open_element (x, "disk type='file' device='cdrom'");
      line (x, "<driver name='qemu' type='raw'/>");
      line (x, "<source file='%s'/>", path);
      line (x, "<target dev='%s' bus='%s'/>", q35 ? "sda" : "hdc", q35 ? "sata" : "ide");
      line (x, "<readonly/>");
      line (x, "<boot order='%u'/>", boot++);
      close_element (x, "disk");
    }
  if (plan->net != BIGVM_NET_NONE)
    {
      static const char *const types[] = {
        [BIGVM_NET_USER] = "user", [BIGVM_NET_TAP] = "ethernet", [BIGVM_NET_BRIDGE] = "bridge",
      };
      g_autofree char *name = plan->net_name != NULL ? text (plan->net_name) : NULL;
      open_element (x, "interface type='%s'", types[plan->net]);
      line (x, "<mac address='%s'/>", plan->mac);
      if (plan->net == BIGVM_NET_BRIDGE)
        line (x, "<source bridge='%s'/>", name);
      if (plan->net == BIGVM_NET_TAP)
        line (x, "<target dev='%s' managed='no'/>", name);
      line (x, "<model type='virtio'/>");
      close_element (x, "interface");
    }
  /* bigvm's console is the terminal; libvirt's, a pty (virsh console). */
  line (x, "<serial type='pty'/>");
  line (x, "<console type='pty'/>");
  line (x, "<memballoon model='none'/>");
  close_element (x, "devices");
  if (plan->qmp != NULL || plan->pidfile != NULL)
    say (unsaid, "bigvm:qmp, bigvm:pidfile: libvirt keeps its own QMP monitor and PID file");
  say (unsaid, "libvirt adds its default controllers (USB, PCIe root ports) and its serial "
       "console is a pty: the guest sees those devices too");
}

char *
bigvm_libvirt_domain_xml (const BigvmPlan *plan, const BigvmFlavor *flavor,
                          const char *emulator, GPtrArray *unsaid)
{
  Xml x = { g_string_new (NULL), 0 };
  g_autofree char *name = text (plan->name);

  open_element (&x, "domain type='%s'", plan->accel == BIGVM_ACCEL_KVM ? "kvm" : "qemu");
  line (&x, "<name>%s</name>", name);
  add_memory (&x, plan, unsaid);
  line (&x, "<vcpu placement='static'>%u</vcpu>", plan->vcpus);
  add_os (&x, plan, unsaid);
  add_cpu (&x, plan, unsaid);
  add_numatune (&x, plan);
  line (&x, "<on_poweroff>destroy</on_poweroff>");
  line (&x, "<on_reboot>restart</on_reboot>");
  line (&x, "<on_crash>destroy</on_crash>");
  add_devices (&x, plan, emulator, unsaid);
  close_element (&x, "domain");
  if (flavor->abi != NULL)
    say (unsaid, "bigvm:abi: libvirt checks a migrating guest's ABI itself, not against "
         "bigvm's record");
  return g_string_free (x.out, FALSE);
}
