/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket, driven by the stock wg(8) tool and by raw clients,
 * against a server running in a thread of the test process. Interface
 * names are wgt<pid><letter>, unique per test (each runs in its own
 * process). Checked: wg show / show dump / showconf text, wg set with every
 * option, setconf, syncconf, addconf, peer removal and preshared-key
 * removal, replace semantics, a 20k-peer setconf and streamed get; raw
 * malformed input and its errno, the connection surviving it, disconnects
 * mid-request, limits and timeouts, no fd left behind; the socket file's
 * mode, stale and live files. Keys are test values.
 *
 * Needs wg(8) and a writable /var/run/wireguard: skipped without them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "line_server.h"
#include "testutil.h"
#include "uapi_server.h"

#define PRIV_B64 "6Hm9sgZbGNRxmBDohoaAK2tLkoYNg6Hdx8/xHat5H2Q="
#define PSK_B64 "cbEsw0M8FroL0uuLHBAd6FO7FFkZuQGf9C/oRcbqXsg="
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- a server in a thread ----------------------------------------------- */

struct srv {
	struct wg_device *dev;
	struct wg_lsrv *lsrv;
	struct wg_uapi_server *s;
	pthread_t thread;
	atomic_bool stop;
	bool running;
	char ifname[16];
	char path[128];
};

static void *
serve(void *arg)
{
	struct srv *t = arg;

	while (!atomic_load(&t->stop))
		cr_assert_geq(wg_lsrv_poll(t->lsrv, 10), 0);
	return NULL;
}

static bool
have_wg(void)
{
	return system("command -v wg >/dev/null 2>&1") == 0;
}

static void
skip_without_socket_dir(void)
{
	struct stat st;

	if (stat(WG_UAPI_SERVER_DIR, &st) == 0 ?
	    access(WG_UAPI_SERVER_DIR, W_OK) != 0 :
	    access("/var/run", W_OK) != 0)
		cr_skip_test("no write access to " WG_UAPI_SERVER_DIR);
}

/* max_set_bytes for the next srv_open() (0: the default). */
static size_t next_set_cap;

static int
srv_open(struct srv *t, char suffix, uint32_t max_peers, unsigned int max_conns,
	 unsigned int idle_ms)
{
	struct wg_device_config dcfg = { .max_peers = max_peers };
	struct wg_uapi_server_config cfg = { 0 };
	char err[256];
	int ret;

	memset(t, 0, sizeof(*t));
	snprintf(t->ifname, sizeof(t->ifname), "wgt%d%c", (int)getpid(), suffix);
	snprintf(t->path, sizeof(t->path), WG_UAPI_SERVER_DIR "/%s.sock",
		 t->ifname);
	cr_assert_eq(wg_device_create(&t->dev, &dcfg), 0);
	cr_assert_eq(wg_lsrv_create(&t->lsrv), 0);
	cfg.server = t->lsrv;
	cfg.ifname = t->ifname;
	cfg.device = t->dev;
	cfg.max_connections = max_conns;
	cfg.idle_timeout_ms = idle_ms;
	cfg.max_set_bytes = next_set_cap;
	next_set_cap = 0;
	ret = wg_uapi_server_open(&t->s, &cfg, err, sizeof(err));
	if (ret != 0) {
		cr_assert_neq(err[0], '\0', "no reason given");
		wg_lsrv_destroy(t->lsrv);
		wg_device_destroy(t->dev);
		t->lsrv = NULL;
		t->dev = NULL;
	}
	return ret;
}

/*
 * The server of the running test, for cleanup after a failed assertion
 * (the test's structs are static so that the thread never outlives them).
 */
static struct srv *current;

static void
srv_start_opts(struct srv *t, char suffix, uint32_t max_peers,
	       unsigned int max_conns, unsigned int idle_ms)
{
	skip_without_socket_dir();
	cr_assert_eq(srv_open(t, suffix, max_peers, max_conns, idle_ms), 0);
	atomic_store(&t->stop, false);
	cr_assert_eq(pthread_create(&t->thread, NULL, serve, t), 0);
	t->running = true;
	current = t;
}

static void
srv_start(struct srv *t, char suffix)
{
	if (!have_wg())
		cr_skip_test("wg(8) is not installed");
	srv_start_opts(t, suffix, 0, 0, 0);
}

/* Stops the thread: the test may then read the device. */
static void
srv_pause(struct srv *t)
{
	if (!t->running)
		return;
	atomic_store(&t->stop, true);
	pthread_join(t->thread, NULL);
	t->running = false;
}

static void
srv_resume(struct srv *t)
{
	atomic_store(&t->stop, false);
	cr_assert_eq(pthread_create(&t->thread, NULL, serve, t), 0);
	t->running = true;
}

static void
srv_finish(struct srv *t)
{
	current = NULL;
	srv_pause(t);
	wg_uapi_server_close(t->s);
	wg_lsrv_destroy(t->lsrv);
	wg_device_destroy(t->dev);
	cr_assert_neq(access(t->path, F_OK), 0, "socket file left behind");
}

/* After a failed test: stop the thread and remove the socket file. */
/* A directory a sockfile test made in /tmp, removed even if it failed. */
static char test_dir[64];

