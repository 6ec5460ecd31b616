/*
 * redirect.c: the redirect policy of redirect.h, as tables of address
 * prefixes and one decision function. Pure.
 *
 * Classes are grouped into "scopes" for the same-kind rule: a private
 * IPv4 network, a unique local IPv6 one and a shared (CGNAT) one are all
 * "a private network", so an endpoint on 10.0.0.5 may send us to fd00::5.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "redirect.h"

struct prefix {
	uint8_t bytes[16];
	unsigned bits;
	enum redirect_net net;
};

/* IPv4, first match wins. */
static const struct prefix v4_prefixes[] = {
	{ { 0 }, 8, REDIRECT_NET_UNSPECIFIED },
	{ { 10 }, 8, REDIRECT_NET_PRIVATE },
	{ { 100, 64 }, 10, REDIRECT_NET_SHARED },
	{ { 127 }, 8, REDIRECT_NET_LOOPBACK },
	{ { 169, 254 }, 16, REDIRECT_NET_LINK_LOCAL },
	{ { 172, 16 }, 12, REDIRECT_NET_PRIVATE },
	{ { 192, 0, 0 }, 24, REDIRECT_NET_RESERVED },
	{ { 192, 0, 2 }, 24, REDIRECT_NET_RESERVED },
	{ { 192, 168 }, 16, REDIRECT_NET_PRIVATE },
	{ { 198, 18 }, 15, REDIRECT_NET_RESERVED },
	{ { 198, 51, 100 }, 24, REDIRECT_NET_RESERVED },
	{ { 203, 0, 113 }, 24, REDIRECT_NET_RESERVED },
	{ { 224 }, 4, REDIRECT_NET_MULTICAST },
	{ { 240 }, 4, REDIRECT_NET_RESERVED },
};

/* IPv6 without an IPv4 inside (those are handled first). */
static const struct prefix v6_prefixes[] = {
	{ { 0 }, 128, REDIRECT_NET_UNSPECIFIED },
	{ { [15] = 1 }, 128, REDIRECT_NET_LOOPBACK },
	{ { 0 }, 8, REDIRECT_NET_RESERVED }, /* IETF's; IPv4-compatible */
	{ { 0x01 }, 64, REDIRECT_NET_RESERVED },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, REDIRECT_NET_RESERVED },
	{ { 0xfc }, 7, REDIRECT_NET_UNIQUE_LOCAL },
	{ { 0xfe, 0x80 }, 10, REDIRECT_NET_LINK_LOCAL },
	{ { 0xfe, 0xc0 }, 10, REDIRECT_NET_UNIQUE_LOCAL },
	{ { 0xff }, 8, REDIRECT_NET_MULTICAST },
};

static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

static bool
has_prefix(const uint8_t *addr, const struct prefix *p)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;
	uint8_t mask;

	if (memcmp(addr, p->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (addr[full] & mask) == (p->bytes[full] & mask);
}

static enum redirect_net
match(const uint8_t *addr, const struct prefix *table, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (has_prefix(addr, &table[i]))
			return table[i].net;
	return REDIRECT_NET_PUBLIC;
}

static enum redirect_net
classify_v4(const uint8_t addr[4])
{
	return match(addr, v4_prefixes,
	             sizeof(v4_prefixes) / sizeof(v4_prefixes[0]));
}

static enum redirect_net
classify_v6(const uint8_t addr[16])
{
	/* A packet to either reaches the IPv4 address inside. */
	if (memcmp(addr, v4_mapped, 12) == 0 || memcmp(addr, nat64, 12) == 0)
		return classify_v4(addr + 12);
	return match(addr, v6_prefixes,
	             sizeof(v6_prefixes) / sizeof(v6_prefixes[0]));
}

enum redirect_net
redirect_classify(const struct sockaddr *sa, size_t len)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	if (sa == NULL)
		return REDIRECT_NET_RESERVED;
	if (sa->sa_family == AF_INET && len >= sizeof(v4)) {
		memcpy(&v4, sa, sizeof(v4));
		return classify_v4((const uint8_t *)&v4.sin_addr);
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(v6)) {
		memcpy(&v6, sa, sizeof(v6));
		return classify_v6(v6.sin6_addr.s6_addr);
	}
	return REDIRECT_NET_RESERVED;
}

