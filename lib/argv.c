/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "argv.h"

#include "json-out.h"
#include "util.h"

#include <string.h>

static void
add_args (GPtrArray *argv, ...) G_GNUC_NULL_TERMINATED;

static void
add_args (GPtrArray *argv, ...)
{
  va_list args;
  const char *arg;

  va_start (args, argv);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
}

static void
add_option_printf (GPtrArray *argv, const char *option, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static void
add_option_printf (GPtrArray *argv, const char *option, const char *format, ...)
{
  va_list args;

  g_ptr_array_add (argv, g_strdup (option));
  va_start (args, format);
  g_ptr_array_add (argv, g_strdup_vprintf (format, args));
  va_end (args);
}

char *
bigvm_argv_cpu (const BigvmPlan *plan)
{
  GString *cpu = g_string_new (plan->cpu_model);

  for (guint i = 0; i < plan->cpu_props->len; i++)
    g_string_append_printf (cpu, ",%s", (const char *) plan->cpu_props->pdata[i]);
  return g_string_free (cpu, FALSE);
}

/* bigvm:cpu_check as QEMU's X86CPU properties (target/i386/cpu.c:
 * "check" warns of each filtered feature and is on by default, "enforce"
 * makes realize fail on one), as libvirt maps <cpu check=...>. */
static void
add_cpu (GPtrArray *argv, const BigvmPlan *plan)
{
  static const char *const check[] = {
    [BIGVM_CPU_CHECK_ENFORCE] = ",enforce",
    [BIGVM_CPU_CHECK_WARN] = "",
    [BIGVM_CPU_CHECK_NONE] = ",check=off",
  };
  g_autofree char *cpu = bigvm_argv_cpu (plan);

  add_option_printf (argv, "-cpu", "%s%s", cpu, check[plan->cpu_check]);
}

/* ",KEY=a-b,KEY=c": QEMU reads a repeated key of a list property as more
 * of the list. */
static void
append_list (GString *out, const char *key, GArray *list)
{
  g_auto (GStrv) ranges = bigvm_list_ranges (list);
  for (guint i = 0; ranges[i] != NULL; i++)
    g_string_append_printf (out, ",%s=%s", key, ranges[i]);
}

/* Guest RAM through explicit backends, so its size and how the host
 * provides it are stated, not left to -m's defaults: one for all RAM, or
 * one per guest NUMA node. */
static void
add_memory (GPtrArray *argv, const BigvmPlan *plan)
{
  g_autofree char *ram = bigvm_format_size (plan->ram_bytes);

  if (plan->maxmem_bytes != 0)
    {
      g_autofree char *maxmem = bigvm_format_size (plan->maxmem_bytes);
      add_option_printf (argv, "-m", "size=%s,slots=%u,maxmem=%s", ram,
                         plan->mem_slots, maxmem);
    }
  else
    add_option_printf (argv, "-m", "size=%s", ram);

  for (guint b = 0; b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      g_autofree char *size = bigvm_format_size (backend->size);
      GString *object = g_string_new (NULL);

      if (backend->thread_context)
        {
          GString *context = g_string_new (NULL);
          g_string_append_printf (context, "thread-context,id=tc%u", backend->node);
          append_list (context, "node-affinity", backend->host_nodes);
          g_ptr_array_add (argv, g_strdup ("-object"));
          g_ptr_array_add (argv, g_string_free (context, FALSE));
        }

      if (plan->page_size == 0)
        g_string_append_printf (object, "memory-backend-ram,id=ram%u,size=%s%s", backend->node,
                                size, plan->sparse_ram ? ",reserve=off" : "");
      else
        {
          g_autofree char *page = bigvm_format_size (plan->page_size);
          if (plan->mem_path != NULL)
            {
              g_autofree char *path = bigvm_qemu_opt_escape (plan->mem_path);
              g_string_append_printf (object, "memory-backend-file,id=ram%u,size=%s,mem-path=%s",
                                      backend->node, size, path);
            }
          else
            g_string_append_printf (object, "memory-backend-memfd,id=ram%u,size=%s,hugetlb=on,"
                                    "hugetlbsize=%s", backend->node, size, page);
          g_string_append_printf (object, ",prealloc=on,prealloc-threads=%u",
                                  plan->prealloc_threads);
          if (backend->thread_context)
            g_string_append_printf (object, ",prealloc-context=tc%u", backend->node);
        }
      if (backend->host_nodes->len > 0)
        {
          append_list (object, "host-nodes", backend->host_nodes);
          g_string_append (object, ",policy=bind");
        }
      g_ptr_array_add (argv, g_strdup ("-object"));
      g_ptr_array_add (argv, g_string_free (object, FALSE));
    }

  for (guint b = 0; plan->numa && b < plan->mem_backends->len; b++)
    {
      const BigvmMemBackend *backend = plan->mem_backends->pdata[b];
      GString *node = g_string_new (NULL);
      g_string_append_printf (node, "node,nodeid=%u", backend->node);
      append_list (node, "cpus", backend->cpus);
      g_string_append_printf (node, ",memdev=ram%u", backend->node);
      g_ptr_array_add (argv, g_strdup ("-numa"));
      g_ptr_array_add (argv, g_string_free (node, FALSE));
    }
}

char *
bigvm_argv_smp (const BigvmPlan *plan)
{
  if (plan->sockets != 0)
    return g_strdup_printf ("%u,sockets=%u,cores=%u,threads=%u", plan->vcpus, plan->sockets,
                            plan->cores, plan->threads);
  return g_strdup_printf ("%u", plan->vcpus);
}

static void
add_smp (GPtrArray *argv, const BigvmPlan *plan)
{
  g_ptr_array_add (argv, g_strdup ("-smp"));
  g_ptr_array_add (argv, bigvm_argv_smp (plan));
}

/* Disks on virtio-blk, the CD on the machine's own IDE or AHCI bus, boot
 * order as listed. */
static void
add_devices (GPtrArray *argv, const BigvmPlan *plan)
{
  guint boot = 1;

  for (guint i = 0; i < plan->disks->len; i++)
    {
      const BigvmDisk *disk = plan->disks->pdata[i];
      g_autofree char *path = bigvm_qemu_opt_escape (disk->path);
      add_option_printf (argv, "-drive", "if=none,id=disk%u,format=%s,file=%s", disk->index,
                         bigvm_disk_format_name (disk->format), path);
      add_option_printf (argv, "-device", "virtio-blk-pci,drive=disk%u,bootindex=%u",
                         disk->index, boot++);
    }
  if (plan->cdrom != NULL)
    {
      g_autofree char *path = bigvm_qemu_opt_escape (plan->cdrom);
      add_option_printf (argv, "-drive", "if=none,id=cdrom,media=cdrom,readonly=on,format=raw,"
                         "file=%s", path);
      add_option_printf (argv, "-device", "ide-cd,drive=cdrom,bootindex=%u", boot++);
    }
  switch (plan->net)
    {
    case BIGVM_NET_NONE:
      break;
    case BIGVM_NET_USER:
      add_args (argv, "-netdev", "user,id=net0", NULL);
      break;
    case BIGVM_NET_TAP:
      add_option_printf (argv, "-netdev", "tap,id=net0,ifname=%s,script=no,downscript=no",
                         plan->net_name);
      break;
    case BIGVM_NET_BRIDGE:
      add_option_printf (argv, "-netdev", "bridge,id=net0,br=%s", plan->net_name);
      break;
    }
  if (plan->net != BIGVM_NET_NONE)
    add_option_printf (argv, "-device", "virtio-net-pci,netdev=net0,mac=%s", plan->mac);
}

/* A QMP monitor on a UNIX socket: -chardev takes a path with its commas
 * doubled, which -qmp unix: would not. */
static void
add_qmp (GPtrArray *argv, const char *id, const char *socket)
{
  g_autofree char *path = bigvm_qemu_opt_escape (socket);
  add_option_printf (argv, "-chardev", "socket,id=%s,path=%s,server=on,wait=off", id, path);
  add_option_printf (argv, "-mon", "chardev=%s,mode=control", id);
}

/* The guest's own QMP socket and pidfile: a running guest's, which no
 * other QEMU may take. */
static void
add_control (GPtrArray *argv, const BigvmPlan *plan)
{
  if (plan->qmp != NULL)
    add_qmp (argv, "qmp", plan->qmp);
  /* -pidfile takes its argument as a file name, not as options. */
  if (plan->pidfile != NULL)
    add_args (argv, "-pidfile", plan->pidfile, NULL);
}

/* The firmware's code and the guest's variable store VARS (read-only for
 * a preflight, which must not write it). */
static void
add_firmware (GPtrArray *argv, const BigvmPlan *plan, const char *vars, gboolean vars_readonly)
{
  g_autofree char *code = NULL;
  g_autofree char *nvram = NULL;

  if (plan->firmware == NULL)
    return;
  code = bigvm_qemu_opt_escape (plan->firmware->code);
  nvram = bigvm_qemu_opt_escape (vars);
  add_option_printf (argv, "-drive", "if=pflash,unit=0,format=%s,readonly=on,file=%s",
                     plan->firmware->code_format, code);
  add_option_printf (argv, "-drive", "if=pflash,unit=1,format=%s%s,file=%s",
                     plan->firmware->vars_format, vars_readonly ? ",readonly=on" : "", nvram);
  /* Secure Boot firmware guards its variables with SMM
   * (docs/interop/firmware.json, requires-smm); above 1 TiB its SMRAM
   * needs a larger TSEG. */
  if (plan->secure_boot)
    add_args (argv, "-global", "driver=cfi.pflash01,property=secure,value=on", NULL);
  if (plan->tseg_mbytes != 0)
    add_option_printf (argv, "-global", "mch.extended-tseg-mbytes=%u", plan->tseg_mbytes);
}

/* Everything but the guest's QMP socket, pidfile and variable store. */
static GPtrArray *
build_guest (const BigvmPlan *plan, const char *qemu_path)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *name = bigvm_qemu_opt_escape (plan->name);

  g_ptr_array_add (argv, g_strdup (qemu_path));
  /* Nothing from /etc/qemu or QEMU's default devices: the command line is
   * the whole guest. */
  add_args (argv, "-no-user-config", "-nodefaults", NULL);
  add_option_printf (argv, "-name", "guest=%s", name);
  /* With NUMA the nodes' backends make up RAM (-numa memdev=); QEMU
   * refuses them beside memory-backend. */
  add_option_printf (argv, "-machine", "%s%s%s", plan->machine,
                     plan->numa ? "" : ",memory-backend=ram0",
                     plan->secure_boot ? ",smm=on" : "");
  add_args (argv, "-accel", bigvm_accel_name (plan->accel), NULL);
  add_cpu (argv, plan);
  add_smp (argv, plan);
  add_memory (argv, plan);
  return argv;
}