static void
test_dir_remove(void)
{
	char path[sizeof(test_dir) + 256 + 2];
	struct dirent *e;
	DIR *d;

	if (test_dir[0] == '\0')
		return;
	chmod(test_dir, 0700);
	d = opendir(test_dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", test_dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(test_dir);
	test_dir[0] = '\0';
}

static void
cleanup(void)
{
	struct srv *t = current;

	test_dir_remove();
	if (t == NULL)
		return;
	current = NULL;
	srv_pause(t);
	wg_lsrv_destroy(t->lsrv);	/* closes t->s */
	wg_device_destroy(t->dev);
}

TestSuite(wg, .fini = cleanup);
TestSuite(raw, .fini = cleanup);
TestSuite(sockfile, .fini = cleanup);

/* ---- running wg(8) ------------------------------------------------------ */

/* Runs a shell command; returns its exit status, output in *out. */
static int __attribute__((format(printf, 2, 3)))
run(char **out, const char *fmt, ...)
{
	struct sbuf sb = { 0 };
	char cmd[4096], buf[4096];
	va_list ap;
	size_t n;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	st = pclose(f);
	if (out != NULL)
		*out = sb_take(&sb);
	else
		free(sb.p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define WG "WG_COLOR_MODE=never wg "

static void
run_ok(const char *cmd_fmt, const char *arg)
{
	char *out;
	int st = run(&out, cmd_fmt, arg);

	cr_assert_eq(st, 0, "'%s' (%s) failed: %s", cmd_fmt, arg, out);
	free(out);
}

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/wgtestXXXXXX");
	int fd = mkstemp(path);
	size_t n = strlen(text);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static char *
wg_out(const char *fmt, const char *ifname)
{
	char *out;
	int st = run(&out, fmt, ifname);

	cr_assert_eq(st, 0, "'%s' failed: %s", fmt, out);
	return out;
}

static const char *
pub_b64_of(char out[WG_KEY_B64_LEN + 1], const char *priv_b64)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	cr_assert_eq(wg_key_from_base64(priv, priv_b64), 0);
	cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
	wg_key_to_base64(out, pub);
	return out;
}

/* ---- wg(8) end to end --------------------------------------------------- */

Test(wg, set_then_show_and_dump)
{
	static struct srv t;
	char k1[WG_KEY_B64_LEN + 1], k2[WG_KEY_B64_LEN + 1];
	char pub[WG_KEY_B64_LEN + 1], want[2048], cmd[1024];
	char *priv_file = write_temp(PRIV_B64 "\n");
	char *psk_file = write_temp(PSK_B64 "\n");
	const struct wg_device_peer *p;
	uint8_t key[WG_KEY_LEN], psk[WG_KEY_LEN];
	char *out;

	srv_start(&t, 'a');
	test_key_b64(k1, 1);
	test_key_b64(k2, 2);
	pub_b64_of(pub, PRIV_B64);
	snprintf(cmd, sizeof(cmd), WG "set %%s private-key %s listen-port 51820 "
		 "fwmark 0x20 peer %s preshared-key %s allowed-ips "
		 "10.0.0.0/24,fd00::/64 endpoint 192.0.2.1:51820 "
		 "persistent-keepalive 25 peer %s endpoint [2001:db8::5]:7 "
		 "allowed-ips 10.0.1.1/32", priv_file, k1, psk_file, k2);
	run_ok(cmd, t.ifname);

	out = wg_out(WG "show %s dump", t.ifname);
	snprintf(want, sizeof(want),
		 PRIV_B64 "\t%s\t51820\t0x20\n"
		 "%s\t" PSK_B64 "\t192.0.2.1:51820\t10.0.0.0/24,fd00::/64\t0\t0\t0\t25\n"
		 "%s\t(none)\t[2001:db8::5]:7\t10.0.1.1/32\t0\t0\t0\toff\n",
		 pub, k1, k2);
	cr_assert_str_eq(out, want);
	free(out);
	/* wg lists it among the interfaces it finds in the socket dir. */
	out = wg_out(WG "show interfaces # %s", t.ifname);
	cr_assert_not_null(strstr(out, t.ifname), "%s", out);
	free(out);

	/* One peer for the pretty form: wg sorts peers by handshake. */
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s remove", k2);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s", t.ifname);
	snprintf(want, sizeof(want),
		 "interface: %s\n"
		 "  public key: %s\n"
		 "  private key: (hidden)\n"
		 "  listening port: 51820\n"
		 "  fwmark: 0x20\n"
		 "\n"
		 "peer: %s\n"
		 "  preshared key: (hidden)\n"
		 "  endpoint: 192.0.2.1:51820\n"
		 "  allowed ips: 10.0.0.0/24, fd00::/64\n"
		 "  persistent keepalive: every 25 seconds\n",
		 t.ifname, pub, k1);
	cr_assert_str_eq(out, want);
	free(out);

	/* The model itself. */
	srv_pause(&t);
	cr_assert_eq(wg_device_listen_port(t.dev), 51820);
	cr_assert_eq(wg_device_fwmark(t.dev), 0x20);
	cr_assert_eq(wg_device_peer_count(t.dev), 1);
	test_key(key, 1);
	p = wg_device_peer_lookup(t.dev, key);
	cr_assert_not_null(p);
	cr_assert_eq(wg_key_from_base64(psk, PSK_B64), 0);
	cr_assert(memcmp(p->preshared_key, psk, WG_KEY_LEN) == 0);
	cr_assert_eq(p->persistent_keepalive, 25);
	cr_assert_eq(p->endpoint.family, WG_AF_INET);
	cr_assert_eq(p->endpoint.port, 51820);
	cr_assert_eq(p->n_allowed_ips, 2);
	srv_finish(&t);
	unlink(priv_file);
	unlink(psk_file);
	free(priv_file);
	free(psk_file);
}

Test(wg, preshared_key_dev_null_removes_it_and_remove_removes_the_peer)
{
	static struct srv t;
	char k1[WG_KEY_B64_LEN + 1], cmd[512];
	char *psk_file = write_temp(PSK_B64 "\n"), *out;
	uint8_t key[WG_KEY_LEN];

	srv_start(&t, 'b');
	test_key_b64(k1, 1);
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s preshared-key %s", k1,
		 psk_file);
	run_ok(cmd, t.ifname);
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s preshared-key /dev/null",
		 k1);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s preshared-keys", t.ifname);
	cr_assert_str_eq(strchr(out, '\t'), "\t(none)\n");
	free(out);
	srv_pause(&t);
	test_key(key, 1);
	cr_assert(wg_key_is_zero(wg_device_peer_lookup(t.dev, key)->preshared_key));
	srv_resume(&t);

	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s remove", k1);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s peers", t.ifname);
	cr_assert_str_eq(out, "");
	free(out);
	srv_finish(&t);
	unlink(psk_file);
	free(psk_file);
}

