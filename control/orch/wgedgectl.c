/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedgectl: the command-line client of wgedge's orchestration socket
 * (control/orch.h has the protocol). It sends one request, prints the
 * one-line JSON answer as it arrives, and exits 0 if the answer says
 * "ok":true, 1 if it does not (or the socket failed), 2 on a usage error.
 * Plain libc, so that it runs anywhere the daemon does.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define ORCH_DIR "/var/run/wgedge"

enum {
	LINE_MAX_LEN = 1024,		/* the server's WG_ORCH_LINE_MAX */
	SEND_BUF = 64 * 1024,
	ANSWER_TIMEOUT_S = 120,		/* a bulk-add of 100k peers takes seconds */
	EXIT_USAGE = 2
};

static const char usage_text[] =
"usage: wgedgectl [-s SOCKET] INTERFACE COMMAND [key=value ...]\n"
"       wgedgectl [-s SOCKET] INTERFACE bulk-add [family=4|6|both] FILE\n"
"\n"
"Talks to wgedge's orchestration socket, " ORCH_DIR "/INTERFACE.ctl\n"
"(or SOCKET), and prints its answer: one line of JSON, {\"ok\":true,...} or\n"
"{\"ok\":false,\"error\":\"...\",\"errno\":N}. Exits 0 when ok is true, 1 when\n"
"not (or the socket failed), 2 on a usage error.\n"
"\n"
"Commands:\n"
"  stats [peers=yes|no]\n"
"      Every peer (public key, endpoint, allowed IPs, rx/tx bytes, last\n"
"      handshake as Unix time), every drop reason's counter, the dataplane's\n"
"      totals, the control thread's counters and the address pool's use;\n"
"      peers=no leaves the peers out.\n"
"        wgedgectl wge0 stats | jq '.peers[] | {public_key, rx_bytes}'\n"
"\n"
"  add-peer public_key=KEY [family=4|6|both] [preshared_key=- |\n"
"           preshared_key_file=FILE] [persistent_keepalive=SECONDS]\n"
"      Adds a peer whose allowed IPs are a fresh random /32 and/or /128 from\n"
"      the address pool (family: default every family the pool has), and\n"
"      answers the addresses. Refused if the peer exists (errno 17) or the\n"
"      pool is full (errno 28); then nothing changes. The preshared key is\n"
"      read from FILE, or from one line of stdin (preshared_key=- or\n"
"      preshared_key_file=-); a key given on the command line is refused:\n"
"      every local user can read it in /proc.\n"
"        wgedgectl wge0 add-peer public_key=$(wg pubkey < client.key)\n"
"        -> {\"ok\":true,\"public_key\":\"...\",\"ipv4\":\"10.93.4.17\",\"ipv6\":\"fd00:64::...\"}\n"
"\n"
"  rotate public_key=KEY [family=4|6|both]\n"
"      Gives the peer fresh pool addresses in place of its old ones (its other\n"
"      allowed IPs stay), atomically; the old ones go back to the pool.\n"
"        wgedgectl wge0 rotate public_key=KEY family=4\n"
"        -> {\"ok\":true,...,\"ipv4\":\"10.71.0.9\",...,\"old_ipv4\":[\"10.93.4.17\"],...}\n"
"\n"
"  expiry [seconds=N]\n"
"      Shows, or sets, the idle expiry age: a peer's endpoint and session\n"
"      keys are wiped N seconds after its latest handshake (0: never).\n"
"        wgedgectl wge0 expiry seconds=300   -> {\"ok\":true,\"idle_expiry\":300}\n"
"\n"
"  bulk-add [family=4|6|both] FILE\n"
"      Adds a peer for every public key in FILE (one per line, bare or as\n"
"      public_key=KEY; blank lines and # comments skipped; - for stdin), each\n"
"      with fresh pool addresses, all in one step: one bad, duplicate or\n"
"      existing key and none is added (the answer's \"line\" is the number\n"
"      of that key, counting keys only).\n"
"        wgedgectl wge0 bulk-add keys.txt | jq -r '.peers[] | [.public_key, .ipv4] | @tsv'\n"
"\n"
"Options:\n"
"  -s, --socket SOCKET   the socket's path, in place of " ORCH_DIR "/INTERFACE.ctl\n"
"  -h, --help            this text\n";

