/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interop lib peer (see lib_peer.h): lib/ driven over a UDP socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "harness.h"
#include "inner.h"
#include "keys.h"
#include "lib_peer.h"
#include "transport.h"

enum { WGI_DGRAM_MAX = 4096 };

#define WGI_DROP_TEXT(name, text) [WGI_##name] = text,
static const char *const drop_text[WGI_DROP_COUNT] = {
	WGI_DROP_REASONS(WGI_DROP_TEXT)
};
#undef WGI_DROP_TEXT

const char *
wgi_drop_name(enum wgi_drop d)
{
	return d < WGI_DROP_COUNT ? drop_text[d] : "?";
}

static int
drop(struct wgi_lib_peer *p, enum wgi_drop d)
{
	p->st.drops[d]++;
	return -1;
}

static uint32_t
new_index(struct wgi_lib_peer *p)
{
	return p->next_index++;
}

int
wgi_peer_init(struct wgi_lib_peer *p, const uint8_t our_priv[NOISE_PUBLIC_KEY_LEN],
	      const uint8_t peer_pub[NOISE_PUBLIC_KEY_LEN])
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	if (wg_noise_identity_set(&p->id, our_priv) != 0)
		return -1;
	wg_noise_handshake_init(&p->hs, &p->id, peer_pub, NULL);
	wg_cookie_checker_init(&p->checker, p->id.static_public);
	wg_cookie_init(&p->cookie, peer_pub);
	randombytes_buf(&p->next_index, sizeof(p->next_index));
	return 0;
}

int
wgi_peer_open(struct wgi_lib_peer *p, const char *local_ip, uint16_t local_port,
	      const char *remote_ip, uint16_t remote_port)
{
	struct sockaddr_in local = {
		.sin_family = AF_INET,
		.sin_port = htons(local_port)
	};

	p->remote.sin_family = AF_INET;
	p->remote.sin_port = htons(remote_port);
	if (inet_pton(AF_INET, local_ip, &local.sin_addr) != 1 ||
	    inet_pton(AF_INET, remote_ip, &p->remote.sin_addr) != 1)
		return -1;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -1;
	if (bind(p->fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		close(p->fd);
		p->fd = -1;
		return -1;
	}
	return 0;
}

void
wgi_peer_close(struct wgi_lib_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	wg_noise_identity_clear(&p->id);
	wg_memzero(&p->hs, sizeof(p->hs));
	wg_memzero(&p->kp, sizeof(p->kp));
	wg_memzero(&p->checker, sizeof(p->checker));
	wg_memzero(&p->cookie, sizeof(p->cookie));
	p->have_keypair = false;
}

static int
send_to_peer(struct wgi_lib_peer *p, const void *buf, size_t len)
{
	ssize_t n = sendto(p->fd, buf, len, 0, (struct sockaddr *)&p->remote,
			   sizeof(p->remote));

	if (n != (ssize_t)len)
		return drop(p, WGI_DROP_SEND);
	return 0;
}

int
wgi_peer_send_initiation(struct wgi_lib_peer *p)
{
	struct wg_msg_initiation msg;
	uint8_t ts[NOISE_TIMESTAMP_LEN];

	wg_tai64n_now(ts);
	/* e, es, s, ss, {t} */
	if (wg_noise_create_initiation(&p->hs, &p->id, &msg, new_index(p), ts) != 0)
		return -1;
	wg_cookie_add_macs(&p->cookie, (uint8_t *)&msg, sizeof(msg), wgi_now_ns());
	if (send_to_peer(p, &msg, sizeof(msg)) != 0)
		return -1;
	p->st.initiations_tx++;
	return 0;
}

/* Sends plain (may be empty) under the current keypair. */
static int
send_data(struct wgi_lib_peer *p, const uint8_t *plain, size_t plain_len)
{
	uint8_t out[WGI_DGRAM_MAX];
	size_t len;

	if (!p->have_keypair)
		return -1;
	len = wg_transport_seal(out, sizeof(out), p->kp.remote_index,
				p->send_counter, p->kp.sending_key, plain,
				plain_len, WG_DEFAULT_MTU);
	if (len == 0)
		return -1;
	p->send_counter++;
	return send_to_peer(p, out, len);
}

int
wgi_peer_send_keepalive(struct wgi_lib_peer *p)
{
	if (send_data(p, NULL, 0) != 0)
		return -1;
	p->st.keepalives_tx++;
	return 0;
}

static int
derive(struct wgi_lib_peer *p)
{
	if (wg_noise_derive_keypair(&p->hs, &p->kp, wgi_now_ns()) != 0)
		return drop(p, WGI_DROP_DERIVE);
	p->have_keypair = true;
	p->send_counter = 0;
	wg_replay_init(&p->replay);
	p->st.keypairs++;
	return 0;
}

static void
endpoint_of(struct wg_endpoint *ep, const struct sockaddr_in *sin)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = WG_AF_INET;
	ep->port = ntohs(sin->sin_port);
	memcpy(ep->addr.v4, &sin->sin_addr, 4);
}

