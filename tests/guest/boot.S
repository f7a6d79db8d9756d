/* SPDX-License-Identifier: GPL-2.0-or-later
 * bigvm-testguest: multiboot v1 header, 32-bit entry point, GDT, stack,
 * exception stubs and a tiny setjmp/longjmp used to survive a fault while
 * touching high RAM.  Assembled with: gcc -m32 -c boot.S
 */

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003      /* bit0: page-align modules, bit1: memory info */
#define STACK_SIZE      16384

        .section .multiboot, "a"
        .balign 4
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .globl  _start
        .type   _start, @function
_start:
        /* EAX = multiboot magic, EBX = physical address of the mbi. */
        cli
        cld
        movl    %eax, %esi
        movl    %ebx, %ebp

        /* Our own flat GDT: do not depend on the loader's. */
        lgdt    gdt_desc
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $stack_top, %esp

        /* Clear .bss (QEMU zero-fills it too; this is belt and braces).
         * The mbi lives outside the image, so this cannot clobber it. */
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb

        pushl   $0                      /* fake return address / frame end */
        xorl    %eax, %eax
        pushl   %ebp                    /* mbi */
        pushl   %esi                    /* magic */
        xorl    %ebp, %ebp
        call    guest_main
        /* guest_main does not return; if it did, fall through. */
        .globl  guest_halt
guest_halt:
        cli
        hlt
        jmp     guest_halt
        .size   _start, . - _start

/*
 * int guest_setjmp(uint32_t buf[6]);  returns 0, or the longjmp value.
 * void guest_longjmp(uint32_t buf[6], int val);
 */
        .globl  guest_setjmp
        .type   guest_setjmp, @function
guest_setjmp:
        movl    4(%esp), %eax
        movl    %ebx, 0(%eax)
        movl    %esi, 4(%eax)
        movl    %edi, 8(%eax)
        movl    %ebp, 12(%eax)
        leal    4(%esp), %ecx           /* caller's esp after our ret */
        movl    %ecx, 16(%eax)
        movl    (%esp), %ecx            /* return address */
        movl    %ecx, 20(%eax)
        xorl    %eax, %eax
        ret
        .size   guest_setjmp, . - guest_setjmp

        .globl  guest_longjmp
        .type   guest_longjmp, @function
guest_longjmp:
        movl    4(%esp), %edx
        movl    8(%esp), %eax
        testl   %eax, %eax
        jnz     1f
        incl    %eax
1:      movl    0(%edx), %ebx
        movl    4(%edx), %esi
        movl    8(%edx), %edi
        movl    12(%edx), %ebp
        movl    16(%edx), %esp
        jmp     *20(%edx)
        .size   guest_longjmp, . - guest_longjmp

/*
 * Exception stubs for vectors 0..31.  Each pushes a dummy error code when
 * the CPU does not push one, then the vector number, then jumps to the
 * common path which saves the GPRs (pusha) and calls
 * guest_fault(struct fault_frame *).
 */

        .macro  EXC_STUB n, has_err
        .balign 16
exc_stub_\n:
        .if     \has_err == 0
        pushl   $0
        .endif
        pushl   $\n
        jmp     exc_common
        .endm

        EXC_STUB 0, 0
        EXC_STUB 1, 0
        EXC_STUB 2, 0
        EXC_STUB 3, 0
        EXC_STUB 4, 0
        EXC_STUB 5, 0
        EXC_STUB 6, 0
        EXC_STUB 7, 0
        EXC_STUB 8, 1
        EXC_STUB 9, 0
        EXC_STUB 10, 1
        EXC_STUB 11, 1
        EXC_STUB 12, 1
        EXC_STUB 13, 1
        EXC_STUB 14, 1
        EXC_STUB 15, 0
        EXC_STUB 16, 0
        EXC_STUB 17, 1
        EXC_STUB 18, 0
        EXC_STUB 19, 0
        EXC_STUB 20, 0
        EXC_STUB 21, 1
        EXC_STUB 22, 0
        EXC_STUB 23, 0
        EXC_STUB 24, 0
        EXC_STUB 25, 0
        EXC_STUB 26, 0
        EXC_STUB 27, 0
        EXC_STUB 28, 0
        EXC_STUB 29, 1
        EXC_STUB 30, 1
        EXC_STUB 31, 0

exc_common:
        pushal
        cld
        movl    %esp, %eax
        pushl   %eax
        call    guest_fault             /* may longjmp; otherwise never returns */
        addl    $4, %esp
        popal
        addl    $8, %esp
        iret

        .section .rodata
        .balign 4
        .globl  guest_exc_stubs
guest_exc_stubs:
        .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long   exc_stub_\n
        .endr

        .balign 8
gdt:
        .quad   0x0000000000000000      /* null */
        .quad   0x00CF9A000000FFFF      /* 0x08: flat 32-bit code */
        .quad   0x00CF92000000FFFF      /* 0x10: flat 32-bit data */
gdt_end:
        .balign 4
        .word   0                       /* pad so that the base is aligned */
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt

        .bss
        .balign 16
stack_bottom:
        .skip   STACK_SIZE
stack_top:

        .section .note.GNU-stack, "", @progbits
