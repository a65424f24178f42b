/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer: the configuration loader (control/config/). The input is the
 * file's text, read through a memory file; a refused file must come with
 * its "FILE:LINE: problem" message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_config cfg;
	char path[64], err[512];
	int fd, rc;

	fd = memfd_create("wgedge.conf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	rc = wg_config_load(path, &cfg, err, sizeof(err));
	if (rc == 0)
		wg_config_free(&cfg);
	else if (rc != -1 || err[0] == '\0')
		abort();
	close(fd);
	return 0;
}
