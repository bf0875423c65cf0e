# SPDX-License-Identifier: MIT
# Module uwb.dll, hand-written frames (README.md):
#   b_large16  PUSH_NONVOL, ALLOC_LARGE with a 16-bit size, SAVE_NONVOL,
#              SAVE_XMM128; uw_stop_prolog stops inside its prologue
#   b_raise    builds a machine frame as an interrupt would (no error
#              code) and enters b_isr, whose first code is PUSH_MACHFRAME
	.text
	.globl b_large16
	.globl uw_stop_prolog
	.p2align 4
b_large16:
	.seh_proc b_large16
	pushq %rbp
	.seh_pushreg %rbp
	subq $0x210, %rsp
	.seh_stackalloc 0x210
uw_stop_prolog:
	movq %rbx, 0x100(%rsp)
	.seh_savereg %rbx, 0x100
	movaps %xmm6, 0x1f0(%rsp)
	.seh_savexmm %xmm6, 0x1f0
	.seh_endprologue
	movq %rcx, %rbp
	movq $0xB16B16, %rbx
	xorps %xmm6, %xmm6
	incq %rdx
	movq %rbp, %rcx
	callq *40(%rbp)
	movaps 0x1f0(%rsp), %xmm6
	movq 0x100(%rsp), %rbx
	addq $0x210, %rsp
	popq %rbp
	retq
	.seh_endproc

	.globl b_raise
	.p2align 4
b_raise:
	movq (%rsp), %rax
	leaq 8(%rsp), %r10
	andq $-16, %rsp
	pushq $0x18
	pushq %r10
	pushfq
	pushq $0x10
	pushq %rax
	jmp b_isr

	.globl b_isr
	.p2align 4
b_isr:
	.seh_proc b_isr
	.seh_pushframe
	pushq %rsi
	.seh_pushreg %rsi
	subq $0x20, %rsp
	.seh_stackalloc 0x20
	.seh_endprologue
	movq %rcx, %rsi
	incq %rdx
	callq *56(%rsi)
	addq $0x20, %rsp
	popq %rsi
	movq (%rsp), %r11
	movq 24(%rsp), %rsp
	jmpq *%r11
	.seh_endproc