Test(wg, allowed_ips_replace_and_move)
{
	static struct srv t;
	char k1[WG_KEY_B64_LEN + 1], k2[WG_KEY_B64_LEN + 1], cmd[512];
	char want[512];
	char *out;

	srv_start(&t, 'c');
	test_key_b64(k1, 1);
	test_key_b64(k2, 2);
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s allowed-ips "
		 "10.0.0.0/8,10.1.0.0/16 peer %s allowed-ips 10.2.0.0/16", k1, k2);
	run_ok(cmd, t.ifname);
	/* wg set's allowed-ips replaces the peer's list... */
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s allowed-ips "
		 "10.1.0.0/16,192.168.0.0/24", k1);
	run_ok(cmd, t.ifname);
	/* ...and takes a prefix from whoever had it. */
	snprintf(cmd, sizeof(cmd), WG "set %%s peer %s allowed-ips "
		 "10.2.0.0/16,192.168.0.0/24", k2);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s allowed-ips", t.ifname);
	snprintf(want, sizeof(want), "%s\t10.1.0.0/16\n%s\t10.2.0.0/16 "
		 "192.168.0.0/24\n", k1, k2);
	cr_assert_str_eq(out, want);
	free(out);
	srv_finish(&t);
}

/* The config file as wg showconf prints it. */
static const char conf_fmt[] =
	"[Interface]\n"
	"ListenPort = 41000\n"
	"FwMark = 0x7\n"
	"PrivateKey = " PRIV_B64 "\n"
	"\n"
	"[Peer]\n"
	"PublicKey = %s\n"
	"PresharedKey = " PSK_B64 "\n"
	"AllowedIPs = 10.9.0.0/16, fd00:9::/64\n"
	"Endpoint = [2001:db8::9]:9\n"
	"PersistentKeepalive = 15\n"
	"\n"
	"[Peer]\n"
	"PublicKey = %s\n"
	"AllowedIPs = 10.8.0.1/32\n"
	"Endpoint = 203.0.113.8:51820\n"
	"\n"
	"[Peer]\n"
	"PublicKey = %s\n";

/*
 * showconf lists peers in slot id order, which after a setconf on an
 * empty device is the file's order, and each peer's allowed IPs in the
 * order given: the round trip is exact.
 */
Test(wg, setconf_then_showconf_is_the_same_file)
{
	static struct srv t;
	char k1[WG_KEY_B64_LEN + 1], k2[WG_KEY_B64_LEN + 1], k3[WG_KEY_B64_LEN + 1];
	char conf[2048], cmd[256];
	char *file, *out;

	srv_start(&t, 'd');
	snprintf(conf, sizeof(conf), conf_fmt, test_key_b64(k1, 1),
		 test_key_b64(k2, 2), test_key_b64(k3, 3));
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "setconf %%s %s", file);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "showconf %s", t.ifname);
	cr_assert_str_eq(out, conf);
	free(out);
	/* setconf replaces: a file with one peer leaves one peer. */
	snprintf(conf, sizeof(conf), "[Interface]\nListenPort = 1\n\n[Peer]\n"
		 "PublicKey = %s\n", k2);
	unlink(file);
	free(file);
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "setconf %%s %s", file);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "showconf %s", t.ifname);
	/* setconf sends private key, port and fwmark always (zero when the
	 * file has none): the key and fwmark are gone. */
	snprintf(conf, sizeof(conf), "[Interface]\nListenPort = 1\n\n[Peer]\n"
		 "PublicKey = %s\n", k2);
	cr_assert_str_eq(out, conf);
	free(out);
	srv_finish(&t);
	unlink(file);
	free(file);
}

static char *
sorted_lines(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line, **lines = NULL;
	struct sbuf sb = { 0 };
	size_t n = 0, i, j;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = line;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			line = lines[j];
			lines[j] = lines[j - 1];
			lines[j - 1] = line;
		}
	for (i = 0; i < n; i++)
		sb_printf(&sb, "%s\n", lines[i]);
	free(lines);
	free(copy);
	return sb_take(&sb);
}

/* syncconf changes what differs and keeps the rest, slot ids included. */
Test(wg, syncconf_and_addconf)
{
	static struct srv t;
	char k[5][WG_KEY_B64_LEN + 1], conf[2048], cmd[256], want[2048];
	char *file, *out, *sorted, *sorted_want;
	uint8_t key[WG_KEY_LEN];
	int i;

	srv_start(&t, 'e');
	for (i = 1; i <= 4; i++)
		test_key_b64(k[i], (uint32_t)i);
	snprintf(conf, sizeof(conf), "[Interface]\nListenPort = 5\n\n"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.1/32\n\n"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32\n\n"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.3/32\n",
		 k[1], k[2], k[3]);
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "setconf %%s %s", file);
	run_ok(cmd, t.ifname);
	unlink(file);
	free(file);

	snprintf(conf, sizeof(conf), "[Interface]\nListenPort = 6\n\n"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32, 10.0.0.1/32\n"
		 "PersistentKeepalive = 9\n\n"
		 "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.4/32\n", k[2], k[4]);
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "syncconf %%s %s", file);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s dump", t.ifname);
	snprintf(want, sizeof(want),
		 "(none)\t(none)\t6\toff\n"
		 "%s\t(none)\t(none)\t10.0.0.2/32,10.0.0.1/32\t0\t0\t0\t9\n"
		 "%s\t(none)\t(none)\t10.0.0.4/32\t0\t0\t0\toff\n", k[2], k[4]);
	sorted = sorted_lines(out);
	sorted_want = sorted_lines(want);
	cr_assert_str_eq(sorted, sorted_want);
	free(sorted);
	free(sorted_want);
	free(out);
	srv_pause(&t);
	test_key(key, 2);
	cr_assert_eq(wg_device_peer_lookup(t.dev, key)->id, 1,
		     "syncconf recreated an unchanged peer");
	srv_resume(&t);
	unlink(file);
	free(file);

	/* addconf adds without replacing. */
	snprintf(conf, sizeof(conf), "[Peer]\nPublicKey = %s\n"
		 "AllowedIPs = 10.0.0.3/32\n", k[3]);
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "addconf %%s %s", file);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s peers", t.ifname);
	snprintf(want, sizeof(want), "%s\n%s\n%s\n", k[2], k[3], k[4]);
	sorted = sorted_lines(out);
	sorted_want = sorted_lines(want);
	cr_assert_str_eq(sorted, sorted_want);
	free(sorted);
	free(sorted_want);
	free(out);
	srv_finish(&t);
	unlink(file);
	free(file);
}

