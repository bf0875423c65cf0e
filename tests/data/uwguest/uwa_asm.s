# SPDX-License-Identifier: MIT
# Module uwa.exe, hand-written frames (README.md):
#   a_huge  PUSH_NONVOL, ALLOC_LARGE with a 32-bit size, SAVE_NONVOL_FAR,
#           SAVE_XMM128_FAR (offsets beyond the 16-bit scaled forms)
#   a_leaf  a leaf without unwind data; uw_stop_deep is the deep stop
	.text
	.globl a_huge
	.p2align 4
a_huge:
	.seh_proc a_huge
	pushq %r15
	.seh_pushreg %r15
	subq $0x110000, %rsp
	.seh_stackalloc 0x110000
	movq %r12, 0x100000(%rsp)
	.seh_savereg %r12, 0x100000
	movaps %xmm7, 0x100010(%rsp)
	.seh_savexmm %xmm7, 0x100010
	.seh_endprologue
	movq %rcx, %r15
	movq $0xA12A12, %r12
	pcmpeqd %xmm7, %xmm7
	incq %rdx
	callq *64(%r15)
	movaps 0x100010(%rsp), %xmm7
	movq 0x100000(%rsp), %r12
	addq $0x110000, %rsp
	popq %r15
	retq
	.seh_endproc

	.globl a_leaf
	.globl uw_stop_deep
	.p2align 4
a_leaf:
	movq %rdx, %rax
	addq $1, %rax
uw_stop_deep:
	nop
	retq