/* The console, then the operator's own arguments. */
static void
add_console_and_extra (GPtrArray *argv, const char *const *extra)
{
  /* A launcher in a terminal or under a supervisor: the serial console on
   * stdio with the monitor muxed (Ctrl-A c), no window. */
  add_args (argv, "-display", "none", "-serial", "mon:stdio", NULL);
  for (const char *const *arg = extra; arg != NULL && *arg != NULL; arg++)
    g_ptr_array_add (argv, g_strdup (*arg));
}

/* run --incoming: QEMU waits for the guest's state on the URI, with the
 * capabilities the source may use already on.  Set as -global
 * migration.x-* properties (migration/migration.c migration_properties[])
 * so that they hold before QEMU listens, and bigvm can exec QEMU as for
 * any run; postcopy-ram and return-path on here are harmless when the
 * source does not use them. */
static void
add_incoming (GPtrArray *argv, const BigvmPlan *plan)
{
  if (plan->incoming == NULL)
    return;
  if (plan->incoming_tls_dir != NULL)
    {
      g_autofree char *dir = bigvm_qemu_opt_escape (plan->incoming_tls_dir);
      add_option_printf (argv, "-object", "tls-creds-x509,id=bigvm-migrate-tls,dir=%s,"
                         "endpoint=server,verify-peer=on", dir);
      add_args (argv, "-global", "migration.tls-creds=bigvm-migrate-tls", NULL);
    }
  add_args (argv, "-global", "migration.x-events=on", "-global", "migration.x-return-path=on",
            "-global", "migration.x-postcopy-ram=on", "-incoming", plan->incoming, NULL);
}