/* The own-key rule through wg: a peer that is us is not added. */
Test(wg, a_peer_with_our_own_key_is_ignored)
{
	static struct srv t;
	char pub[WG_KEY_B64_LEN + 1], cmd[512];
	char *priv_file = write_temp(PRIV_B64 "\n"), *out;

	srv_start(&t, 'f');
	pub_b64_of(pub, PRIV_B64);
	snprintf(cmd, sizeof(cmd), WG "set %%s private-key %s peer %s "
		 "allowed-ips 10.0.0.0/8", priv_file, pub);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "show %s peers", t.ifname);
	cr_assert_str_eq(out, "");
	free(out);
	srv_finish(&t);
	unlink(priv_file);
	free(priv_file);
}

Test(wg, an_error_reaches_wg_and_changes_nothing)
{
	static struct srv t;
	char cmd[4096], k[WG_KEY_B64_LEN + 1];
	char *out;
	int st, n;
	uint32_t i;

	if (!have_wg())
		cr_skip_test("wg(8) is not installed");
	srv_start_opts(&t, 'g', 2, 0, 0);
	/* %%s: the interface name, filled in by run(). */
	n = snprintf(cmd, sizeof(cmd), WG "set %%s listen-port 9");
	for (i = 0; i < 3; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " peer %s",
			      test_key_b64(k, i));
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " 2>&1");
	st = run(&out, cmd, t.ifname);
	cr_assert_neq(st, 0);
	/* wireguard-go answers "too many peers" with EINVAL. */
	cr_assert_not_null(strstr(out, "Invalid argument"), "%s", out);
	free(out);
	out = wg_out(WG "show %s dump", t.ifname);
	cr_assert_str_eq(out, "(none)\t(none)\t0\toff\n");
	free(out);
	srv_finish(&t);
}

/* 20,000 peers through setconf; the get is streamed in chunks. */
Test(wg, twenty_thousand_peers_setconf_showconf)
{
	enum { N = 20000 };
	static struct srv t;
	struct sbuf sb = { 0 };
	char k[WG_KEY_B64_LEN + 1], cmd[256];
	char *file, *conf, *out;
	size_t lines = 0;
	uint32_t i;

	srv_start(&t, 'h');
	sb_printf(&sb, "[Interface]\nListenPort = 51820\n");
	for (i = 0; i < N; i++)
		sb_printf(&sb, "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%u.%u.%u/32\n",
			  test_key_b64(k, i), (i >> 16) & 255, (i >> 8) & 255,
			  i & 255);
	conf = sb_take(&sb);
	file = write_temp(conf);
	snprintf(cmd, sizeof(cmd), WG "setconf %%s %s", file);
	run_ok(cmd, t.ifname);
	out = wg_out(WG "showconf %s", t.ifname);
	cr_assert(strcmp(out, conf) == 0, "showconf differs from the %u-peer file",
		  N);
	free(out);
	out = wg_out(WG "show %s dump", t.ifname);
	for (i = 0; out[i] != '\0'; i++)
		lines += out[i] == '\n';
	cr_assert_eq(lines, N + 1);
	free(out);
	srv_finish(&t);
	unlink(file);
	free(file);
	free(conf);
}

/* ---- raw clients -------------------------------------------------------- */

static int
client(const struct srv *t)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(t->path), sizeof(addr.sun_path));
	memcpy(addr.sun_path, t->path, strlen(t->path));
	cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "connect: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

static void
send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/* One answer: up to and including its empty line. */
static char *
read_answer(int fd)
{
	struct sbuf sb = { 0 };
	char c;

	while (sb.len < 2 || sb.p[sb.len - 1] != '\n' || sb.p[sb.len - 2] != '\n') {
		cr_assert_eq(read(fd, &c, 1), 1, "no complete answer (have %zu)",
			     sb.len);
		sb_append(&sb, &c, 1);
		if (sb.len == 1 && c == '\n')
			cr_assert_fail("answer starts with an empty line");
	}
	return sb_take(&sb);
}

static void
assert_answer(int fd, const char *want)
{
	char *got = read_answer(fd);

	cr_assert_str_eq(got, want);
	free(got);
}

static void
assert_closed(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);

	/*
	 * A hang-up with bytes of ours still unread by the server arrives
	 * as a reset rather than an end of file: both mean closed.
	 */
	cr_assert(n == 0 || (n < 0 && errno == ECONNRESET),
		  "connection not closed (read %zd, errno %d)", n, errno);
}

#define WAIT_S 10.0	/* generous: CI shares two cores */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
device_text_paused(struct srv *t)
{
	char *text;

	srv_pause(t);
	text = device_dump(t->dev);
	srv_resume(t);
	return text;
}

static void
wait_connections(struct srv *t, unsigned int n)
{
	double deadline = now_s() + WAIT_S;

	while (now_s() < deadline) {
		srv_pause(t);
		if (wg_uapi_server_connections(t->s) == n) {
			srv_resume(t);
			return;
		}
		srv_resume(t);
		usleep(10000);
	}
	cr_assert_fail("connections did not drop to %u", n);
}

struct bad_case {
	const char *name;
	const char *request;
	const char *answer;
};

Test(raw, malformed_requests_get_their_errno_and_change_nothing)
{
	static const struct bad_case cases[] = {
		{ "malformed value", "set=1\nlisten_port=65536\n\n", "errno=-22\n\n" },
		{ "malformed key", "set=1\nprivate_key=abc\n\n", "errno=-22\n\n" },
		{ "unknown device key", "set=1\nbogus=1\n\n", "errno=-22\n\n" },
		{ "unknown peer key", "set=1\npublic_key=" ZERO_HEX "\nmtu=1\n\n",
		  "errno=-22\n\n" },
		{ "peer key before a peer", "set=1\nendpoint=1.2.3.4:5\n\n",
		  "errno=-22\n\n" },
		{ "line without =", "set=1\nlisten_port\n\n", "errno=-71\n\n" },
		{ "bad endpoint late", "set=1\nlisten_port=3\npublic_key=" ZERO_HEX
		  "\nallowed_ip=10.0.0.0/8\nendpoint=300.1.1.1:1\n"
		  "persistent_keepalive_interval=1\n\n", "errno=-22\n\n" },
		{ "replace_peers=false", "set=1\nreplace_peers=false\n\n",
		  "errno=-22\n\n" },
		{ "get with a trailing byte", "get=1\nx", "errno=-22\n\n" },
	};
	static struct srv t;
	char *before, *after, *get_before;
	size_t i;
	int fd;

	srv_start_opts(&t, 'i', 0, 0, 0);
	fd = client(&t);
	send_str(fd, "set=1\nlisten_port=2\nfwmark=3\n\n");
	assert_answer(fd, "errno=0\n\n");
	send_str(fd, "get=1\n\n");
	get_before = read_answer(fd);
	before = device_text_paused(&t);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_str(fd, cases[i].request);
		assert_answer(fd, cases[i].answer);
		/* The same connection goes on serving. */
		send_str(fd, "get=1\n\n");
		after = read_answer(fd);
		cr_assert_str_eq(after, get_before, "%s", cases[i].name);
		free(after);
	}
	close(fd);
	after = device_text_paused(&t);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	free(get_before);
	srv_finish(&t);
}

