/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>

#define BASE "name = db1\nram = 1T\nvcpus = 8\n"

START_TEST (test_minimal)
{
  g_autoptr (BigvmFlavor) f = test_flavor ("name=db1\nram=1048576\nvcpus=8");

  ck_assert_str_eq (f->name, "db1");
  ck_assert_uint_eq (f->ram_bytes, BIGVM_TiB);
  ck_assert_uint_eq (f->vcpus, 8);
  ck_assert_int_eq (f->phys_addr_mode, BIGVM_PHYS_ADDR_DEFAULT);
  ck_assert_int_eq (f->firmware, BIGVM_FIRMWARE_BIOS);
  ck_assert_ptr_null (f->machine_type);
  ck_assert_ptr_null (f->cpu_model);
  ck_assert_ptr_null (f->cpu_flags[0]);
  ck_assert_uint_eq (f->warnings->len, 0);
}
END_TEST

START_TEST (test_syntax)
{
  g_autoptr (BigvmFlavor) f = test_flavor ("# a comment\n\n   # indented comment\n"
                                           "name   =   db 1  \r\n"
                                           "\tram=4T\n"
                                           "vcpus= 64\n"
                                           "hw:maxphysaddr_mode =emulate\n"
                                           "hw:maxphysaddr_bits= 44\n"
                                           "hw_machine_type = pc-q35-7.0\n"
                                           "hw_firmware_type = uefi\n"
                                           "bigvm:cpu_model = Icelake-Server\n"
                                           "bigvm:cpu_flags = +pdpe1gb, -arch-capabilities\n"
                                           "bigvm:maxmem = 6T\n"
                                           "bigvm:mem_slots = 8\n"
                                           "bigvm:nvram = vars/db1.fd");

  ck_assert_str_eq (f->name, "db 1");
  ck_assert_uint_eq (f->ram_bytes, 4 * BIGVM_TiB);
  ck_assert_uint_eq (f->vcpus, 64);
  ck_assert_int_eq (f->phys_addr_mode, BIGVM_PHYS_ADDR_EMULATE);
  ck_assert_uint_eq (f->phys_addr_bits, 44);
  ck_assert_str_eq (f->machine_type, "pc-q35-7.0");
  ck_assert_int_eq (f->firmware, BIGVM_FIRMWARE_UEFI);
  ck_assert_str_eq (f->cpu_model, "Icelake-Server");
  ck_assert_str_eq (f->cpu_flags[0], "+pdpe1gb");
  ck_assert_str_eq (f->cpu_flags[1], "-arch-capabilities");
  ck_assert_ptr_null (f->cpu_flags[2]);
  ck_assert_uint_eq (f->maxmem_bytes, 6 * BIGVM_TiB);
  ck_assert_uint_eq (f->mem_slots, 8);
  ck_assert_str_eq (f->nvram, "/flavors/vars/db1.fd");
}
END_TEST

START_TEST (test_locations)
{
  g_autoptr (BigvmFlavor) f = test_flavor ("\n" BASE);
  g_autofree char *set = bigvm_flavor_locate (f, "ram");
  g_autofree char *unset = bigvm_flavor_locate (f, "hw:maxphysaddr_bits");

  ck_assert_str_eq (set, "test.flavor:3: ram");
  ck_assert_str_eq (unset, "test.flavor: hw:maxphysaddr_bits");
}
END_TEST

START_TEST (test_passthrough)
{
  g_autoptr (BigvmFlavor) f = test_flavor (BASE "hw:maxphysaddr_mode = passthrough\n");
  ck_assert_int_eq (f->phys_addr_mode, BIGVM_PHYS_ADDR_PASSTHROUGH);
  ck_assert_uint_eq (f->phys_addr_bits, 0);
}
END_TEST