/* A buffered writer over the socket. */
struct sender {
	int fd;
	size_t len;
	char buf[SEND_BUF];
};

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
sender_flush(struct sender *s)
{
	int rc = write_all(s->fd, s->buf, s->len);

	explicit_bzero(s->buf, s->len);
	s->len = 0;
	return rc;
}

static int
sender_put(struct sender *s, const char *p, size_t n)
{
	if (s->len + n > sizeof(s->buf) && sender_flush(s) != 0)
		return -1;
	if (n > sizeof(s->buf))
		return write_all(s->fd, p, n);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "wgedgectl: %s: path too long\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		fprintf(stderr, "wgedgectl: %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is wgedge running for that interface?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Copies the answer line to stdout as it arrives: 0 if it says ok. */
static int
relay_answer(int fd)
{
	static const char ok[] = "{\"ok\":true";
	char buf[65536], head[sizeof(ok) - 1];
	size_t have = 0, i;
	bool done = false;
	ssize_t n;

	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "wgedgectl: %s\n", n == 0 ?
				"the server closed the connection without an answer" :
				errno == EAGAIN ? "no answer in time" : strerror(errno));
			return 1;
		}
		for (i = 0; i < (size_t)n && !done; i++) {
			if (have < sizeof(head))
				head[have++] = buf[i];
			done = buf[i] == '\n';
		}
		fwrite(buf, 1, i, stdout);
	}
	fflush(stdout);
	return have == sizeof(head) && memcmp(head, ok, sizeof(head)) == 0 ? 0 : 1;
}

/* ---- the request -------------------------------------------------------- */

/* The key in FILE ("-": stdin), first line, blanks trimmed. */
static int
read_key_file(const char *path, char *out, size_t cap)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "wgedgectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fgets(out, (int)cap, f) == NULL)
		out[0] = '\0';
	if (f != stdin)
		fclose(f);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
			 out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "wgedgectl: %s: no key in it\n", path);
		return -1;
	}
	return 0;
}

/*
 * Where the preshared key of arg is to be read from (a file, or "-" for
 * stdin), or NULL if arg is not about it. A key itself on the command line
 * is refused (*refused): every local user reads it in /proc/PID/cmdline.
 */
static const char *
psk_source(const char *arg, bool *refused)
{
	static const char pskf[] = "preshared_key_file=", psk[] = "preshared_key=";

	*refused = false;
	if (strncmp(arg, pskf, sizeof(pskf) - 1) == 0)
		return arg + sizeof(pskf) - 1;
	if (strncmp(arg, psk, sizeof(psk) - 1) != 0)
		return NULL;
	if (strcmp(arg + sizeof(psk) - 1, "-") == 0)
		return "-";
	*refused = true;
	fprintf(stderr, "wgedgectl: refusing preshared_key=KEY on the command line, "
		"where every local user can read it; give preshared_key=- (one line "
		"on stdin) or preshared_key_file=FILE\n");
	return NULL;
}

/* One argument onto the request line; the preshared key is read here. */
static int
add_arg(char *line, size_t cap, const char *arg)
{
	const char *src;
	bool refused;
	char key[256];
	int rc = 0;

	if (strpbrk(arg, " \t\r\n") != NULL || strchr(arg, '=') == NULL) {
		fprintf(stderr, "wgedgectl: arguments are key=value without blanks\n");
		return -1;
	}
	src = psk_source(arg, &refused);
	if (refused)
		return -1;
	if (src != NULL) {
		rc = read_key_file(src, key, sizeof(key));
		if (rc == 0 && (strlen(line) + strlen(key) + 16 >= cap ||
				strpbrk(key, " \t") != NULL)) {
			fprintf(stderr, "wgedgectl: %s does not hold one key\n",
				strcmp(src, "-") == 0 ? "stdin" : src);
			rc = -1;
		}
		if (rc == 0) {
			strcat(line, " preshared_key=");
			strcat(line, key);
		}
		explicit_bzero(key, sizeof(key));
		return rc;
	}
	if (strlen(line) + strlen(arg) + 2 >= cap) {
		fprintf(stderr, "wgedgectl: the request is too long\n");
		return -1;
	}
	strcat(line, " ");
	strcat(line, arg);
	return 0;
}

