/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interop harness (see harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "consts.h"
#include "harness.h"

#ifndef WGI_NETNS_SH
#error "WGI_NETNS_SH (the path of netns.sh) must be defined by the build"
#endif

enum {
	NETNS_SH_TIMEOUT_MS = 20000,
	WG_SHOW_TIMEOUT_MS = 5000,
	NETNS_SH_SKIP = 77	/* netns.sh: network namespaces unavailable */
};

uint64_t
wgi_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * WG_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
wgi_deadline_ns(unsigned int ms)
{
	return wgi_now_ns() + (uint64_t)ms * 1000000ULL;
}

int
wgi_ms_left(uint64_t deadline_ns, int cap_ms)
{
	uint64_t now = wgi_now_ns();
	uint64_t left;

	if (now >= deadline_ns)
		return 0;
	left = (deadline_ns - now + 999999) / 1000000;
	return left > (uint64_t)cap_ms ? cap_ms : (int)left;
}

void
wgi_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L
	};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* In a forked child: everything above stderr closed, so no pipe of the
 * test runner (or of ours) is held open by a long-lived grandchild. */
static void
child_close_fds(void)
{
	long fd, max;

	if (close_range(3, ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	for (fd = 3; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

static void
child_stdin_null(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
}

int
wgi_reap(pid_t pid, int timeout_ms)
{
	uint64_t deadline = wgi_deadline_ns(timeout_ms > 0 ? timeout_ms : 0);
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout_ms == 0)
			return -2;
		if (wgi_now_ns() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		wgi_sleep_ms(10);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reads the child's stdout until EOF or the deadline; keeps what fits. */
static void
read_until_eof(int fd, char *out, size_t out_len, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	char sink[256];
	ssize_t n;
	int ms, r;

	while ((ms = wgi_ms_left(deadline, 1000)) > 0) {
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (out != NULL && used + 1 < out_len)
			n = read(fd, out + used, out_len - 1 - used);
		else
			n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out != NULL && used + 1 < out_len)
			used += (size_t)n;
	}
	if (out != NULL && out_len > 0)
		out[used] = '\0';
}

int
wgi_run(char *const argv[], char *out, size_t out_len, int timeout_ms)
{
	uint64_t deadline = wgi_deadline_ns(timeout_ms);
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		child_stdin_null();
		child_close_fds();
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	read_until_eof(fds[0], out, out_len, deadline);
	close(fds[0]);
	return wgi_reap(pid, wgi_ms_left(deadline, timeout_ms) + 1);
}

pid_t
wgi_spawn(char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	fd = open(out_path != NULL ? out_path : "/dev/null",
		  O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	child_stdin_null();
	child_close_fds();
	execvp(argv[0], argv);
	_exit(127);
}

int
wgi_enter_netns(const char *ns)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static const char *
netns_sh_path(void)
{
	const char *env = getenv("WGI_NETNS_SH");

	return env != NULL && env[0] != '\0' ? env : WGI_NETNS_SH;
}

static int
netns_sh(const struct wgi_topo *t, const char *verb, const char *lib_pub,
	 const char *keyfile)
{
	char *argv[] = { "/bin/sh", (char *)netns_sh_path(), (char *)verb,
			 (char *)t->name, (char *)lib_pub, (char *)keyfile,
			 (char *)t->log_path, NULL };

	if (lib_pub == NULL)
		argv[4] = NULL;
	return wgi_run(argv, NULL, 0, NETNS_SH_TIMEOUT_MS);
}

static bool
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512];
	const char *p, *end;

	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, prog);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* Why this machine cannot run the test, or NULL if it can. */
static const char *
cannot_run(void)
{
	static const char *const progs[] = { "wireguard-go", "wg", "ip", "ping" };
	static char why[64];
	size_t i;

	if (geteuid() != 0)
		return "not root (network namespaces need CAP_SYS_ADMIN)";
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (!in_path(progs[i])) {
			snprintf(why, sizeof(why), "%s is not installed", progs[i]);
			return why;
		}
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return "no /dev/net/tun for wireguard-go";
	return NULL;
}

/*
 * A child in its own session that waits on a pipe: a byte means "the test
 * cleaned up, exit"; EOF means the test process died without cleaning up,
 * so it runs netns.sh down itself.
 */
static int
reaper_start(struct wgi_topo *t)
{
	char *argv[] = { "/bin/sh", (char *)netns_sh_path(), "down",
			 t->name, NULL };
	int fds[2];
	char c;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	t->reaper_pid = fork();
	if (t->reaper_pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (t->reaper_pid == 0) {
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		dup2(fds[0], 0);	/* dup2 clears O_CLOEXEC */
		child_close_fds();
		do
			n = read(0, &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	t->reaper_fd = fds[1];
	return 0;
}

static void
reaper_stop(struct wgi_topo *t)
{
	if (t->reaper_fd < 0)
		return;
	if (write(t->reaper_fd, "x", 1) != 1)
		fprintf(stderr, "interop: reaper pipe: %s\n", strerror(errno));
	close(t->reaper_fd);
	t->reaper_fd = -1;
	wgi_reap(t->reaper_pid, 2000);
}

/* wg reads the private key from a 0600 file; removed right after use. */
static int
write_key_file(char path[32], const uint8_t key[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN + 2];
	int fd, ret = 0;

	strcpy(path, "/tmp/wgi-key-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	wg_key_to_base64(b64, key);
	b64[WG_KEY_B64_LEN] = '\n';
	if (fchmod(fd, 0600) != 0 ||
	    write(fd, b64, WG_KEY_B64_LEN + 1) != WG_KEY_B64_LEN + 1)
		ret = -1;
	wg_memzero(b64, sizeof(b64));
	close(fd);
	if (ret != 0)
		unlink(path);
	return ret;
}

static void
topo_names(struct wgi_topo *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "wgi%d", (int)getpid());
	snprintf(t->ns_lib, sizeof(t->ns_lib), "%s-lib", t->name);
	snprintf(t->ns_go, sizeof(t->ns_go), "%s-go", t->name);
	snprintf(t->wg_if, sizeof(t->wg_if), "%swg", t->name);
	snprintf(t->log_path, sizeof(t->log_path), "/tmp/%s-wireguard-go.log",
		 t->name);
	t->reaper_fd = -1;
}

enum wgi_topo_status
wgi_topo_up(struct wgi_topo *t, const uint8_t lib_pub[WG_KEY_LEN],
	    const uint8_t go_priv[WG_KEY_LEN], char *why, size_t why_len)
{
	char pub_b64[WG_KEY_B64_LEN + 1], keyfile[32];
	const char *no;
	int rc;

	topo_names(t);
	no = cannot_run();
	if (no != NULL) {
		snprintf(why, why_len, "%s", no);
		return WGI_TOPO_SKIP;
	}
	unlink(t->log_path);
	if (reaper_start(t) != 0) {
		snprintf(why, why_len, "cannot fork the reaper: %s",
			 strerror(errno));
		return WGI_TOPO_FAILED;
	}
	if (write_key_file(keyfile, go_priv) != 0) {
		snprintf(why, why_len, "cannot write the key file");
		wgi_topo_down(t);
		return WGI_TOPO_FAILED;
	}
	wg_key_to_base64(pub_b64, lib_pub);
	t->up = true;
	rc = netns_sh(t, "up", pub_b64, keyfile);
	unlink(keyfile);
	if (rc == 0)
		return WGI_TOPO_READY;
	wgi_topo_down(t);
	if (rc == NETNS_SH_SKIP) {
		snprintf(why, why_len, "'ip netns add' failed here");
		return WGI_TOPO_SKIP;
	}
	snprintf(why, why_len, "netns.sh up failed (status %d)", rc);
	return WGI_TOPO_FAILED;
}

void
wgi_topo_down(struct wgi_topo *t)
{
	int rc;

	if (t->up) {
		rc = netns_sh(t, "down", NULL, NULL);
		if (rc != 0)
			fprintf(stderr, "interop: netns.sh down %s: status %d\n",
				t->name, rc);
		t->up = false;
	}
	reaper_stop(t);
}

void
wgi_topo_dump_log(const struct wgi_topo *t)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(t->log_path, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", t->log_path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of %s ----\n", t->log_path);
	fclose(f);
}

int
wgi_go_show(const struct wgi_topo *t, const char *field, char *out,
	    size_t out_len)
{
	char *argv[] = { "wg", "show", (char *)t->wg_if, (char *)field, NULL };
	size_t n;

	if (wgi_run(argv, out, out_len, WG_SHOW_TIMEOUT_MS) != 0)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

int
wgi_go_peer_stats(const struct wgi_topo *t, struct wgi_go_peer_stats *s)
{
	char line[256];
	char key[WG_KEY_B64_LEN + 1];

	memset(s, 0, sizeof(*s));
	if (wgi_go_show(t, "latest-handshakes", line, sizeof(line)) != 0 ||
	    sscanf(line, "%44s %" SCNu64, s->peer_b64,
		   &s->latest_handshake) != 2)
		return -1;
	if (wgi_go_show(t, "transfer", line, sizeof(line)) != 0 ||
	    sscanf(line, "%44s %" SCNu64 " %" SCNu64, key, &s->rx_bytes,
		   &s->tx_bytes) != 3)
		return -1;
	return strcmp(key, s->peer_b64) == 0 ? 0 : -1;
}