Test(raw, overlong_line_is_eio_and_the_rest_of_the_request_is_dropped)
{
	static struct srv t;
	struct sbuf sb = { 0 };
	char *req, *dump;
	int fd;

	srv_start_opts(&t, 'j', 0, 0, 0);
	fd = client(&t);
	sb_printf(&sb, "set=1\nlisten_port=4\nprivate_key=");
	while (sb.len < 3 * WG_UAPI_LINE_MAX)
		sb_printf(&sb, "0123456789abcdef");
	sb_printf(&sb, "\nlisten_port=5\npublic_key=" ZERO_HEX "\n\n");
	req = sb_take(&sb);
	send_str(fd, req);
	assert_answer(fd, "errno=-5\n\n");
	/* A line of exactly WG_UAPI_LINE_MAX is merely invalid. */
	sb_printf(&sb, "set=1\nlisten_port=");
	while (sb.len < 6 + WG_UAPI_LINE_MAX)
		sb_printf(&sb, "1");
	sb_printf(&sb, "\n\n");
	free(req);
	req = sb_take(&sb);
	cr_assert_eq(strlen(req), 6 + WG_UAPI_LINE_MAX + 2);
	send_str(fd, req);
	assert_answer(fd, "errno=-22\n\n");
	send_str(fd, "set=1\nlisten_port=6\n\n");
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	dump = device_text_paused(&t);
	cr_assert_eq(strncmp(dump, "listen_port=6\nerrno=0\n\n", 23), 0, "%s", dump);
	free(dump);
	free(req);
	srv_finish(&t);
}

Test(raw, garbage_operation_closes_without_an_answer)
{
	static const char *const garbage[] = {
		"hello\n", "set=2\n", "get=1 \n", "GET=1\n", "set=1\r\n", "\n",
		"\x01\x02\x03\n",
	};
	static struct srv t;
	char junk[1500];
	size_t i;
	int fd;

	srv_start_opts(&t, 'k', 0, 0, 0);
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		fd = client(&t);
		send_str(fd, garbage[i]);
		assert_closed(fd);
		close(fd);
	}
	/* An endless operation line is cut off too, past the line limit. */
	fd = client(&t);
	memset(junk, 'x', sizeof(junk));
	/* The server may hang up before all of it is sent: EPIPE is fine. */
	for (i = 0; i < WG_UAPI_LINE_MAX / sizeof(junk) + 2; i++)
		(void)!send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		cr_assert_eq(poll(&pfd, 1, (int)(WAIT_S * 1000)), 1,
			     "an endless operation line kept the connection");
		assert_closed(fd);
	}
	close(fd);
	wait_connections(&t, 0);
	srv_finish(&t);
}

Test(raw, disconnect_mid_set_applies_nothing)
{
	static struct srv t;
	char *before, *after;
	int fd;

	srv_start_opts(&t, 'l', 0, 0, 0);
	before = device_text_paused(&t);
	/* Hang up. */
	fd = client(&t);
	send_str(fd, "set=1\nlisten_port=999\npublic_key=" ZERO_HEX "\n");
	close(fd);
	/* Half-close: the server sees EOF before the empty line. */
	fd = client(&t);
	send_str(fd, "set=1\nlisten_port=998\npublic_key=" ZERO_HEX "\n"
		 "allowed_ip=10.0.0.0/8");
	shutdown(fd, SHUT_WR);
	assert_closed(fd);
	close(fd);
	/* EOF right after the operation line. */
	fd = client(&t);
	send_str(fd, "set=1\n");
	shutdown(fd, SHUT_WR);
	assert_closed(fd);
	close(fd);
	wait_connections(&t, 0);
	after = device_text_paused(&t);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	srv_finish(&t);
}

/* A failed set is answered at once; a big one is drained, not cut off. */
Test(raw, a_long_request_failing_late_applies_nothing)
{
	static struct srv t;
	struct sbuf sb = { 0 };
	char hex[WG_KEY_HEX_LEN + 1];
	char *req, *before, *after;
	uint32_t i;
	int fd;

	srv_start_opts(&t, 'm', 0, 0, 0);
	fd = client(&t);
	send_str(fd, "set=1\npublic_key=" ZERO_HEX "\n\n");
	assert_answer(fd, "errno=0\n\n");
	before = device_text_paused(&t);
	sb_printf(&sb, "set=1\nreplace_peers=true\n");
	for (i = 0; i < 3000; i++)
		sb_printf(&sb, "public_key=%s\nallowed_ip=10.0.%u.%u/32\n",
			  test_key_hex(hex, i + 1), i >> 8, i & 255);
	sb_printf(&sb, "allowed_ip=10.0.0.0/33\n");
	for (i = 0; i < 3000; i++)
		sb_printf(&sb, "public_key=%s\n", test_key_hex(hex, i + 5000));
	sb_printf(&sb, "\nget=1\n\n");
	req = sb_take(&sb);
	send_str(fd, req);
	assert_answer(fd, "errno=-22\n\n");
	after = read_answer(fd);
	cr_assert_eq(strncmp(after, "public_key=" ZERO_HEX, 75), 0);
	free(after);
	close(fd);
	after = device_text_paused(&t);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	free(req);
	srv_finish(&t);
}

