# SPDX-License-Identifier: MIT
# Module uwc.dll, hand-written frames (README.md):
#   c_push      five PUSH_NONVOL and ALLOC_SMALL; uw_stop_epilog stops in
#               its epilogue, between the pops
#   c_fp        SET_FPREG (rbp, offset 0x20), a dynamic allocation after
#               the prologue, and a "lea rsp, [rbp+disp]" epilogue
#   c_chain     hand-written .pdata/.xdata: the body is a separate
#               RUNTIME_FUNCTION with its own codes and UNW_FLAG_CHAININFO
#               pointing to the entry's (LLVM 14's .seh_startchained is
#               broken, so the tables are written here byte by byte)
#   c_raise_err builds a machine frame with an error code and enters
#               c_isr_err (PUSH_MACHFRAME, info 1)
	.text
	.globl c_push
	.globl uw_stop_epilog
	.p2align 4
c_push:
	.seh_proc c_push
	pushq %rbx
	.seh_pushreg %rbx
	pushq %rsi
	.seh_pushreg %rsi
	pushq %rdi
	.seh_pushreg %rdi
	pushq %r12
	.seh_pushreg %r12
	pushq %r13
	.seh_pushreg %r13
	subq $0x20, %rsp
	.seh_stackalloc 0x20
	.seh_endprologue
	movq %rcx, %rbx
	movq $0xC51C51, %rsi
	movq $0xC0D1C0D1, %rdi
	movq $0xC12C12, %r12
	movq $0xC13C13, %r13
	incq %rdx
	movq %rbx, %rcx
	callq *24(%rbx)
	addq $0x20, %rsp
	popq %r13
	popq %r12
uw_stop_epilog:
	popq %rdi
	popq %rsi
	popq %rbx
	retq
	.seh_endproc

	.globl c_fp
	.p2align 4
c_fp:
	.seh_proc c_fp
	pushq %rbp
	.seh_pushreg %rbp
	pushq %r14
	.seh_pushreg %r14
	subq $0x48, %rsp
	.seh_stackalloc 0x48
	leaq 0x20(%rsp), %rbp
	.seh_setframe %rbp, 0x20
	.seh_endprologue
	subq $0x30, %rsp
	movq %rcx, %r14
	incq %rdx
	callq *48(%r14)
	leaq 0x28(%rbp), %rsp
	popq %r14
	popq %rbp
	retq
	.seh_endproc

# c_chain: entry [c_chain, c_chain_end): push rbx (1 byte), sub rsp,0x20
# (4 bytes); body [c_chain_body, c_chain_body_end): push rsi (1 byte),
# sub rsp,8 (4 bytes).  Offsets in the tables below follow these sizes.
	.globl c_chain
	.p2align 4
c_chain:
	pushq %rbx
	subq $0x20, %rsp
	movq %rcx, %rbx
	jmp c_chain_body
c_chain_tail:
	addq $0x20, %rsp
	popq %rbx
	retq
c_chain_end:
	.p2align 4
c_chain_body:
	pushq %rsi
	subq $8, %rsp
	movq $0xC5C5C5, %rsi
	incq %rdx
	movq %rbx, %rcx
	callq *72(%rbx)
	addq $8, %rsp
	popq %rsi
	jmp c_chain_tail
c_chain_body_end:

	.globl c_raise_err
	.p2align 4
c_raise_err:
	movq (%rsp), %rax
	leaq 8(%rsp), %r10
	andq $-16, %rsp
	pushq $0x18
	pushq %r10
	pushfq
	pushq $0x10
	pushq %rax
	pushq $0x0E
	jmp c_isr_err

	.globl c_isr_err
	.p2align 4
c_isr_err:
	.seh_proc c_isr_err
	.seh_pushframe @code
	pushq %rdi
	.seh_pushreg %rdi
	subq $8, %rsp
	.seh_stackalloc 8
	.seh_endprologue
	movq %rcx, %rdi
	incq %rdx
	callq *80(%rdi)
	addq $8, %rsp
	popq %rdi
	addq $8, %rsp
	movq (%rsp), %r11
	movq 24(%rsp), %rsp
	jmpq *%r11
	.seh_endproc

	.section .xdata,"dr"
	.p2align 2
c_chain_xp:
	.byte 0x01              # version 1, no flags
	.byte 5                 # SizeOfProlog
	.byte 2                 # CountOfCodes
	.byte 0                 # no frame register
	.byte 5, 0x32           # @5 ALLOC_SMALL 0x20 ((3 + 1) * 8)
	.byte 1, 0x30           # @1 PUSH_NONVOL rbx (3)
c_chain_xc:
	.byte 0x21              # version 1, UNW_FLAG_CHAININFO (4 << 3)
	.byte 5
	.byte 2
	.byte 0
	.byte 5, 0x02           # @5 ALLOC_SMALL 8
	.byte 1, 0x60           # @1 PUSH_NONVOL rsi (6)
	.rva c_chain            # the chained (parent) RUNTIME_FUNCTION
	.rva c_chain_end
	.rva c_chain_xp

	.section .pdata,"dr"
	.p2align 2
	.rva c_chain
	.rva c_chain_end
	.rva c_chain_xp
	.rva c_chain_body
	.rva c_chain_body_end
	.rva c_chain_xc