START_TEST (test_nova_keys_warn)
{
  g_autoptr (BigvmFlavor) f = test_flavor (BASE "hw:cpu_policy = dedicated\n"
                                           "quota:cpu_shares = 2048\n"
                                           "disk = 40\n"
                                           "trait:HW_CPU_X86_AVX2 = required\n"
                                           "mycloud:thing = 1\n");

  ck_assert_uint_eq (f->warnings->len, 5);
  ck_assert_str_eq (f->warnings->pdata[0],
                    "test.flavor:4: hw:cpu_policy: ignored: a Nova setting bigvm does not act on");
  ck_assert_str_eq (f->warnings->pdata[1],
                    "test.flavor:5: quota:cpu_shares: ignored: a Nova setting bigvm does not act on");
  ck_assert_str_eq (f->warnings->pdata[2],
                    "test.flavor:6: disk: ignored: a Nova setting bigvm does not act on");
  ck_assert_str_eq (f->warnings->pdata[4],
                    "test.flavor:8: mycloud:thing: ignored: bigvm does not know this namespace");
}
END_TEST

/* Each bad flavor, and the message it must give (all of it). */
static const struct {
  const char *text;
  const char *message;
} bad_flavors[] = {
  { BASE "hw:maxphysaddr_bits = 42\n",
    "test.flavor:4: hw:maxphysaddr_bits: needs hw:maxphysaddr_mode = emulate" },
  { BASE "hw:maxphysaddr_mode = emulate\n",
    "test.flavor:4: hw:maxphysaddr_mode: emulate needs hw:maxphysaddr_bits (32..52)" },
  { BASE "hw:maxphysaddr_mode = passthrough\nhw:maxphysaddr_bits = 42\n",
    "test.flavor:5: hw:maxphysaddr_bits: not allowed with hw:maxphysaddr_mode = passthrough, "
    "which gives the guest the host's bits" },
  { BASE "hw:maxphysaddr_mode = emulated\n",
    "test.flavor:4: hw:maxphysaddr_mode: \"emulated\" is not a mode (emulate or passthrough)" },
  { BASE "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = 53\n",
    "test.flavor:5: hw:maxphysaddr_bits: 53 is out of range (32..52)" },
  { BASE "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = 42.0\n",
    "test.flavor:5: hw:maxphysaddr_bits: \"42.0\" is not a whole number" },
  { BASE "hw:maxphysaddr_bit = 42\n",
    "test.flavor:4: hw:maxphysaddr_bit: unknown key; did you mean hw:maxphysaddr_bits?" },
  { BASE "hw_maxphysaddr_mode = emulate\n",
    "test.flavor:4: hw_maxphysaddr_mode: unknown key; did you mean hw:maxphysaddr_mode?" },
  { BASE "bigvm:cpu_modle = max\n",
    "test.flavor:4: bigvm:cpu_modle: unknown key; did you mean bigvm:cpu_model?" },
  { BASE "colour = blue\n", "test.flavor:4: colour: unknown key (see bigvm-flavor(5))" },
  { BASE "ram = 2T\n", "test.flavor:4: ram: set twice (first on line 2)" },
  { "name = x\nvcpus = 1\n",
    "test.flavor: ram: missing (the guest's RAM in MiB or with a unit, e.g. ram = 1T)" },
  { "name = x\nram = 1T\nvcpus = 0\n", "test.flavor:3: vcpus: 0 is out of range (1..4096)" },
  { "name = x\nram = 1.5T\nvcpus = 1\n",
    "test.flavor:2: ram: \"1.5T\" is not a size (a whole number, optionally with K, M, G or T)" },
  { "name = x\nram = 1536K\nvcpus = 1\n",
    "test.flavor:2: ram: 1536K is not a positive whole number of MiB" },
  { "name = x\nram = 8192T\nvcpus = 1\n", "test.flavor:2: ram: 8192T is too large (at most 4096 TiB)" },
  { BASE "just some words\n", "test.flavor:4: expected KEY = VALUE, found \"just some words\"" },
  { BASE "= 4\n", "test.flavor:4: expected KEY = VALUE, found \"= 4\"" },
  { BASE "bigvm:cpu_model =\n", "test.flavor:4: bigvm:cpu_model: empty value" },
  { BASE "bigvm:cpu_model = max,phys-bits=52\n",
    "test.flavor:4: bigvm:cpu_model: \"max,phys-bits=52\" is not a CPU model name (such as host, "
    "max or Icelake-Server); CPU features go in bigvm:cpu_flags" },
  { BASE "bigvm:cpu_flags = +pdpe1gb,phys-bits=52\n",
    "test.flavor:4: bigvm:cpu_flags: \"phys-bits=52\" is not +FEATURE or -FEATURE (a "
    "comma-separated list such as +pdpe1gb,-arch-capabilities)" },
  { BASE "bigvm:cpu_flags = +pdpe1gb,-pdpe1gb\n",
    "test.flavor:4: bigvm:cpu_flags: feature \"pdpe1gb\" is listed twice" },
  { BASE "hw_machine_type = q35,accel=kvm\n",
    "test.flavor:4: hw_machine_type: \"q35,accel=kvm\" is not a machine type name (such as q35 "
    "or pc-q35-7.2)" },
  { BASE "hw_firmware_type = efi\n",
    "test.flavor:4: hw_firmware_type: \"efi\" is not a firmware type (bios or uefi)" },
  { BASE "bigvm:maxmem = 2T\n", "test.flavor:4: bigvm:maxmem: needs bigvm:mem_slots (1..256)" },
  { BASE "bigvm:mem_slots = 4\n", "test.flavor:4: bigvm:mem_slots: needs bigvm:maxmem" },
  { BASE "bigvm:maxmem = 1T\nbigvm:mem_slots = 4\n",
    "test.flavor:4: bigvm:maxmem: must be larger than ram (1 TiB) to leave room for hotplug" },
  { BASE "bigvm:maxmem = 2T\nbigvm:mem_slots = 257\n",
    "test.flavor:5: bigvm:mem_slots: 257 is out of range (1..256)" },
  { BASE "bigvm:nvram = /srv/vars.fd\n",
    "test.flavor:4: bigvm:nvram: only used with hw_firmware_type = uefi" },
  { "name = x\nram = 1T\nvcpus = 1\nname = y\n", "test.flavor:4: name: set twice (first on line 1)" },
  { "ram = 1T\nvcpus = 1\nname = ", "test.flavor:3: name: empty value" },
  { BASE "hw:mem_page_size = 2M\n",
    "test.flavor:4: hw:mem_page_size: \"2M\" is not a page size (small, large, any, or a size "
    "such as 4KB, 2MB, 1GB or 2048 for KiB)" },
  { BASE "hw:mem_page_size = 16MB\n",
    "test.flavor:4: hw:mem_page_size: 16MB is not an x86 page size (4KB, 2MB or 1GB)" },
  { BASE "hw:numa_nodes = 9\n", "test.flavor:4: hw:numa_nodes: 9 nodes for 8 vCPUs: each node needs a vCPU" },
  { BASE "hw:numa_cpus.0 = 0-7\n", "test.flavor:4: hw:numa_cpus.0: needs hw:numa_nodes" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 0-3\nhw:numa_cpus.1 = 4-7\n",
    "test.flavor:4: hw:numa_nodes: node 0 needs both hw:numa_cpus.0 and hw:numa_mem.0\n"
    "test.flavor:4: hw:numa_nodes: node 1 needs both hw:numa_cpus.1 and hw:numa_mem.1" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 0-3\nhw:numa_mem.0 = 512G\n"
    "hw:numa_cpus.1 = 3-7\nhw:numa_mem.1 = 512G\n",
    "test.flavor:7: hw:numa_cpus.1: vCPU 3 is in node 0 already" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 0-3\nhw:numa_mem.0 = 512G\n"
    "hw:numa_cpus.1 = 4-6\nhw:numa_mem.1 = 512G\n",
    "test.flavor:4: hw:numa_nodes: vCPU 7 is in no node" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 0-3\nhw:numa_mem.0 = 512G\n"
    "hw:numa_cpus.1 = 4-8\nhw:numa_mem.1 = 512G\n",
    "test.flavor:7: hw:numa_cpus.1: vCPU 8 does not exist (vcpus = 8)" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 0-3\nhw:numa_mem.0 = 512G\n"
    "hw:numa_cpus.1 = 4-7\nhw:numa_mem.1 = 500G\n",
    "test.flavor:6: hw:numa_mem.0: the nodes' memory adds up to 1036288 MiB, but ram is 1048576 MiB" },
  { BASE "hw:numa_nodes = 2\nhw:numa_cpus.0 = 3-0\nhw:numa_mem.0 = 512G\n"
    "hw:numa_cpus.1 = 4-7\nhw:numa_mem.1 = 512G\n",
    "test.flavor:5: hw:numa_cpus.0: \"3-0\" is not a CPU set of vCPUs 0..4095 (such as 0-3,^2,8)" },
  { BASE "hw:numa_nodes = 1\nhw:numa_cpus.1 = 0-7\n",
    "test.flavor:5: hw:numa_cpus.1: there is no node 1 (hw:numa_nodes = 1)" },
  { BASE "vcpus\n", "test.flavor:4: expected KEY = VALUE, found \"vcpus\"" },
  { BASE "bigvm:net = wifi\n",
    "test.flavor:4: bigvm:net: \"wifi\" is not a network (none, user, tap:NAME or bridge:NAME)" },
  { BASE "bigvm:net = bridge:br 0\n",
    "test.flavor:4: bigvm:net: \"br 0\" is not an interface name (1 to 15 letters, digits, '-', "
    "'_', '.')" },
  { BASE "hw_firmware_type = uefi\nos_secure_boot = optional\n",
    "test.flavor:5: os_secure_boot: \"optional\" is not required or disabled (bigvm does not "
    "guess: say which)" },
  { BASE "os_secure_boot = required\n",
    "test.flavor:4: os_secure_boot: Secure Boot needs hw_firmware_type = uefi" },
  { BASE "hw_firmware_type = uefi\nos_secure_boot = required\nos:secure_boot = required\n",
    "test.flavor:6: os:secure_boot: os_secure_boot says it already" },
  { BASE "bigvm:mem_path = /dev/hugepages\n",
    "test.flavor:4: bigvm:mem_path: needs hw:mem_page_size = 2MB, 1GB or large: it names where "
    "huge pages come from" },
  { BASE "hw:numa_nodes = 2\nbigvm:numa_host_nodes.0 = ^1\n",
    "test.flavor:5: bigvm:numa_host_nodes.0: \"^1\" is not a list of host NUMA nodes 0..127 "
    "(such as 0, 0-1 or 0,2)" },
  { BASE "hw:numa_nodes = 2\nbigvm:numa_host_nodes.1 = 128\n",
    "test.flavor:5: bigvm:numa_host_nodes.1: \"128\" is not a list of host NUMA nodes 0..127 "
    "(such as 0, 0-1 or 0,2)" },
  { "name = x\nram = 1T\nvcpus = 256\nhw:numa_nodes = 129\n",
    "test.flavor:4: hw:numa_nodes: 129 nodes are more than QEMU takes (128, MAX_NODES)" },
  { BASE "bigvm:numa_host_nodes.0 = 0\n",
    "test.flavor:4: bigvm:numa_host_nodes.0: needs hw:numa_nodes" },
  { BASE "bigvm:prealloc_threads = 0\n",
    "test.flavor:4: bigvm:prealloc_threads: 0 is out of range (1..1024)" },
  { BASE "bigvm:disk.x = a.qcow2\n",
    "test.flavor:4: bigvm:disk.x: the index is not a number (0 to 4095, no leading zeros)" },
  { BASE "bigvm:disk.0.format = vmdk\nbigvm:disk.0 = a.vmdk\n",
    "test.flavor:4: bigvm:disk.0.format: \"vmdk\" is not a disk format (raw or qcow2)\n"
    "test.flavor:5: bigvm:disk.0: cannot tell the format of /flavors/a.vmdk: name it .qcow2, "
    ".raw or .img, or set bigvm:disk.0.format" },
  { BASE "bigvm:qmp = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.qmp\n",
    "test.flavor:4: bigvm:qmp: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.qmp is too long for a UNIX socket (at most "
    "107 bytes)" },
  { BASE "hw:numa_nodes = 1\nhw:numa_cpus.01 = 0-7\n",
    "test.flavor:5: hw:numa_cpus.01: the index is not a number (0 to 4095, no leading zeros)" },
};