Test(raw, peer_limit_through_the_socket)
{
	static struct srv t;
	char hex[WG_KEY_HEX_LEN + 1];
	uint32_t i;
	int fd;

	srv_start_opts(&t, 'n', 2, 0, 0);
	fd = client(&t);
	send_str(fd, "set=1\nlisten_port=1\n");
	for (i = 1; i <= 3; i++) {
		send_str(fd, "public_key=");
		send_str(fd, test_key_hex(hex, i));
		send_str(fd, "\n");
	}
	send_str(fd, "\n");
	/* wireguard-go: "too many peers" is IpcErrorInvalid. */
	assert_answer(fd, "errno=-22\n\n");
	send_str(fd, "get=1\n\n");
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	srv_finish(&t);
}

Test(raw, pipelined_requests_are_answered_in_order)
{
	static struct srv t;
	int fd;

	srv_start_opts(&t, 'o', 0, 0, 0);
	fd = client(&t);
	send_str(fd, "get=1\n\nset=1\nlisten_port=7\n\nget=1\n\nset=1\nfwmark=x\n\n"
		 "set=1\nfwmark=1\n\nget=1\n\n");
	assert_answer(fd, "errno=0\n\n");
	assert_answer(fd, "errno=0\n\n");
	assert_answer(fd, "listen_port=7\nerrno=0\n\n");
	assert_answer(fd, "errno=-22\n\n");
	assert_answer(fd, "errno=0\n\n");
	assert_answer(fd, "listen_port=7\nfwmark=1\nerrno=0\n\n");
	close(fd);
	srv_finish(&t);
}