/* Under demand_cookie, an initiation without a valid mac2 gets a reply. */
static int
check_macs(struct wgi_lib_peer *p, uint8_t *msg, size_t len,
	   const struct wg_endpoint *src)
{
	enum wg_cookie_mac_state s;
	struct wg_msg_cookie reply;
	uint64_t now = wgi_now_ns();

	s = wg_cookie_validate_packet(&p->checker, msg, len, src,
				      p->demand_cookie, now);
	if (s == WG_COOKIE_INVALID_MAC)
		return drop(p, WGI_DROP_BAD_MAC1);
	if (s == WG_COOKIE_VALID_MAC_WITH_COOKIE)
		p->st.mac2_valid_rx++;
	if (!p->demand_cookie || s == WG_COOKIE_VALID_MAC_WITH_COOKIE)
		return 0;
	wg_cookie_message_create(&p->checker, &reply, msg, len, src, now);
	if (send_to_peer(p, &reply, sizeof(reply)) == 0)
		p->st.cookies_tx++;
	return drop(p, WGI_DROP_NEED_COOKIE);
}

static int
handle_initiation(struct wgi_lib_peer *p, uint8_t *buf, size_t len,
		  const struct wg_endpoint *src)
{
	const struct wg_msg_initiation *msg = (const void *)buf;
	struct wg_noise_consume st;
	struct wg_msg_response resp;

	if (check_macs(p, buf, len, src) != 0)
		return -1;
	/* e, es, s */
	if (wg_noise_consume_initiation_begin(&p->id, msg, &st) != 0) {
		wg_memzero(&st, sizeof(st));
		return drop(p, WGI_DROP_INITIATION_BEGIN);
	}
	if (!wg_key_equal(st.remote_static, p->hs.remote_static)) {
		wg_memzero(&st, sizeof(st));
		return drop(p, WGI_DROP_UNKNOWN_STATIC);
	}
	/* ss, {t} */
	if (wg_noise_consume_initiation_finish(&st, &p->hs, msg, wgi_now_ns()) != 0)
		return drop(p, WGI_DROP_INITIATION_FINISH);
	p->st.initiations_rx++;
	/* e, ee, se, psk, {} */
	if (wg_noise_create_response(&p->hs, &resp, new_index(p)) != 0)
		return drop(p, WGI_DROP_CREATE_RESPONSE);
	wg_cookie_add_macs(&p->cookie, (uint8_t *)&resp, sizeof(resp), wgi_now_ns());
	if (send_to_peer(p, &resp, sizeof(resp)) != 0)
		return -1;
	p->st.responses_tx++;
	return derive(p);
}

static int
handle_response(struct wgi_lib_peer *p, uint8_t *buf, size_t len,
		const struct wg_endpoint *src)
{
	const struct wg_msg_response *msg = (const void *)buf;

	if (check_macs(p, buf, len, src) != 0)
		return -1;
	if (p->hs.state != HANDSHAKE_CREATED_INITIATION ||
	    wg_le32(msg->receiver_index) != p->hs.local_index)
		return drop(p, WGI_DROP_RESPONSE_INDEX);
	/* e, ee, se, psk, {} */
	if (wg_noise_consume_response(&p->hs, &p->id, msg) != 0)
		return drop(p, WGI_DROP_RESPONSE);
	p->st.responses_rx++;
	return derive(p);
}

static int
handle_cookie(struct wgi_lib_peer *p, const uint8_t *buf)
{
	const struct wg_msg_cookie *msg = (const void *)buf;

	if (wg_cookie_consume_reply(&p->cookie, msg, wgi_now_ns()) != 0)
		return drop(p, WGI_DROP_COOKIE_REPLY);
	p->st.cookies_rx++;
	return 0;
}