START_TEST (test_bad_flavor)
{
  g_autofree char *message = test_flavor_error (bad_flavors[_i].text, BIGVM_ERROR_FLAVOR);
  ck_assert_msg (g_str_equal (message, bad_flavors[_i].message),
                 "flavor:\n%s\ngot:  %s\nwant: %s", bad_flavors[_i].text, message,
                 bad_flavors[_i].message);
}
END_TEST

START_TEST (test_all_errors_reported)
{
  g_autofree char *message = test_flavor_error ("name = x\nram = lots\nvcpus = many\ncolour = red\n",
                                                BIGVM_ERROR_FLAVOR);
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  ck_assert_uint_eq (g_strv_length (lines), 3);
  ck_assert (g_str_has_prefix (lines[0], "test.flavor:2: ram: "));
  ck_assert (g_str_has_prefix (lines[1], "test.flavor:3: vcpus: "));
  ck_assert (g_str_has_prefix (lines[2], "test.flavor:4: colour: "));
}
END_TEST

/* A hostile flavor: a 200 KB key, value or line is summed up, not
 * echoed; 20,000 bad lines make 20 lines and a count. */
START_TEST (test_huge_input_short_messages)
{
  g_autofree char *big = g_strnfill (200000, 'x');
  g_autofree char *key = g_strdup_printf (BASE "%s = 1\n", big);
  g_autofree char *value = g_strdup_printf (BASE "hw:maxphysaddr_mode = %s\n", big);
  g_autofree char *line = g_strdup_printf (BASE "%s\n", big);
  const char *texts[] = { key, value, line };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *message = test_flavor_error (texts[i], BIGVM_ERROR_FLAVOR);
      ck_assert_msg (strlen (message) < 200, "%zu bytes: %.300s", strlen (message), message);
      ck_assert_msg (strstr (message, "... (200000 bytes)") != NULL
                     || strstr (message, "... (200004 bytes)") != NULL, "%s", message);
    }

  GString *many = g_string_new (BASE);
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (many, "bigvm:unknown%u = 1\n", i);
  g_autofree char *text = g_string_free (many, FALSE);
  g_autofree char *message = test_flavor_error (text, BIGVM_ERROR_FLAVOR);
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);
  ck_assert_uint_eq (g_strv_length (lines), 21);
  ck_assert_str_eq (lines[20], "test.flavor: 19980 more problems not listed");

  /* Ignored keys are warnings: the same cap. */
  GString *nova = g_string_new (BASE);
  for (guint i = 0; i < 100; i++)
    g_string_append_printf (nova, "quota:x%u = 1\n", i);
  g_autofree char *nova_text = g_string_free (nova, FALSE);
  g_autoptr (BigvmFlavor) f = test_flavor (nova_text);
  ck_assert_uint_eq (f->warnings->len, 21);
  ck_assert_str_eq (f->warnings->pdata[20], "test.flavor: 80 more ignored keys not listed");
}
END_TEST