/* A big get read slowly, in small pieces, equals the model's. */
Test(raw, streamed_get_equals_the_model)
{
	static struct srv t;
	struct sbuf sb = { 0 };
	char hex[WG_KEY_HEX_LEN + 1], buf[700];
	char *req, *want;
	uint32_t i;
	ssize_t n;
	int fd;

	srv_start_opts(&t, 'p', 0, 0, 0);
	fd = client(&t);
	sb_printf(&sb, "set=1\nprivate_key=%s\n", test_key_hex(hex, 99));
	for (i = 0; i < 5000; i++)
		sb_printf(&sb, "public_key=%s\nendpoint=192.0.2.%u:%u\n"
			  "allowed_ip=10.1.%u.%u/32\nallowed_ip=fd00::%x/128\n",
			  test_key_hex(hex, i), i % 200, i + 1, i >> 8, i & 255, i);
	sb_printf(&sb, "\n");
	req = sb_take(&sb);
	send_str(fd, req);
	assert_answer(fd, "errno=0\n\n");
	send_str(fd, "get=1\n\n");
	while (sb.len < 9 || strcmp(sb.p + sb.len - 9, "errno=0\n\n") != 0) {
		n = read(fd, buf, sizeof(buf));
		cr_assert_gt(n, 0);
		sb_append(&sb, buf, (size_t)n);
		if (sb.len < 200000)
			usleep(200);
	}
	close(fd);
	srv_pause(&t);
	want = device_get_text(t.dev);
	cr_assert(strcmp(sb.p, want) == 0, "streamed get differs (%zu vs %zu)",
		  sb.len, strlen(want));
	free(want);
	free(sb.p);
	free(req);
	srv_finish(&t);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(raw, connection_limit_idle_timeout_and_no_fd_left)
{
	enum { MAX = 4 };
	static struct srv t;
	int fds[MAX], fd, base, i;

	base = count_fds();
	srv_start_opts(&t, 'q', 0, MAX, 300);
	for (i = 0; i < MAX; i++)
		fds[i] = client(&t);
	wait_connections(&t, MAX);
	for (i = 0; i < MAX; i++) {
		send_str(fds[i], "get=1\n\n");
		assert_answer(fds[i], "errno=0\n\n");
	}
	/* Idle connections are closed, a half-sent set with them. */
	send_str(fds[0], "set=1\nlisten_port=77\n");
	usleep(600000);
	for (i = 0; i < MAX; i++) {
		assert_closed(fds[i]);
		close(fds[i]);
	}
	wait_connections(&t, 0);
	fd = client(&t);
	send_str(fd, "get=1\n\n");
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	wait_connections(&t, 0);
	srv_finish(&t);
	cr_assert_eq(count_fds(), base, "file descriptors left open");
}

/* At the cap, a new connection closes the one idle longest instead of
 * being refused. */
Test(raw, at_the_cap_the_longest_idle_connection_makes_room)
{
	enum { MAX = 4 };
	static struct srv t;
	int fds[MAX], extra, i;

	srv_start_opts(&t, 'E', 0, MAX, 0);
	for (i = 0; i < MAX; i++)
		fds[i] = client(&t);
	wait_connections(&t, MAX);
	/* fds[0] stays silent; the others were active since. */
	for (i = 1; i < MAX; i++) {
		send_str(fds[i], "get=1\n\n");
		assert_answer(fds[i], "errno=0\n\n");
	}
	extra = client(&t);
	send_str(extra, "get=1\n\n");
	assert_answer(extra, "errno=0\n\n");
	assert_closed(fds[0]);
	for (i = 1; i < MAX; i++) {
		send_str(fds[i], "get=1\n\n");
		assert_answer(fds[i], "errno=0\n\n");
	}
	wait_connections(&t, MAX);
	for (i = 0; i < MAX; i++)
		close(fds[i]);
	close(extra);
	srv_finish(&t);
}

/* Idle clients holding every connection used to make wg(8) fail
 * ("Protocol error") until they timed out. */
Test(wg, show_works_while_idle_clients_hold_every_connection)
{
	static struct srv t;
	int fds[WG_UAPI_SERVER_MAX_CONNECTIONS], i;
	char *out;

	srv_start(&t, 'F');
	for (i = 0; i < WG_UAPI_SERVER_MAX_CONNECTIONS; i++)
		fds[i] = client(&t);
	wait_connections(&t, WG_UAPI_SERVER_MAX_CONNECTIONS);
	cr_assert_eq(run(&out, WG "show %s 2>&1", t.ifname), 0, "wg show: %s", out);
	free(out);
	for (i = 0; i < WG_UAPI_SERVER_MAX_CONNECTIONS; i++)
		close(fds[i]);
	srv_finish(&t);
}

/* wg(8) sees the port listen-port 0 chose. */
Test(wg, listen_port_zero_shows_the_chosen_port)
{
	static struct srv t;
	unsigned int port = 0;
	char *out;

	srv_start(&t, 'K');
	run_ok(WG "set %s listen-port 0", t.ifname);
	out = wg_out(WG "show %s listen-port", t.ifname);
	cr_assert_eq(sscanf(out, "%u", &port), 1, "%s", out);
	cr_assert(port >= 49152 && port <= 65535, "port %u", port);
	free(out);
	srv_finish(&t);
}

/* A set of its peer's allowed IPs, about bytes long (without "set=1"). */
static char *
allowed_ips_set(size_t bytes)
{
	struct sbuf sb = { 0 };
	char hex[WG_KEY_HEX_LEN + 1];
	uint32_t i;

	sb_printf(&sb, "set=1\npublic_key=%s\n", test_key_hex(hex, 1));
	for (i = 0; sb.len < bytes; i++)
		sb_printf(&sb, "allowed_ip=10.%u.%u.%u/32\n", (i >> 16) & 255,
			  (i >> 8) & 255, i & 255);
	sb_printf(&sb, "\n");
	return sb_take(&sb);
}

/* A set bigger than max_set_bytes is refused whole (EMSGSIZE), its rest
 * is dropped, and the connection goes on; one within it applies. */
Test(raw, a_set_over_the_size_cap_is_refused_and_drained)
{
	enum { CAP = 64 * 1024 };
	static struct srv t;
	char *small, *big, *before, *after;
	int fd;

	next_set_cap = CAP;
	srv_start_opts(&t, 'G', 0, 0, 0);
	fd = client(&t);
	before = device_text_paused(&t);
	big = allowed_ips_set(16 * CAP);
	send_str(fd, big);
	assert_answer(fd, "errno=-90\n\n");
	after = device_text_paused(&t);
	cr_assert_str_eq(after, before, "a refused set changed the device");
	send_str(fd, "get=1\n\n");
	free(read_answer(fd));
	small = allowed_ips_set(CAP - 64);
	cr_assert_leq(strlen(small) - 6, (size_t)CAP);
	send_str(fd, small);
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	free(small);
	free(big);
	free(before);
	free(after);
	srv_finish(&t);
}

/* The default cap grows with the device: max_peers x 1 KiB + 16 MiB. A
 * 1,000-peer device takes a 16 MiB set and refuses a 17.5 MiB one. */
Test(raw, the_default_set_cap_follows_max_peers)
{
	static struct srv t;
	char *set;
	int fd;

	srv_start_opts(&t, 'H', 1000, 0, 0);
	fd = client(&t);
	set = allowed_ips_set(WG_UAPI_SERVER_SET_BYTES_BASE +
			      WG_UAPI_SERVER_SET_BYTES_PER_PEER * 1000 + 1024);
	send_str(fd, set);
	assert_answer(fd, "errno=-90\n\n");
	free(set);
	set = allowed_ips_set(WG_UAPI_SERVER_SET_BYTES_BASE);
	send_str(fd, set);
	assert_answer(fd, "errno=0\n\n");
	free(set);
	close(fd);
	srv_finish(&t);
}

/* wireguard-go's line limit is 64 KiB: a 60,000-byte line is merely
 * invalid, one past 65,535 bytes is an I/O error. */
Test(raw, lines_up_to_64_kib_are_read)
{
	static struct srv t;
	struct sbuf sb = { 0 };
	char *req;
	int fd;

	srv_start_opts(&t, 'I', 0, 0, 0);
	fd = client(&t);
	sb_printf(&sb, "set=1\nlisten_port=");
	while (sb.len < 60000)
		sb_printf(&sb, "1");
	sb_printf(&sb, "\n\n");
	req = sb_take(&sb);
	send_str(fd, req);
	assert_answer(fd, "errno=-22\n\n");
	free(req);
	sb_printf(&sb, "set=1\nlisten_port=");
	while (sb.len < 70000)
		sb_printf(&sb, "1");
	sb_printf(&sb, "\n\n");
	req = sb_take(&sb);
	send_str(fd, req);
	assert_answer(fd, "errno=-5\n\n");
	free(req);
	close(fd);
	srv_finish(&t);
}

/* listen_port=0 picks a free port, which get reports (wireguard-go binds
 * port 0); before, get left the port out while the old one stayed. */
Test(raw, listen_port_zero_picks_a_port_and_reports_it)
{
	static struct srv t;
	unsigned int port = 0;
	char *ans, *p;
	int fd;

	srv_start_opts(&t, 'J', 0, 0, 0);
	fd = client(&t);
	send_str(fd, "set=1\nlisten_port=51820\n\n");
	assert_answer(fd, "errno=0\n\n");
	send_str(fd, "set=1\nlisten_port=0\n\n");
	assert_answer(fd, "errno=0\n\n");
	send_str(fd, "get=1\n\n");
	ans = read_answer(fd);
	p = strstr(ans, "listen_port=");
	cr_assert_not_null(p, "get reports no port: %s", ans);
	cr_assert_eq(sscanf(p, "listen_port=%u\n", &port), 1);
	cr_assert(port >= 49152 && port <= 65535, "port %u", port);
	cr_assert_eq(wg_device_listen_port(t.dev), port);
	free(ans);
	close(fd);
	srv_finish(&t);
}

/* ---- the socket file ---------------------------------------------------- */

Test(sockfile, mode_0600_and_removed_on_close)
{
	static struct srv t;
	struct stat st;

	srv_start_opts(&t, 'r', 0, 0, 0);
	cr_assert_eq(stat(t.path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_str_eq(wg_uapi_server_path(t.s), t.path);
	srv_finish(&t);	/* asserts the file is gone */
}

static void
make_stale_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);	/* the file stays: a crashed instance's */
}

Test(sockfile, a_stale_socket_is_replaced)
{
	static struct srv t;
	char *path;
	int fd;

	skip_without_socket_dir();
	cr_assert_eq(asprintf(&path, WG_UAPI_SERVER_DIR "/wgt%ds.sock",
			      (int)getpid()) > 0, 1);
	make_stale_socket(path);
	srv_start_opts(&t, 's', 0, 0, 0);
	cr_assert_str_eq(t.path, path);
	fd = client(&t);
	send_str(fd, "get=1\n\n");
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	srv_finish(&t);
	free(path);
}

Test(sockfile, a_live_instance_or_a_foreign_file_is_refused)
{
	static struct srv t, second;
	struct stat st;
	char *path;
	int fd;

	srv_start_opts(&t, 't', 0, 0, 0);
	cr_assert_eq(srv_open(&second, 't', 0, 0, 0), -EADDRINUSE);
	/* The refused attempt left the live socket alone. */
	fd = client(&t);
	send_str(fd, "get=1\n\n");
	assert_answer(fd, "errno=0\n\n");
	close(fd);
	srv_finish(&t);

	cr_assert_eq(asprintf(&path, WG_UAPI_SERVER_DIR "/wgt%du.sock",
			      (int)getpid()) > 0, 1);
	fd = creat(path, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(srv_open(&second, 'u', 0, 0, 0), -EEXIST);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "a foreign file was touched");
	unlink(path);
	free(path);
}

Test(sockfile, close_leaves_a_successor_socket_alone)
{
	static struct srv t;
	struct stat st;

	srv_start_opts(&t, 'v', 0, 0, 0);
	srv_pause(&t);
	current = NULL;
	unlink(t.path);
	make_stale_socket(t.path);	/* another instance's, say */
	wg_uapi_server_close(t.s);
	cr_assert_eq(stat(t.path, &st), 0, "the successor's socket was removed");
	unlink(t.path);
	wg_lsrv_destroy(t.lsrv);
	wg_device_destroy(t.dev);
}

Test(sockfile, invalid_interface_names_are_refused)
{
	static const char *const names[] = {
		"", "a/b", "0123456789abcdef", ".", "..", "a b", "tab\t",
	};
	struct wg_device_config dcfg = { 0 };
	struct wg_uapi_server_config cfg = { 0 };
	struct wg_uapi_server *s;
	struct wg_device *d;
	char err[128];
	size_t i;

	cr_assert_eq(wg_device_create(&d, &dcfg), 0);
	cr_assert_eq(wg_lsrv_create(&cfg.server), 0);
	cfg.device = d;
	cfg.dir = "/tmp";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cfg.ifname = names[i];
		cr_assert_eq(wg_uapi_server_open(&s, &cfg, err, sizeof(err)), -EINVAL,
			     "'%s' accepted", names[i]);
		cr_assert_null(s);
	}
	wg_lsrv_destroy(cfg.server);
	wg_device_destroy(d);
}