static void
keep_first_inner(struct wgi_lib_peer *p, const uint8_t *plain, size_t len)
{
	if (p->first_inner_len != 0)
		return;
	p->first_inner_len = len < sizeof(p->first_inner) ?
			     len : sizeof(p->first_inner);
	memcpy(p->first_inner, plain, p->first_inner_len);
}

/* An echo request to our tunnel address gets its reply, sealed back. */
static int
answer_echo(struct wgi_lib_peer *p, const uint8_t *plain, size_t len)
{
	uint8_t reply[WGI_INNER_MAX];
	struct wgi_echo e;

	if (!wgi_parse_echo_request(plain, len, &e) ||
	    memcmp(e.dst, p->tun_addr, 4) != 0 || e.ip_len > sizeof(reply))
		return drop(p, WGI_DROP_NOT_ECHO);
	p->st.echo_requests++;
	if (!p->answer_echo)
		return 0;
	if (send_data(p, reply, wgi_make_echo_reply(plain, &e, reply)) != 0)
		return -1;
	p->st.echo_replies++;
	return 0;
}

static int
handle_data(struct wgi_lib_peer *p, uint8_t *buf, size_t len)
{
	const struct wg_msg_data *msg = (const void *)buf;
	uint64_t counter;
	uint32_t idx;
	long plain_len;

	if (!p->have_keypair)
		return drop(p, WGI_DROP_NO_KEYPAIR);
	memcpy(&idx, &msg->key_idx, sizeof(idx));
	if (wg_le32(idx) != p->kp.local_index)
		return drop(p, WGI_DROP_DATA_INDEX);
	plain_len = wg_transport_open(buf, len, p->kp.receiving_key, &counter);
	if (plain_len < 0)
		return drop(p, WGI_DROP_DATA_AUTH);
	/* Only after authentication may the window move. */
	if (!wg_replay_check(&p->replay, counter))
		return drop(p, WGI_DROP_REPLAY);
	if (plain_len == 0) {
		p->st.keepalives_rx++;
		return 0;
	}
	p->st.data_rx++;
	keep_first_inner(p, buf + sizeof(*msg), (size_t)plain_len);
	return answer_echo(p, buf + sizeof(*msg), (size_t)plain_len);
}

static void
dispatch(struct wgi_lib_peer *p, uint8_t *buf, size_t len,
	 const struct sockaddr_in *from)
{
	struct wg_endpoint src;

	if (from->sin_addr.s_addr != p->remote.sin_addr.s_addr ||
	    from->sin_port != p->remote.sin_port) {
		drop(p, WGI_DROP_NOT_FROM_PEER);
		return;
	}
	endpoint_of(&src, from);
	switch (wg_message_type(buf, len)) {
	case MESSAGE_HANDSHAKE_INITIATION:
		handle_initiation(p, buf, len, &src);
		break;
	case MESSAGE_HANDSHAKE_RESPONSE:
		handle_response(p, buf, len, &src);
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		handle_cookie(p, buf);
		break;
	case MESSAGE_DATA:
		handle_data(p, buf, len);
		break;
	default:
		drop(p, WGI_DROP_BAD_TYPE);
		break;
	}
}

int
wgi_peer_poll(struct wgi_lib_peer *p, int timeout_ms)
{
	/* Aligned so the message structs can be read in place. */
	uint8_t buf[WGI_DGRAM_MAX] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;
	int r;

	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	dispatch(p, buf, (size_t)n, &from);
	wg_memzero(buf, sizeof(buf));	/* may hold decrypted plaintext */
	return 1;
}

void
wgi_peer_dump_stats(const struct wgi_lib_peer *p)
{
	const struct wgi_peer_stats *s = &p->st;
	unsigned int i;

	fprintf(stderr,
		"lib peer: initiations tx %u rx %u, responses tx %u rx %u, "
		"cookies tx %u rx %u, mac2 ok %u, keypairs %u, "
		"keepalives tx %u rx %u, data rx %u, echo requests %u replies %u\n",
		s->initiations_tx, s->initiations_rx, s->responses_tx,
		s->responses_rx, s->cookies_tx, s->cookies_rx, s->mac2_valid_rx,
		s->keypairs, s->keepalives_tx, s->keepalives_rx, s->data_rx,
		s->echo_requests, s->echo_replies);
	for (i = 0; i < WGI_DROP_COUNT; i++)
		if (s->drops[i] != 0)
			fprintf(stderr, "lib peer: dropped %u: %s\n", s->drops[i],
				drop_text[i]);
}