START_TEST (test_bytes)
{
  static const char nul[] = "name = x\nram = 1T\0\nvcpus = 1\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) f = bigvm_flavor_parse ("t", "/", nul, sizeof nul - 1, &error);
  ck_assert_ptr_null (f);
  ck_assert (g_str_has_prefix (error->message, "t:2: contains a NUL byte\n"));

  g_autofree char *utf8 = test_flavor_error ("name = caf\xe9\nram = 1T\nvcpus = 1\n",
                                             BIGVM_ERROR_FLAVOR);
  ck_assert (g_str_has_prefix (utf8, "test.flavor:1: not valid UTF-8\n"));

  g_autoptr (BigvmFlavor) ok = test_flavor ("name = café ☕\nram = 1T\nvcpus = 1\n");
  ck_assert_str_eq (ok->name, "café ☕");
}
END_TEST

START_TEST (test_name_limits)
{
  g_autofree char *long_name = g_strnfill (256, 'x');
  g_autofree char *text = g_strdup_printf ("name = %s\nram = 1T\nvcpus = 1\n", long_name);
  g_autofree char *message = test_flavor_error (text, BIGVM_ERROR_FLAVOR);
  ck_assert_str_eq (message, "test.flavor:1: name: 256 characters long, at most 255 are allowed");

  /* 255 characters of two bytes each: Nova counts characters. */
  GString *wide = g_string_new ("name = ");
  for (int i = 0; i < 255; i++)
    g_string_append (wide, "é");
  g_string_append (wide, "\nram = 1T\nvcpus = 1\n");
  g_autoptr (BigvmFlavor) f = test_flavor (wide->str);
  g_string_free (wide, TRUE);
  ck_assert_uint_eq (g_utf8_strlen (f->name, -1), 255);
}
END_TEST