/* Each key line of FILE as "public_key=KEY\n"; then the empty line. */
static int
send_keys(struct sender *s, FILE *f)
{
	static const char name[] = "public_key=";
	char *line = NULL, *p, *end;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		p = line;
		end = line + n;
		while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
				   end[-1] == ' ' || end[-1] == '\t'))
			end--;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p == '#')
			continue;
		if (strncmp(p, name, sizeof(name) - 1) != 0)
			rc = sender_put(s, name, sizeof(name) - 1);
		if (rc == 0)
			rc = sender_put(s, p, (size_t)(end - p));
		if (rc == 0)
			rc = sender_put(s, "\n", 1);
	}
	free(line);
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "wgedgectl: reading the keys: %s\n", strerror(errno));
		return -1;
	}
	if (rc == 0)
		rc = sender_put(s, "\n", 1);
	return rc;
}

static int
bulk_add(int fd, char *line, const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	static struct sender s;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "wgedgectl: %s: %s\n", file, strerror(errno));
		return 1;
	}
	s.fd = fd;
	strcat(line, "\n");
	rc = sender_put(&s, line, strlen(line));
	if (rc == 0)
		rc = send_keys(&s, f);
	if (rc == 0)
		rc = sender_flush(&s);
	if (f != stdin)
		fclose(f);
	/* A refused request may still have been answered: read on. */
	if (rc != 0 && errno != EPIPE) {
		fprintf(stderr, "wgedgectl: sending: %s\n", strerror(errno));
		return 1;
	}
	return relay_answer(fd);
}

/* ---- main --------------------------------------------------------------- */

struct cli {
	const char *socket;
	const char *ifname;
	const char *command;
	char **args;
	int n_args;
};

static int
parse_cli(int argc, char **argv, struct cli *cli)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			exit(0);
		}
		if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) &&
		    i + 1 < argc) {
			cli->socket = argv[++i];
			continue;
		}
		fprintf(stderr, "wgedgectl: unknown option %s (see --help)\n", argv[i]);
		return -1;
	}
	if (argc - i < 2) {
		fputs(usage_text, stderr);
		return -1;
	}
	cli->ifname = argv[i];
	cli->command = argv[i + 1];
	cli->args = argv + i + 2;
	cli->n_args = argc - i - 2;
	if (strlen(cli->ifname) == 0 || strlen(cli->ifname) > 15 ||
	    strchr(cli->ifname, '/') != NULL || strpbrk(cli->command, " \t\r\n")) {
		fprintf(stderr, "wgedgectl: bad interface name or command\n");
		return -1;
	}
	return 0;
}

/* The request line; bulk-add's last argument is its FILE. */
static int
build_request(const struct cli *cli, char *line, size_t cap, const char **file)
{
	int i, n = cli->n_args;

	*file = NULL;
	if (strcmp(cli->command, "bulk-add") == 0) {
		if (n == 0 || strchr(cli->args[n - 1], '=') != NULL) {
			fprintf(stderr, "wgedgectl: bulk-add needs a FILE of public keys (- for stdin)\n");
			return -1;
		}
		*file = cli->args[--n];
	}
	if (strlen(cli->command) >= cap)
		return -1;
	strcpy(line, cli->command);
	for (i = 0; i < n; i++)
		if (add_arg(line, cap, cli->args[i]) != 0)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct cli cli = { 0 };
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	char line[LINE_MAX_LEN + 2];
	const char *file;
	int fd, rc;

	if (parse_cli(argc, argv, &cli) != 0 ||
	    build_request(&cli, line, LINE_MAX_LEN, &file) != 0) {
		explicit_bzero(line, sizeof(line));
		return EXIT_USAGE;
	}
	if (cli.socket != NULL)
		snprintf(path, sizeof(path), "%s", cli.socket);
	else
		snprintf(path, sizeof(path), "%s/%s.ctl", ORCH_DIR, cli.ifname);
	signal(SIGPIPE, SIG_IGN);
	fd = connect_to(path);
	if (fd < 0) {
		explicit_bzero(line, sizeof(line));
		return 1;
	}
	if (file != NULL) {
		rc = bulk_add(fd, line, file);
	} else {
		strcat(line, "\n");
		rc = write_all(fd, line, strlen(line));
		if (rc != 0)
			fprintf(stderr, "wgedgectl: sending: %s\n", strerror(errno));
		rc = rc == 0 ? relay_answer(fd) : 1;
	}
	explicit_bzero(line, sizeof(line));
	close(fd);
	return rc;
}
