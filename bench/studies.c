/* SPDX-License-Identifier: GPL-2.0-only */
/* The run's studies and the resident set: see studies.h. */
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_memory.h>

#include "dp_env.h"
#include "studies.h"

static struct wg_bench_studies studies;

struct wg_bench_studies *
wg_bench_studies(void)
{
	return &studies;
}

struct wg_bench_dut_memory *
wg_bench_studies_dut_memory(void)
{
	return studies.n_dut < WG_BENCH_MAX_DUTS ? &studies.dut[studies.n_dut++] : NULL;
}

long
wg_bench_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, resident = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

long
wg_bench_eal_alloc_bytes(void)
{
	struct rte_malloc_socket_stats st;
	long sum = 0;
	int s;

	if (wg_bench_eal_lanes() == 0)
		return 0;
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			sum += (long)st.heap_allocsz_bytes;
	return sum;
}

long
wg_bench_libc_alloc_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)(mi.uordblks + mi.hblkhd);
}