GPtrArray *
bigvm_argv_build (const BigvmPlan *plan, const char *qemu_path, const char *const *extra)
{
  GPtrArray *argv = build_guest (plan, qemu_path);

  add_firmware (argv, plan, plan->nvram, FALSE);
  add_devices (argv, plan);
  add_control (argv, plan);
  add_incoming (argv, plan);
  add_console_and_extra (argv, extra);
  return argv;
}

GPtrArray *
bigvm_argv_build_preflight (const BigvmPlan *plan, const char *qemu_path,
                            const char *const *extra, const char *vars, const char *qmp_socket)
{
  GPtrArray *argv = build_guest (plan, qemu_path);

  add_firmware (argv, plan, vars, TRUE);
  add_devices (argv, plan);
  add_console_and_extra (argv, extra);
  add_args (argv, "-S", NULL);
  add_qmp (argv, "preflight", qmp_socket);
  return argv;
}

/* Words made only of these need no quoting: flatpak's
 * flatpak_argument_needs_quoting() rule without '~', which a shell expands
 * at the start of a word, plus ',' '+' '@' '%', which it never expands. */
static gboolean
needs_quoting (const char *word)
{
  if (*word == '\0')
    return TRUE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-/:._=,+@%", *p) == NULL)
      return TRUE;
  return FALSE;
}

