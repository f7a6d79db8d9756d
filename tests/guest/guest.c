/* SPDX-License-Identifier: GPL-2.0-or-later
 * bigvm-testguest: a tiny multiboot v1 guest for bigvm's end-to-end tests.
 *
 * Runs in 32-bit protected mode, reports CPUID facts and the e820 map that
 * the firmware handed over, proves that the highest RAM page is usable
 * (through PAE paging when it lies above 4 GiB), and exits through QEMU's
 * isa-debug-exit device.  See README.md for the output format.
 *
 * Freestanding: no libc, no libgcc (no 64-bit division anywhere).
 */
#include <stdint.h>
#include <stddef.h>

#define MB_BOOT_MAGIC   0x2BADB002u
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MMAP   (1u << 6)

#define DEBUGCON_PORT   0xe9
#define COM1            0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define FAULT_EXIT_CODE 127u

#define SZ_4K           0x1000ull
#define SZ_2M           0x200000ull
#define SZ_4G           0x100000000ull

/* Virtual address of the 2 MiB window used to reach RAM above 4 GiB.  The
 * guest itself only uses memory below a few MiB. */
#define WINDOW_VA       0x40000000u

/* ---- provided by boot.S ---- */
extern const uint32_t guest_exc_stubs[32];
__attribute__((returns_twice)) int guest_setjmp(uint32_t buf[6]);
__attribute__((noreturn)) void guest_longjmp(uint32_t buf[6], int val);
void guest_main(uint32_t magic, uint32_t mbi_addr);

struct fault_frame {
        uint32_t edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;  /* pushal */
        uint32_t vector, error;
        uint32_t eip, cs, eflags;                               /* by CPU */
};
void guest_fault(struct fault_frame *f);

struct mb_info {
        uint32_t flags;
        uint32_t mem_lower, mem_upper;
        uint32_t boot_device;
        uint32_t cmdline;
        uint32_t mods_count, mods_addr;
        uint32_t syms[4];
        uint32_t mmap_length, mmap_addr;
};

struct mb_mmap_entry {                  /* 'size' precedes each entry */
        uint32_t size;
        uint32_t base_lo, base_hi;
        uint32_t len_lo, len_hi;
        uint32_t type;
} __attribute__((packed));

/* ---- port I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
        __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
        __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
        uint8_t v;
        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

/* ---- output: debugcon 0xe9 and COM1 ---- */
static void uart_init(void)
{
        outb(COM1 + 1, 0x00);           /* IER: no interrupts */
        outb(COM1 + 3, 0x80);           /* LCR: DLAB */
        outb(COM1 + 0, 0x01);           /* DLL: 115200 baud */
        outb(COM1 + 1, 0x00);           /* DLM */
        outb(COM1 + 3, 0x03);           /* LCR: 8N1 */
        outb(COM1 + 2, 0xc7);           /* FCR: enable + clear FIFOs */
        outb(COM1 + 4, 0x03);           /* MCR: DTR, RTS */
}

static void putc_both(char c)
{
        uint32_t spin;

        outb(DEBUGCON_PORT, (uint8_t)c);
        /* Wait for THR empty; bounded so a missing UART (reads 0xff anyway)
         * can never hang us. */
        for (spin = 0; spin < 100000; spin++)
                if (inb(COM1 + 5) & 0x20)
                        break;
        outb(COM1, (uint8_t)c);
}

static void puts_both(const char *s)
{
        while (*s)
                putc_both(*s++);
}

