/* SPDX-License-Identifier: MIT */
/* Module uwa.exe: C frames of the unwinder fixture (README.md). */
#include "uw.h"

__declspec(dllexport) long long a_main(const struct uw_tab *t, long long x)
{
	long long a = x + 0x1111, b = x * 5;
	long long r;

	UW_KEEP(a);
	UW_KEEP(b);
	r = t->fn[UW_A_MAIN + 1](t, x + 1);
	UW_KEEP(a);
	UW_KEEP(b);
	return r ^ a ^ b;
}

__declspec(dllexport) long long a_c2(const struct uw_tab *t, long long x)
{
	long long a = x * 7, b = x - 3, c = x | 0x40, d = x << 2, e = x ^ 0x77;
	double f = (double)x * 0.25, g = (double)x + 3.5;
	long long r;

	UW_KEEP(a); UW_KEEP(b); UW_KEEP(c); UW_KEEP(d); UW_KEEP(e);
	UW_KEEPX(f); UW_KEEPX(g);
	r = t->fn[UW_A_C2 + 1](t, x + 1);
	UW_KEEP(a); UW_KEEP(b); UW_KEEP(c); UW_KEEP(d); UW_KEEP(e);
	UW_KEEPX(f); UW_KEEPX(g);
	return r + a + b + c + d + e + (long long)(f + g);
}

/* The MSVC ABI marks objects that use floating point with a reference to
 * _fltused, normally defined by the CRT. */
int _fltused = 1;