START_TEST (test_page_sizes)
{
  static const struct { const char *value; BigvmPageRequest request; guint64 bytes; } cases[] = {
    { "small", BIGVM_PAGES_SMALL, 0 }, { "large", BIGVM_PAGES_LARGE, 0 },
    { "any", BIGVM_PAGES_ANY, 0 }, { "2048", BIGVM_PAGES_SIZE, 2 * BIGVM_MiB },
    { "2MB", BIGVM_PAGES_SIZE, 2 * BIGVM_MiB }, { "2MiB", BIGVM_PAGES_SIZE, 2 * BIGVM_MiB },
    { "1GB", BIGVM_PAGES_SIZE, BIGVM_GiB }, { "1048576", BIGVM_PAGES_SIZE, BIGVM_GiB },
    { "4KB", BIGVM_PAGES_SIZE, 4096 }, { "4", BIGVM_PAGES_SIZE, 4096 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf (BASE "hw:mem_page_size = %s\n", cases[i].value);
      g_autoptr (BigvmFlavor) f = test_flavor (text);
      ck_assert_int_eq (f->page_request, cases[i].request);
      ck_assert_uint_eq (f->page_size_bytes, cases[i].bytes);
    }
}
END_TEST

START_TEST (test_numa_count_only)
{
  g_autoptr (BigvmFlavor) f = test_flavor (BASE "hw:numa_nodes = 2\n");
  ck_assert_uint_eq (f->numa_nodes->len, 2);
  for (guint n = 0; n < 2; n++)
    {
      BigvmNumaNode *node = f->numa_nodes->pdata[n];
      ck_assert_ptr_null (node->cpus);  /* the planner splits them */
      ck_assert_uint_eq (node->mem_bytes, 0);
    }
}
END_TEST

START_TEST (test_numa_manual)
{
  g_autoptr (BigvmFlavor) f = test_flavor (BASE "hw:numa_nodes = 2\n"
                                           "hw:numa_cpus.0 = 0-5,^2,^4-5\nhw:numa_mem.0 = 262144\n"
                                           "hw:numa_cpus.1 = 2,4-7\nhw:numa_mem.1 = 768G\n");
  BigvmNumaNode *n0 = f->numa_nodes->pdata[0];
  BigvmNumaNode *n1 = f->numa_nodes->pdata[1];

  ck_assert_uint_eq (n0->cpus->len, 3);
  ck_assert_uint_eq (g_array_index (n0->cpus, guint, 2), 3);
  ck_assert_uint_eq (n0->mem_bytes, 256 * BIGVM_GiB);
  ck_assert_uint_eq (n1->cpus->len, 5);
  ck_assert_uint_eq (n1->mem_bytes, 768 * BIGVM_GiB);
}
END_TEST

START_TEST (test_production_keys)
{
  g_autoptr (BigvmFlavor) f = test_flavor (BASE "hw_firmware_type = uefi\n"
                                           "os_secure_boot = required\n"
                                           "hw:mem_page_size = 1GB\n"
                                           "hw:numa_nodes = 2\n"
                                           "bigvm:numa_host_nodes.0 = 0,2-3\n"
                                           "bigvm:prealloc_threads = 48\n"
                                           "bigvm:mem_path = /dev/hugepages1G\n"
                                           "bigvm:disk.10 = b.img\n"
                                           "bigvm:disk.2 = a.qcow2\n"
                                           "bigvm:disk.2.format = raw\n"
                                           "bigvm:cdrom = ../iso/x.iso\n"
                                           "bigvm:net = tap:tap0\n"
                                           "bigvm:qmp = q.sock\n"
                                           "bigvm:pidfile = /run/x.pid\n");
  BigvmNumaNode *n0 = f->numa_nodes->pdata[0];
  BigvmNumaNode *n1 = f->numa_nodes->pdata[1];
  BigvmDisk *first = f->disks->pdata[0];
  BigvmDisk *second = f->disks->pdata[1];

  ck_assert (f->secure_boot);
  ck_assert_uint_eq (n0->host_nodes->len, 3);
  ck_assert_uint_eq (g_array_index (n0->host_nodes, guint, 2), 3);
  ck_assert_uint_eq (n1->host_nodes->len, 0);
  ck_assert_uint_eq (f->prealloc_threads, 48);
  ck_assert_str_eq (f->mem_path, "/dev/hugepages1G");
  ck_assert_uint_eq (f->disks->len, 2);
  ck_assert_uint_eq (first->index, 2);
  ck_assert_str_eq (first->path, "/flavors/a.qcow2");
  ck_assert_int_eq (first->format, BIGVM_DISK_RAW);
  ck_assert_uint_eq (second->index, 10);
  ck_assert_int_eq (second->format, BIGVM_DISK_RAW);
  ck_assert_str_eq (f->cdrom, "/iso/x.iso");
  ck_assert_int_eq (f->net, BIGVM_NET_TAP);
  ck_assert_str_eq (f->net_name, "tap0");
  ck_assert_str_eq (f->qmp, "/flavors/q.sock");
  ck_assert_str_eq (f->pidfile, "/run/x.pid");
}
END_TEST

START_TEST (test_load)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "db1.flavor", NULL);
  g_autofree char *big = g_build_filename (dir, "big.flavor", NULL);
  g_autoptr (GError) error = NULL;

  ck_assert (g_file_set_contents (path, BASE "hw_firmware_type = uefi\nbigvm:nvram = db1.fd\n",
                                  -1, NULL));
  g_autoptr (BigvmFlavor) f = bigvm_flavor_load (path, &error);
  ck_assert_msg (f != NULL, "%s", error ? error->message : "");
  g_autofree char *nvram = g_build_filename (dir, "db1.fd", NULL);
  ck_assert_str_eq (f->nvram, nvram);

  /* A directory, a missing file, a FIFO, /dev/zero and an oversized file:
   * all "cannot read FLAVOR", and quickly. */
  g_autofree char *fifo = g_build_filename (dir, "fifo.flavor", NULL);
  ck_assert (mkfifo (fifo, 0600) == 0);
  const char *unreadable[] = { dir, "/nonexistent/x.flavor", "/dev/zero", big, fifo, NULL };
  g_autofree char *filler = g_strnfill (BIGVM_FLAVOR_MAX_BYTES + 1, '#');
  ck_assert (g_file_set_contents (big, filler, -1, NULL));
  for (const char **p = unreadable; *p != NULL; p++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (BigvmFlavor) none = bigvm_flavor_load (*p, &e);
      ck_assert_msg (none == NULL, "%s was read", *p);
      ck_assert_msg (g_error_matches (e, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT), "%s: %s", *p,
                     e->message);
      ck_assert (g_str_has_prefix (e->message, *p));
    }
  test_tmpdir_remove (dir);
}
END_TEST

Suite *
suite_flavor (void)
{
  Suite *s = suite_create ("flavor");
  TCase *tc = tcase_create ("parse");
  tcase_add_test (tc, test_minimal);
  tcase_add_test (tc, test_syntax);
  tcase_add_test (tc, test_locations);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_nova_keys_warn);
  tcase_add_test (tc, test_bytes);
  tcase_add_test (tc, test_name_limits);
  tcase_add_test (tc, test_production_keys);
  tcase_add_test (tc, test_load);
  suite_add_tcase (s, tc);
  tc = tcase_create ("refusals");
  tcase_add_loop_test (tc, test_bad_flavor, 0, G_N_ELEMENTS (bad_flavors));
  tcase_add_test (tc, test_all_errors_reported);
  tcase_add_test (tc, test_huge_input_short_messages);
  suite_add_tcase (s, tc);
  tc = tcase_create ("nova");
  tcase_add_test (tc, test_page_sizes);
  tcase_add_test (tc, test_numa_count_only);
  tcase_add_test (tc, test_numa_manual);
  suite_add_tcase (s, tc);
  return s;
}
