/*
 * redirect.h: where a polled endpoint's redirect may lead. Pure: no I/O,
 * no libcurl; http_json.c asks it at every hop, on the address it is about
 * to connect to (after DNS), so a name that resolves inward is caught too.
 *
 * The policy, for hop 1 and later (the endpoint itself, hop 0, is the
 * operator's choice and never judged):
 *   - the scheme stays, or becomes https: never from https to http, never
 *     to anything but http or https;
 *   - a public address is always fine;
 *   - an unspecified (0.0.0.0, ::) or multicast address never is;
 *   - a loopback, link-local, private or reserved address only if the
 *     endpoint's own address (the one its first request went to) is of
 *     the same kind: a test endpoint on 127.0.0.1 may send us to [::1] or
 *     localhost, an endpoint on the internet may not send us to the
 *     daemon's own host, the cloud's metadata service or the office LAN.
 *     "The same kind", not "the same host": a name is not what we connect
 *     to, and every loopback address is this machine anyway;
 *   - with [collect] allow_private = yes, a private address (RFC 1918,
 *     unique local fc00::/7, shared 100.64/10) is fine from any endpoint,
 *     for deployments inside a private network. Loopback and link-local
 *     stay refused: the daemon's own ports and metadata services.
 */
#ifndef KUNTAMON_REDIRECT_H
#define KUNTAMON_REDIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum redirect_net {
	REDIRECT_NET_PUBLIC,
	REDIRECT_NET_LOOPBACK,     /* 127/8, ::1 */
	REDIRECT_NET_PRIVATE,      /* 10/8, 172.16/12, 192.168/16 */
	REDIRECT_NET_UNIQUE_LOCAL, /* fc00::/7; the old site-local fec0::/10 */
	REDIRECT_NET_SHARED,       /* 100.64/10, carrier-grade NAT */
	REDIRECT_NET_LINK_LOCAL,   /* 169.254/16, fe80::/10 */
	REDIRECT_NET_UNSPECIFIED,  /* 0/8 ("this network"), :: */
	REDIRECT_NET_MULTICAST,    /* 224/4, ff00::/8 */
	/* Never routed on the internet: 192.0.0/24, the documentation nets
	 * (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32),
	 * benchmarking 198.18/15, 240/4 with the broadcast address, the rest
	 * of ::/8 (IPv4-compatible addresses among them), discard 100::/64;
	 * and any address that is not IPv4 or IPv6. */
	REDIRECT_NET_RESERVED,
};

enum redirect_scheme {
	REDIRECT_SCHEME_OTHER,
	REDIRECT_SCHEME_HTTP,
	REDIRECT_SCHEME_HTTPS,
};

/* The kind of address sa is (len bytes, AF_INET or AF_INET6). An
 * IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address
 * is judged by the IPv4 address inside. */
enum redirect_net redirect_classify(const struct sockaddr *sa, size_t len);

/* The same for a numeric address as text ("10.0.0.1", "fd00::1", without
 * brackets); RESERVED if text is not one. */
enum redirect_net redirect_classify_text(const char *text);

/* "loopback", "private", ...: for messages. */
const char *redirect_net_name(enum redirect_net net);

/* The scheme of an absolute URL, case-insensitive; OTHER for NULL. */
enum redirect_scheme redirect_scheme_of(const char *url);

/* NULL if a hop from a URL of scheme `from` to one of scheme `to` is
 * allowed; else why not, as words that follow "redirect refused: ". */
const char *redirect_scheme_problem(enum redirect_scheme from,
                                    enum redirect_scheme to);

/* NULL if a hop may connect to an address of kind `to` for an endpoint
 * whose own address is of kind `endpoint`; else why not, as words that
 * follow "ADDRESS is ". */
const char *redirect_address_problem(enum redirect_net endpoint,
                                     enum redirect_net to,
                                     bool is_private_allowed);

#endif
