/* SPDX-License-Identifier: MIT */
/* Module uwb.dll: C frames of the unwinder fixture (README.md). */
#include "uw.h"

__declspec(dllexport) long long b_c1(const struct uw_tab *t, long long x)
{
	long long a = x * 3 + 1, b = x ^ 0x55, c = x + 7;
	double d = (double)x * 1.5;
	long long r;

	UW_KEEP(a); UW_KEEP(b); UW_KEEP(c); UW_KEEPX(d);
	r = t->fn[UW_B_C1 + 1](t, x + 1);
	UW_KEEP(a); UW_KEEP(b); UW_KEEP(c); UW_KEEPX(d);
	return r + a * b + c + (long long)(d * 2.0);
}

__declspec(dllexport) long long b_c3(const struct uw_tab *t, long long x)
{
	volatile char buf[200];   /* a frame larger than ALLOC_SMALL's 128 */
	long long a = x + 99;
	long long r;

	buf[0] = (char)x;
	buf[199] = (char)(x >> 8);
	UW_KEEP(a);
	r = t->fn[UW_B_C3 + 1](t, x + buf[0] + buf[199]);
	UW_KEEP(a);
	return r - a;
}

int _fltused = 1;