/* What a terminal would act on rather than show: C0 and DEL, C1
 * (U+0080..U+009F, which some terminals take as CSI and the like), and
 * bytes that are not UTF-8 at all. */
static gboolean
is_raw (const char *word)
{
  if (!g_utf8_validate (word, -1, NULL))
    return TRUE;
  for (const char *p = word; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return TRUE;
    }
  return FALSE;
}

/* bash's ANSI-C quoting (also ksh's and zsh's, and POSIX sh's since
 * 2024): printable UTF-8 as it is, ' and \ escaped, every other byte as
 * \xHH; the shell gives back the very bytes. */
static void
append_ansi_c_quoted (GString *line, const char *word)
{
  g_string_append (line, "$'");
  for (const char *p = word; *p != '\0';)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      gboolean valid = c != (gunichar) -1 && c != (gunichar) -2;
      gsize len = valid ? (gsize) (g_utf8_next_char (p) - p) : 1;

      if (*p == '\'' || *p == '\\')
        g_string_append_printf (line, "\\%c", *p);
      else if (valid && c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f))
        g_string_append_len (line, p, len);
      else
        for (gsize i = 0; i < len; i++)
          g_string_append_printf (line, "\\x%02x", (guchar) p[i]);
      p += len;
    }
  g_string_append_c (line, '\'');
}

char *
bigvm_argv_to_shell (const GPtrArray *argv)
{
  GString *line = g_string_new (NULL);

  for (guint i = 0; i < argv->len; i++)
    {
      const char *word = argv->pdata[i];
      if (i > 0)
        g_string_append_c (line, ' ');
      if (is_raw (word))
        append_ansi_c_quoted (line, word);
      else if (needs_quoting (word))
        {
          g_autofree char *quoted = g_shell_quote (word);
          g_string_append (line, quoted);
        }
      else
        g_string_append (line, word);
    }
  return g_string_free (line, FALSE);
}

/* An argv word in JSON: a string, or, where it is not UTF-8 (JSON text
 * cannot hold such bytes), the array of its byte values, so that the
 * word is exact either way (as systemd's JSON output does). */
static void
add_word (JsonBuilder *b, const char *word)
{
  if (g_utf8_validate (word, -1, NULL))
    {
      json_builder_add_string_value (b, word);
      return;
    }
  json_builder_begin_array (b);
  for (const char *p = word; *p != '\0'; p++)
    json_builder_add_int_value (b, (guchar) *p);
  json_builder_end_array (b);
}

char *
bigvm_argv_to_json (const GPtrArray *argv, const GPtrArray *warnings)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "argv");
  json_builder_begin_array (builder);
  for (guint i = 0; i < argv->len; i++)
    add_word (builder, argv->pdata[i]);
  json_builder_end_array (builder);
  bigvm_json_add_strings (builder, "warnings", (const char *const *) warnings->pdata,
                          warnings->len);
  json_builder_end_object (builder);
  return bigvm_json_to_string (builder);
}
