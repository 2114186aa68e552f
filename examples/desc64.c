/*
 * The bug signlint was written for: get_desc64_base() from the Linux KVM
 * selftests (tools/testing/selftests/kvm/include/x86_64/processor.h).
 * base2 is an 8-bit bit-field; it is promoted to int, so `base2 << 24` is
 * negative for base2 >= 0x80 and the return sign-extends it to 64 bits.
 * Try: signlint check examples/desc64.c        (the finding and its fix)
 *      signlint check --diff examples/desc64.c (the fix as a diff)
 */
#include <stdint.h>

struct desc64 {
	uint16_t limit0;
	uint16_t base0;
	unsigned base1:8, type:4, s:1, dpl:2, p:1;
	unsigned limit1:4, avl:1, l:1, db:1, g:1, base2:8;
	uint32_t base3;
	uint32_t zero1;
} __attribute__((packed));

static inline uint64_t get_desc64_base(const struct desc64 *desc)
{
	return ((uint64_t)desc->base3 << 32) |
		(desc->base0 | ((desc->base1) << 16) | ((desc->base2) << 24));
}

uint64_t tss_base(const struct desc64 *desc)
{
	return get_desc64_base(desc);
}