/* ---- the socket's directory and the umask ------------------------------- */

/*
 * Every umask() call of the code under test comes here (the test is linked
 * with -Wl,--wrap=umask): the umask is the whole process's, DPDK's threads
 * included, so opening a socket must never change it.
 */
static atomic_uint umask_calls;
mode_t __real_umask(mode_t mask);
mode_t __wrap_umask(mode_t mask);

mode_t
__wrap_umask(mode_t mask)
{
	atomic_fetch_add(&umask_calls, 1);
	return __real_umask(mask);
}

/* Opens a server on the socket <dir>/wgt<pid>.sock: 0, or its error. */
static int
open_in(const char *dir, struct wg_lsrv **lsrv, struct wg_device **dev,
	struct wg_uapi_server **s, char *err, size_t errlen)
{
	struct wg_device_config dcfg = { 0 };
	struct wg_uapi_server_config cfg = { 0 };
	char ifname[16];

	snprintf(ifname, sizeof(ifname), "wgt%d", (int)getpid());
	cr_assert_eq(wg_device_create(dev, &dcfg), 0);
	cr_assert_eq(wg_lsrv_create(lsrv), 0);
	cfg.server = *lsrv;
	cfg.device = *dev;
	cfg.ifname = ifname;
	cfg.dir = dir;
	return wg_uapi_server_open(s, &cfg, err, errlen);
}

static void
close_in(struct wg_lsrv *lsrv, struct wg_device *dev)
{
	wg_lsrv_destroy(lsrv);
	wg_device_destroy(dev);
}

static unsigned int
dir_entries(const char *dir)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

Test(sockfile, the_process_umask_is_never_touched)
{
	char *dir = test_dir, err[256];
	struct wg_uapi_server *s;
	struct wg_device *dev;
	struct wg_lsrv *lsrv;
	struct stat st;
	mode_t old;

	snprintf(test_dir, sizeof(test_dir), "/tmp/wgtumask.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* A permissive umask: the socket must be 0600 all the same. */
	old = __real_umask(0);
	atomic_store(&umask_calls, 0);
	cr_assert_eq(open_in(dir, &lsrv, &dev, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(atomic_load(&umask_calls), 0, "umask() called %u times",
		     atomic_load(&umask_calls));
	__real_umask(old);
	cr_assert_eq(stat(wg_uapi_server_path(s), &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(dir_entries(dir), 1, "something besides the socket was left");
	close_in(lsrv, dev);
	cr_assert_eq(dir_entries(dir), 0);
	test_dir_remove();
}

/* Another user could swap the socket in a directory it owns or may write
 * to: such a directory is refused with a reason. */
Test(sockfile, a_directory_not_ours_or_open_to_others_is_refused)
{
	char *dir = test_dir, err[256];
	struct wg_uapi_server *s;
	struct wg_device *dev;
	struct wg_lsrv *lsrv;

	snprintf(test_dir, sizeof(test_dir), "/tmp/wgtdir.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0777), 0);
	cr_assert_eq(open_in(dir, &lsrv, &dev, &s, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "writable by group or others"), "%s", err);
	close_in(lsrv, dev);
	cr_assert_eq(chmod(dir, 0775), 0);
	cr_assert_eq(open_in(dir, &lsrv, &dev, &s, err, sizeof(err)), -EPERM);
	close_in(lsrv, dev);
	cr_assert_eq(dir_entries(dir), 0, "a refused directory was written to");
	if (geteuid() == 0) {
		cr_assert_eq(chmod(dir, 0755), 0);
		cr_assert_eq(chown(dir, 65534, 65534), 0);
		cr_assert_eq(open_in(dir, &lsrv, &dev, &s, err, sizeof(err)), -EPERM);
		cr_assert_not_null(strstr(err, "owned by uid 65534"), "%s", err);
		close_in(lsrv, dev);
		cr_assert_eq(chown(dir, 0, 0), 0);
	}
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(open_in(dir, &lsrv, &dev, &s, err, sizeof(err)), 0, "%s", err);
	close_in(lsrv, dev);
	test_dir_remove();
}