static void put_hex(uint64_t v)
{
        char buf[19];
        int i = 0, shift;
        int started = 0;

        buf[i++] = '0';
        buf[i++] = 'x';
        for (shift = 60; shift >= 0; shift -= 4) {
                unsigned d = (unsigned)(v >> shift) & 0xf;
                if (d || started || shift == 0) {
                        buf[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
                        started = 1;
                }
        }
        buf[i] = 0;
        puts_both(buf);
}

static void put_dec(uint32_t v)         /* 32-bit division only */
{
        char buf[11];
        int i = 10;

        buf[i] = 0;
        do {
                buf[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        puts_both(&buf[i]);
}

static void kv_str(const char *k, const char *v)
{
        puts_both(k); putc_both('='); puts_both(v); putc_both('\n');
}

static void kv_dec(const char *k, uint32_t v)
{
        puts_both(k); putc_both('='); put_dec(v); putc_both('\n');
}

static void kv_hex(const char *k, uint64_t v)
{
        puts_both(k); putc_both('='); put_hex(v); putc_both('\n');
}

/* ---- PCI: what devices QEMU gave the guest ---- */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc

static inline uint32_t inl(uint16_t port)
{
        uint32_t v;
        __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

/* Configuration mechanism #1: vendor and device ID of bus 0, DEV, function 0. */
static uint32_t pci_id(uint32_t dev)
{
        outl(PCI_CONFIG_ADDRESS, 0x80000000u | (dev << 11));
        return inl(PCI_CONFIG_DATA);
}

static void put_hex4(uint32_t v)
{
        for (int shift = 12; shift >= 0; shift -= 4) {
                unsigned d = (v >> shift) & 0xf;
                putc_both((char)(d < 10 ? '0' + d : 'a' + d - 10));
        }
}

/* pci=VVVV:DDDD,... for every device on bus 0, in slot order. */
static void report_pci(void)
{
        int first = 1;

        puts_both("pci=");
        for (uint32_t dev = 0; dev < 32; dev++) {
                uint32_t id = pci_id(dev);
                if ((id & 0xffff) == 0xffff)
                        continue;
                if (!first)
                        putc_both(',');
                put_hex4(id & 0xffff);
                putc_both(':');
                put_hex4(id >> 16);
                first = 0;
        }
        putc_both('\n');
}

/* ---- exit ---- */
__attribute__((noreturn)) static void guest_exit(uint32_t code)
{
        outl(DEBUG_EXIT_PORT, code);    /* QEMU exits with (code << 1) | 1 */
        for (;;)
                __asm__ volatile("cli; hlt");
}

/* ---- control registers ---- */
static inline uint32_t read_cr0(void)
{
        uint32_t v;
        __asm__ volatile("mov %%cr0, %0" : "=r"(v));
        return v;
}

static inline void write_cr0(uint32_t v)
{
        __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint32_t read_cr2(void)
{
        uint32_t v;
        __asm__ volatile("mov %%cr2, %0" : "=r"(v));
        return v;
}

static inline void write_cr3(uint32_t v)
{
        __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t read_cr4(void)
{
        uint32_t v;
        __asm__ volatile("mov %%cr4, %0" : "=r"(v));
        return v;
}

static inline void write_cr4(uint32_t v)
{
        __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* ---- IDT and fault recovery ---- */
struct idt_gate {
        uint16_t off_lo, sel;
        uint8_t zero, type_attr;
        uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(8)));

static void idt_install(void)
{
        struct {
                uint16_t limit;
                uint32_t base;
        } __attribute__((packed)) desc;
        int i;

        for (i = 0; i < 32; i++) {
                uint32_t a = guest_exc_stubs[i];
                idt[i].off_lo = (uint16_t)(a & 0xffff);
                idt[i].sel = 0x08;
                idt[i].zero = 0;
                idt[i].type_attr = 0x8e;        /* present, DPL0, 32-bit intr gate */
                idt[i].off_hi = (uint16_t)(a >> 16);
        }
        desc.limit = sizeof(idt) - 1;
        desc.base = (uint32_t)(uintptr_t)idt;
        __asm__ volatile("lidt %0" : : "m"(desc));
}

static uint32_t fault_jb[6];
static volatile int fault_armed, fault_recovered;
static volatile uint32_t fault_vector, fault_error, fault_cr2;

void guest_fault(struct fault_frame *f)
{
        fault_vector = f->vector;
        fault_error = f->error;
        fault_cr2 = read_cr2();
        if (fault_armed) {
                fault_armed = 0;
                fault_recovered = 1;
                guest_longjmp(fault_jb, 1);
        }
        /* Unexpected: leave paging alone (we run identity-mapped), report
         * and exit so the test sees a failure instead of a reboot loop. */
        puts_both("bigvm-testguest: unexpected exception vector ");
        put_dec(f->vector);
        puts_both(" error ");
        put_hex(f->error);
        puts_both(" eip ");
        put_hex(f->eip);
        puts_both(" cr2 ");
        put_hex(fault_cr2);
        putc_both('\n');
        guest_exit(FAULT_EXIT_CODE);
}

/* ---- CPUID ---- */
static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
        __asm__ volatile("cpuid"
                         : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
                         : "a"(leaf), "c"(0));
}

static void put_reg_chars(char *dst, uint32_t r)
{
        int i;
        for (i = 0; i < 4; i++)
                dst[i] = (char)((r >> (8 * i)) & 0xff);
}

/* ---- PAE page tables: PDPT + 4 page directories of 2 MiB pages ---- */
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint32_t save_buf[1024];

#define PTE_P   0x1ull
#define PTE_RW  0x2ull
#define PTE_PS  0x80ull

static void build_page_tables(uint64_t window_phys)
{
        uint32_t i, j;

        for (i = 0; i < 4; i++) {
                pdpt[i] = (uint64_t)(uintptr_t)&pd[i][0] | PTE_P; /* no RW/US in PAE PDPTEs */
                for (j = 0; j < 512; j++)
                        pd[i][j] = ((uint64_t)i << 30) | ((uint64_t)j << 21) |
                                   PTE_P | PTE_RW | PTE_PS;
        }
        pd[WINDOW_VA >> 30][(WINDOW_VA >> 21) & 511] = window_phys | PTE_P | PTE_RW | PTE_PS;
}

static void paging_on(void)
{
        write_cr3((uint32_t)(uintptr_t)pdpt);
        write_cr4(read_cr4() | (1u << 5));              /* CR4.PAE */
        write_cr0(read_cr0() | (1u << 31));             /* CR0.PG */
}

static void paging_off(void)
{
        write_cr0(read_cr0() & ~(1u << 31));
        write_cr4(read_cr4() & ~(1u << 5));
}

static uint32_t pattern(uint32_t i)
{
        return 0xb16a5e00u ^ (i * 0x9e3779b1u);
}

/* Save the page, write a pattern, read it back, restore. 1 = ok. */
static int touch_page(volatile uint32_t *p)
{
        uint32_t i;
        int ok = 1;

        for (i = 0; i < 1024; i++)
                save_buf[i] = p[i];
        for (i = 0; i < 1024; i++)
                p[i] = pattern(i);
        for (i = 0; i < 1024; i++)
                if (p[i] != pattern(i))
                        ok = 0;
        for (i = 0; i < 1024; i++)
                p[i] = save_buf[i];
        return ok;
}

/* Run touch_page() at virtual address va with faults turned into a
 * failure (not a triple fault), optionally with PAE paging on. */
static __attribute__((noinline)) int guarded_touch(volatile uint32_t va, volatile int use_paging)
{
        volatile int ok = 0;
        volatile int paging = 0;

        if (guest_setjmp(fault_jb) == 0) {
                fault_armed = 1;
                if (use_paging) {
                        paging = 1;
                        paging_on();
                }
                ok = touch_page((volatile uint32_t *)(uintptr_t)va);
                fault_armed = 0;
        }
        if (paging)
                paging_off();
        return ok;
}

/*
 * Touch the last 4 KiB page below ram_end.  Above 4 GiB it is reached
 * through a 2 MiB PAE mapping of the 2 MiB block that contains it, i.e.
 * (ram_end - 1) & ~(2 MiB - 1); if ram_end is 2 MiB aligned this is exactly
 * the last 4 KiB of that block.
 */
static int high_touch(uint64_t ram_end, uint32_t phys_bits, int have_pae,
                      int have_pse36)
{
        uint64_t top, block;

        if (ram_end < 2 * SZ_4K)
                return 0;
        top = (ram_end & ~(SZ_4K - 1)) - SZ_4K;
        block = top & ~(SZ_2M - 1);

        if (top + SZ_4K <= SZ_4G)               /* below 4 GiB: direct, no paging */
                return guarded_touch((uint32_t)top, 0);

        if (!have_pae) {
                puts_both("bigvm-testguest: note: no PAE, cannot reach RAM above 4 GiB\n");
                return 0;
        }
        if (phys_bits == 0)                     /* no CPUID 0x80000008 (as QEMU) */
                phys_bits = have_pse36 ? 36 : 32;
        if (phys_bits > 52)
                phys_bits = 52;
        if ((block + SZ_2M - 1) >> phys_bits) {
                puts_both("bigvm-testguest: note: top of RAM is beyond the CPU physical address width\n");
                return 0;
        }
        build_page_tables(block);
        return guarded_touch(WINDOW_VA + (uint32_t)(top - block), 1);
}

/* ---- command line: exit=N, e820 ---- */
static int has_token(const char *s, const char *word)
{
        while (*s) {
                const char *w = word;
                const char *t = s;
                while (*t && *t != ' ' && *w && *t == *w) {
                        t++;
                        w++;
                }
                if (!*w && (!*t || *t == ' '))
                        return 1;
                while (*s && *s != ' ')
                        s++;
                while (*s == ' ')
                        s++;
        }
        return 0;
}

static uint32_t parse_exit(const char *s)
{
        uint32_t result = 0;

        while (*s) {
                const char *tok = s;
                while (*s && *s != ' ')
                        s++;
                if (s - tok > 5 && tok[0] == 'e' && tok[1] == 'x' && tok[2] == 'i' &&
                    tok[3] == 't' && tok[4] == '=') {
                        const char *q = tok + 5;
                        uint32_t v = 0;
                        int valid = 1;
                        for (; q < s; q++) {
                                if (*q < '0' || *q > '9' || v > 127) {
                                        valid = 0;
                                        break;
                                }
                                v = v * 10 + (uint32_t)(*q - '0');
                        }
                        if (valid && v <= 127)
                                result = v;     /* last valid one wins */
                }
                while (*s == ' ')
                        s++;
        }
        return result;
}

/* The value of the token KEY=N (decimal), or DEFAULT_VALUE. */
static uint32_t parse_number(const char *s, const char *key, uint32_t default_value)
{
        while (*s) {
                const char *k = key;
                const char *t = s;
                while (*k && *t == *k) {
                        t++;
                        k++;
                }
                if (!*k && *t == '=' && t[1] >= '0' && t[1] <= '9') {
                        uint32_t v = 0;
                        for (t++; *t >= '0' && *t <= '9'; t++)
                                v = v * 10 + (uint32_t)(*t - '0');
                        default_value = v;
                }
                while (*s && *s != ' ')
                        s++;
                while (*s == ' ')
                        s++;
        }
        return default_value;
}

/* Empties TCG's TLB: toggling CR4.PSE makes QEMU flush it
 * (target/i386/helper.c cpu_x86_update_cr4()).  QEMU 7.2's dirty-page
 * sync clears a RAM block's bits without resetting the TLB's write
 * tracking when the block is a multiple of 256 KiB
 * (include/exec/ram_addr.h cpu_physical_memory_sync_dirty_bitmap(),
 * fixed in QEMU 9.0 by "Fix migration dirty bitmap coherency with TCG
 * memory access"), so under TCG a page written again through an old TLB
 * entry is never sent.  With the TLB emptied every round each page is
 * written through a fresh entry, which tracks it. */
static void flush_tlb(void)
{
        uint32_t cr4;

        __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 ^ (1u << 4)) : "memory");
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

/* dirty=N: writes the round number into the first word of every 4 KiB
 * page of N MiB from 16 MiB on, round after round, checking first that
 * each page still holds the previous round's number: a page a migration
 * lost or left stale shows as an error.  Prints a line every `every`
 * rounds (default 1) with the count of errors so far and what CPUID says
 * of the address bits now, so a test sees the guest go on, intact and
 * with the same CPU, on the destination.  Never returns. */
__attribute__((noreturn)) static void dirty_rounds(uint32_t mib, uint32_t every)
{
        volatile uint32_t *base = (volatile uint32_t *)(uintptr_t)(16u << 20);
        uint32_t pages = mib << 8, errors = 0, round, a, b, c, d;

        if (every == 0)
                every = 1;
        for (round = 1;; round++) {
                flush_tlb();
                for (uint32_t i = 0; i < pages; i++) {
                        volatile uint32_t *word = base + (i << 10);
                        if (*word != round - 1) {
                                if (errors < 10) {
                                        puts_both("bigvm-testguest: note: page ");
                                        put_hex((uintptr_t)word);
                                        puts_both(" holds ");
                                        put_dec(*word);
                                        puts_both(" in round ");
                                        put_dec(round);
                                        putc_both('\n');
                                }
                                errors++;
                        }
                        *word = round;
                }
                if (round % every == 0) {
                        cpuid(0x80000008u, &a, &b, &c, &d);
                        puts_both("round=");
                        put_dec(round);
                        puts_both(" errors=");
                        put_dec(errors);
                        puts_both(" phys_bits=");
                        put_dec(a & 0xff);
                        putc_both('\n');
                }
        }
}

void guest_main(uint32_t magic, uint32_t mbi_addr)
{
        const struct mb_info *mbi = 0;
        uint32_t a, b, c, d, max_ext, phys_bits = 0, pdpe1gb = 0, lm = 0;
        int have_pae, have_pse36;
        char vendor[13];
        uint64_t ram_end = 0, ram_bytes = 0;
        uint32_t reserved_above_4g = 0, exit_code = 0;
        int ok, dump_e820 = 0;
        const char *cmdline = "";

        uart_init();
        puts_both("bigvm-testguest: start\n");
        idt_install();

        if (magic == MB_BOOT_MAGIC)
                mbi = (const struct mb_info *)(uintptr_t)mbi_addr;
        else
                puts_both("bigvm-testguest: note: bad multiboot magic\n");
        if (mbi && (mbi->flags & MBI_FLAG_CMDLINE) && mbi->cmdline)
                cmdline = (const char *)(uintptr_t)mbi->cmdline;
        dump_e820 = has_token(cmdline, "e820");

        /* 1. CPUID */
        cpuid(0, &a, &b, &c, &d);
        put_reg_chars(vendor + 0, b);
        put_reg_chars(vendor + 4, d);
        put_reg_chars(vendor + 8, c);
        vendor[12] = 0;
        have_pae = have_pse36 = 0;
        if (a >= 1) {
                cpuid(1, &a, &b, &c, &d);
                have_pae = (d >> 6) & 1;
                have_pse36 = (d >> 17) & 1;
        }
        cpuid(0x80000000u, &max_ext, &b, &c, &d);
        if (max_ext >= 0x80000001u && max_ext <= 0x8000ffffu) {
                cpuid(0x80000001u, &a, &b, &c, &d);
                pdpe1gb = (d >> 26) & 1;
                lm = (d >> 29) & 1;
        }
        if (max_ext >= 0x80000008u && max_ext <= 0x8000ffffu) {
                cpuid(0x80000008u, &a, &b, &c, &d);
                phys_bits = a & 0xff;
        }

        /* 2. memory map */
        if (mbi && (mbi->flags & MBI_FLAG_MMAP)) {
                uint32_t p = mbi->mmap_addr;
                uint32_t end = mbi->mmap_addr + mbi->mmap_length;

                while (p + sizeof(struct mb_mmap_entry) <= end) {
                        const struct mb_mmap_entry *e =
                                (const struct mb_mmap_entry *)(uintptr_t)p;
                        uint64_t base = ((uint64_t)e->base_hi << 32) | e->base_lo;
                        uint64_t len = ((uint64_t)e->len_hi << 32) | e->len_lo;

                        if (e->size < 20)
                                break;          /* malformed; avoid looping */
                        if (dump_e820) {
                                puts_both("bigvm-testguest: e820 ");
                                put_hex(base);
                                putc_both(' ');
                                put_hex(len);
                                putc_both(' ');
                                put_dec(e->type);
                                putc_both('\n');
                        }
                        if (e->type == 1) {
                                ram_bytes += len;
                                if (base + len > ram_end)
                                        ram_end = base + len;
                        } else if (base >= SZ_4G) {
                                reserved_above_4g++;
                        }
                        p += e->size + 4;
                }
        } else {
                puts_both("bigvm-testguest: note: no multiboot memory map\n");
        }

        /* 3. touch the top of RAM */
        ok = high_touch(ram_end, phys_bits, have_pae, have_pse36);
        if (fault_recovered) {
                puts_both("bigvm-testguest: note: fault during high touch, vector ");
                put_dec(fault_vector);
                puts_both(" error ");
                put_hex(fault_error);
                puts_both(" cr2 ");
                put_hex(fault_cr2);
                putc_both('\n');
        }

        /* 4. command line */
        exit_code = parse_exit(cmdline);

        /* 5. report */
        kv_str("vendor", vendor);
        kv_dec("phys_bits", phys_bits);
        kv_dec("pdpe1gb", pdpe1gb);
        kv_dec("lm", lm);
        kv_hex("ram_end", ram_end);
        kv_hex("ram_bytes", ram_bytes);
        kv_dec("reserved_above_4g", reserved_above_4g);
        kv_str("high_touch", ok ? "ok" : "fail");
        report_pci();
        kv_dec("exit", exit_code);
        puts_both("bigvm-testguest: done\n");

        /* 6. exit, or rounds over memory for the migration tests */
        if (parse_number(cmdline, "dirty", 0) != 0)
                dirty_rounds(parse_number(cmdline, "dirty", 0), parse_number(cmdline, "every", 1));
        guest_exit(exit_code);
}