enum redirect_net
redirect_classify_text(const char *text)
{
	uint8_t addr[16];
	char plain[INET6_ADDRSTRLEN];
	size_t n;

	if (text == NULL)
		return REDIRECT_NET_RESERVED;
	if (inet_pton(AF_INET, text, addr) == 1)
		return classify_v4(addr);
	/* without a zone ("fe80::1%eth0"): the address decides */
	n = strcspn(text, "%");
	if (n >= sizeof(plain) || (text[n] == '%' && text[n + 1] == '\0'))
		return REDIRECT_NET_RESERVED;
	memcpy(plain, text, n);
	plain[n] = '\0';
	if (inet_pton(AF_INET6, plain, addr) == 1)
		return classify_v6(addr);
	return REDIRECT_NET_RESERVED;
}

const char *
redirect_net_name(enum redirect_net net)
{
	switch (net) {
	case REDIRECT_NET_PUBLIC:
		return "public";
	case REDIRECT_NET_LOOPBACK:
		return "loopback";
	case REDIRECT_NET_PRIVATE:
		return "private";
	case REDIRECT_NET_UNIQUE_LOCAL:
		return "unique local";
	case REDIRECT_NET_SHARED:
		return "shared (CGNAT)";
	case REDIRECT_NET_LINK_LOCAL:
		return "link-local";
	case REDIRECT_NET_UNSPECIFIED:
		return "unspecified";
	case REDIRECT_NET_MULTICAST:
		return "multicast";
	case REDIRECT_NET_RESERVED:
		return "reserved";
	}
	return "unknown";
}

enum redirect_scheme
redirect_scheme_of(const char *url)
{
	if (url == NULL)
		return REDIRECT_SCHEME_OTHER;
	if (strncasecmp(url, "https://", 8) == 0)
		return REDIRECT_SCHEME_HTTPS;
	if (strncasecmp(url, "http://", 7) == 0)
		return REDIRECT_SCHEME_HTTP;
	return REDIRECT_SCHEME_OTHER;
}

const char *
redirect_scheme_problem(enum redirect_scheme from, enum redirect_scheme to)
{
	if (to == REDIRECT_SCHEME_OTHER)
		return "to a scheme other than http or https";
	if (from == REDIRECT_SCHEME_HTTPS && to == REDIRECT_SCHEME_HTTP)
		return "from https to http";
	return NULL;
}

/* Kinds that count as one for the same-kind rule. */
static enum redirect_net
scope(enum redirect_net net)
{
	if (net == REDIRECT_NET_UNIQUE_LOCAL || net == REDIRECT_NET_SHARED)
		return REDIRECT_NET_PRIVATE;
	return net;
}

const char *
redirect_address_problem(enum redirect_net endpoint, enum redirect_net to,
                         bool is_private_allowed)
{
	switch (to) {
	case REDIRECT_NET_PUBLIC:
		return NULL;
	case REDIRECT_NET_UNSPECIFIED:
		return "an unspecified address";
	case REDIRECT_NET_MULTICAST:
		return "a multicast address";
	default:
		break;
	}
	if (scope(to) == scope(endpoint))
		return NULL;
	switch (scope(to)) {
	case REDIRECT_NET_LOOPBACK:
		return "a loopback address and the endpoint's is not";
	case REDIRECT_NET_LINK_LOCAL:
		return "a link-local address and the endpoint's is not";
	case REDIRECT_NET_PRIVATE:
		if (is_private_allowed)
			return NULL;
		return "a private address and the endpoint's is not "
		       "([collect] allow_private = no)";
	default:
		return "a reserved address and the endpoint's is not";
	}
}
