/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The whitepaper's KDF1/2/3 against values computed independently in
 * Python: t0 = HMAC(ck, data), t1 = HMAC(t0, 1), t2 = HMAC(t0, t1 || 2),
 * t3 = HMAC(t0, t2 || 3), HMAC being hmac.new(k, m, hashlib.blake2s).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "hexutil.h"
#include "kdf.h"

static uint8_t ck[32], data[32], t1[32], t2[32], t3[32];

static void
setup(void)
{
	size_t i;

	for (i = 0; i < 32; i++) {
		ck[i] = i * 3;
		data[i] = i * 11 + 2;
	}
	test_unhex(t1, 32, "d7ca3964a2d1ba441f0eabd7561e09cafd0e7890e775c8871be953fc713fc122");
	test_unhex(t2, 32, "68c374a1868a409755f8f13bfd22483311ef103e11a8656e3b7275adf68a5cdb");
	test_unhex(t3, 32, "9ab541e6e7b2d012564e76a22fa6ff7c1062e8552033034e3f04549817fd8859");
}

TestSuite(kdf, .init = setup);

Test(kdf, kdf3)
{
	uint8_t a[32], b[32], c[32];

	wg_kdf(a, b, c, data, sizeof(data), ck);
	cr_assert_arr_eq(a, t1, 32);
	cr_assert_arr_eq(b, t2, 32);
	cr_assert_arr_eq(c, t3, 32);
}

Test(kdf, kdf1_and_kdf2_are_prefixes)
{
	uint8_t a[32], b[32];

	wg_kdf(a, NULL, NULL, data, sizeof(data), ck);
	cr_assert_arr_eq(a, t1, 32);
	wg_kdf(a, b, NULL, data, sizeof(data), ck);
	cr_assert_arr_eq(a, t1, 32);
	cr_assert_arr_eq(b, t2, 32);
	/* Only the third output wanted (as for the psk's tau). */
	memset(b, 0, sizeof(b));
	wg_kdf(NULL, NULL, b, data, sizeof(data), ck);
	cr_assert_arr_eq(b, t3, 32);
}

/* Noise code passes the chaining key as both input and first output. */
Test(kdf, output_may_alias_chaining_key)
{
	uint8_t chain[32], b[32];

	memcpy(chain, ck, 32);
	wg_kdf(chain, b, NULL, data, sizeof(data), chain);
	cr_assert_arr_eq(chain, t1, 32);
	cr_assert_arr_eq(b, t2, 32);
}

Test(kdf, empty_input)
{
	uint8_t a[32], b[32], want[32];

	wg_kdf(a, b, NULL, NULL, 0, ck);
	test_unhex(want, 32, "f4473317d57645bf587f8ba16976afae13afdc9edb4075a4f547312bc3ba6122");
	cr_assert_arr_eq(a, want, 32);
	test_unhex(want, 32, "461124ec05febe4e4ea8dadff23ac3f0f337c712f979923f3ca1ab8877bacd8f");
	cr_assert_arr_eq(b, want, 32);
}
