/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The case list and the few facts every family shares (IMIX, size labels).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* 7 x 64, 4 x 576, 1 x 1420 (the classic 1500, clamped to the inner MTU), spread out. */
const uint32_t wg_bench_imix[12] = {
	64, 576, 64, 64, 576, 64, WG_BENCH_MTU, 64, 576, 64, 64, 576
};

double
wg_bench_imix_mean(void)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < WG_BENCH_IMIX_LEN; i++)
		sum += wg_bench_imix[i];
	return sum / WG_BENCH_IMIX_LEN;
}

double
wg_bench_mean_size(uint32_t size)
{
	return size == WG_BENCH_SIZE_IMIX ? wg_bench_imix_mean() : size;
}

unsigned int
wg_bench_warm_ms(const struct wg_bench_opts *o)
{
	return o->duration_ms / 5;
}

uint32_t
wg_bench_fewest_peers(const struct wg_bench_opts *o)
{
	uint32_t m = o->peers[0];
	unsigned int i;

	for (i = 1; i < o->n_peers; i++)
		m = o->peers[i] < m ? o->peers[i] : m;
	return m;
}

const char *
wg_bench_size_label(uint32_t size, char *buf, size_t len)
{
	if (size == WG_BENCH_SIZE_IMIX)
		snprintf(buf, len, "imix");
	else
		snprintf(buf, len, "%u", size);
	return buf;
}

struct wg_bench_case *
wg_bench_case_new(struct wg_bench_list *l)
{
	struct wg_bench_case *bc;

	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? 2 * l->cap : 64;
		struct wg_bench_case **v = realloc(l->v, cap * sizeof(v[0]));

		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	bc = calloc(1, sizeof(*bc));
	if (bc != NULL)
		l->v[l->n++] = bc;
	return bc;
}

void
wg_bench_list_free(struct wg_bench_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct wg_bench_case *bc = l->v[i];

		if (bc->ops != NULL && bc->ops->destroy != NULL)
			bc->ops->destroy(bc);
		else
			free(bc->priv);
		free(bc);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void
wg_bench_extra_set(struct wg_bench_case *bc, const char *name, double value)
{
	unsigned int i;

	for (i = 0; i < bc->n_extra; i++) {
		if (strcmp(bc->extra[i].name, name) == 0) {
			bc->extra[i].value = value;
			return;
		}
	}
	if (bc->n_extra < WG_BENCH_MAX_EXTRA)
		bc->extra[bc->n_extra++] = (struct wg_bench_extra){ name, value };
}

void
wg_bench_extra_add(struct wg_bench_case *bc, const char *name, double v)
{
	double old = wg_bench_extra_get(bc, name);

	wg_bench_extra_set(bc, name, isnan(old) ? v : old + v);
}

double
wg_bench_extra_get(const struct wg_bench_case *bc, const char *name)
{
	unsigned int i;

	for (i = 0; i < bc->n_extra; i++)
		if (strcmp(bc->extra[i].name, name) == 0)
			return bc->extra[i].value;
	return NAN;
}

int
wg_bench_ratio_add(struct wg_bench_case *bc, const char *name,
		   const struct wg_bench_case *ref, const struct wg_bench_case *ref2)
{
	struct wg_bench_ratio *r;

	if (bc->n_ratios == WG_BENCH_MAX_RATIOS)
		return -1;
	r = &bc->ratios[bc->n_ratios++];
	r->name = name;
	r->ref[0] = ref;
	r->ref[1] = ref2;
	return 0;
}
