/*
 * test_redirect.c: the redirect policy alone: address kinds (IPv4, IPv6,
 * IPv4 inside IPv6), schemes, and the decision with and without
 * allow_private. test_http_json.c checks that the poller applies it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "redirect.h"

#define PUB REDIRECT_NET_PUBLIC
#define LO REDIRECT_NET_LOOPBACK
#define PRIV REDIRECT_NET_PRIVATE
#define ULA REDIRECT_NET_UNIQUE_LOCAL
#define SHARED REDIRECT_NET_SHARED
#define LL REDIRECT_NET_LINK_LOCAL
#define UNSPEC REDIRECT_NET_UNSPECIFIED
#define MCAST REDIRECT_NET_MULTICAST
#define RSV REDIRECT_NET_RESERVED

static const struct {
	const char *addr;
	enum redirect_net net;
} addresses[] = {
	/* IPv4 */
	{ "8.8.8.8", PUB },
	{ "193.166.3.2", PUB }, /* Funet */
	{ "1.1.1.1", PUB },
	{ "127.0.0.1", LO },
	{ "127.255.255.254", LO },
	{ "126.255.255.255", PUB },
	{ "128.0.0.0", PUB },
	{ "10.0.0.1", PRIV },
	{ "10.255.255.255", PRIV },
	{ "11.0.0.0", PUB },
	{ "9.255.255.255", PUB },
	{ "172.16.0.1", PRIV },
	{ "172.31.255.255", PRIV },
	{ "172.15.255.255", PUB },
	{ "172.32.0.0", PUB },
	{ "192.168.1.1", PRIV },
	{ "192.169.0.0", PUB },
	{ "192.167.255.255", PUB },
	{ "100.64.0.1", SHARED },
	{ "100.127.255.255", SHARED },
	{ "100.63.255.255", PUB },
	{ "100.128.0.0", PUB },
	{ "169.254.169.254", LL },
	{ "169.254.0.0", LL },
	{ "169.255.0.0", PUB },
	{ "169.253.255.255", PUB },
	{ "0.0.0.0", UNSPEC },
	{ "0.1.2.3", UNSPEC },
	{ "224.0.0.1", MCAST },
	{ "239.255.255.255", MCAST },
	{ "240.0.0.1", RSV },
	{ "255.255.255.255", RSV },
	{ "192.0.2.2", RSV },
	{ "198.51.100.7", RSV },
	{ "203.0.113.9", RSV },
	{ "198.18.0.1", RSV },
	{ "198.19.255.255", RSV },
	{ "198.20.0.0", PUB },
	{ "223.255.255.255", PUB },
	/* IPv6 */
	{ "2001:4860:4860::8888", PUB },
	{ "2a00:1450:4010::200e", PUB },
	{ "::1", LO },
	{ "::", UNSPEC },
	{ "fd00::2", ULA },
	{ "fc00::1", ULA },
	{ "fdff:ffff::1", ULA },
	{ "fbff:ffff::1", PUB },
	{ "fe00::1", PUB },
	{ "fe80::1", LL },
	{ "fe80::1%eth0", LL },
	{ "fe80::1%", RSV },
	{ "127.0.0.1%lo", RSV },
	{ "febf:ffff::1", LL },
	{ "fec0::1", ULA },
	{ "ff02::1", MCAST },
	{ "ff0e::1", MCAST },
	{ "2001:db8::1", RSV },
	{ "2001:db9::1", PUB },
	{ "100::1", RSV },
	{ "::2", RSV },        /* IPv4-compatible, deprecated */
	{ "::10.0.0.1", RSV }, /* the same */
	/* IPv4 inside IPv6: judged by the IPv4 address */
	{ "::ffff:127.0.0.1", LO },
	{ "::ffff:10.1.2.3", PRIV },
	{ "::ffff:192.168.0.1", PRIV },
	{ "::ffff:169.254.169.254", LL },
	{ "::ffff:0.0.0.0", UNSPEC },
	{ "::ffff:8.8.8.8", PUB },
	{ "::fffe:8.8.8.8", RSV },
	{ "64:ff9b::127.0.0.1", LO },
	{ "64:ff9b::10.0.0.1", PRIV },
	{ "64:ff9b::8.8.8.8", PUB },
	/* not an address */
	{ "", RSV },
	{ "localhost", RSV },
	{ "[::1]", RSV },
	{ "10.0.0", RSV },
};

static void
test_classify_text(void)
{
	size_t i;
	enum redirect_net got;

	for (i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
		got = redirect_classify_text(addresses[i].addr);
		if (got != addresses[i].net) {
			fprintf(stderr, "%s: %s, want %s\n", addresses[i].addr,
			        redirect_net_name(got),
			        redirect_net_name(addresses[i].net));
			check_fails++;
		}
	}
	CHECK(redirect_classify_text(NULL) == RSV);
}

/* The same table through struct sockaddr, as libcurl hands it over. */
static void
test_classify_sockaddr(void)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr other;
	size_t i;
	enum redirect_net got;

	for (i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
		memset(&v4, 0, sizeof(v4));
		memset(&v6, 0, sizeof(v6));
		v4.sin_family = AF_INET;
		v6.sin6_family = AF_INET6;
		if (inet_pton(AF_INET, addresses[i].addr, &v4.sin_addr) == 1)
			got = redirect_classify((struct sockaddr *)&v4,
			                        sizeof(v4));
		else if (inet_pton(AF_INET6, addresses[i].addr,
		                   &v6.sin6_addr) == 1)
			got = redirect_classify((struct sockaddr *)&v6,
			                        sizeof(v6));
		else
			continue;
		if (got != addresses[i].net) {
			fprintf(stderr, "sockaddr %s: %s, want %s\n",
			        addresses[i].addr, redirect_net_name(got),
			        redirect_net_name(addresses[i].net));
			check_fails++;
		}
	}
	/* too short for its family, another family, none */
	memset(&v6, 0, sizeof(v6));
	v6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:4860:4860::8888", &v6.sin6_addr);
	CHECK(redirect_classify((struct sockaddr *)&v6, sizeof(v6)) == PUB);
	CHECK(redirect_classify((struct sockaddr *)&v6, sizeof(v6) - 1) == RSV);
	memset(&other, 0, sizeof(other));
	other.sa_family = AF_UNIX;
	CHECK(redirect_classify(&other, sizeof(other)) == RSV);
	CHECK(redirect_classify(NULL, 0) == RSV);
}

static void
test_schemes(void)
{
	static const struct {
		const char *from, *to;
		bool is_allowed;
	} cases[] = {
		{ "http://a/x", "http://b/y", true },
		{ "http://a/x", "https://b/y", true },
		{ "https://a/x", "https://b/y", true },
		{ "HTTPS://a/x", "Https://b/y", true },
		{ "https://a/x", "http://b/y", false },
		{ "https://a/x", "HTTP://b/y", false },
		{ "http://a/x", "ftp://b/y", false },
		{ "https://a/x", "file:///etc/passwd", false },
		{ "http://a/x", "gopher://b/", false },
		{ "http://a/x", "httpx://b/", false },
		{ "http://a/x", "http:/b", false },
		{ "http://a/x", "", false },
		{ "http://a/x", NULL, false },
	};
	size_t i;
	const char *problem;

	CHECK(redirect_scheme_of("http://x") == REDIRECT_SCHEME_HTTP);
	CHECK(redirect_scheme_of("https://x") == REDIRECT_SCHEME_HTTPS);
	CHECK(redirect_scheme_of("hTtPs://x") == REDIRECT_SCHEME_HTTPS);
	CHECK(redirect_scheme_of("ftp://x") == REDIRECT_SCHEME_OTHER);
	CHECK(redirect_scheme_of(NULL) == REDIRECT_SCHEME_OTHER);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		problem =
		    redirect_scheme_problem(redirect_scheme_of(cases[i].from),
		                            redirect_scheme_of(cases[i].to));
		if ((problem == NULL) != cases[i].is_allowed) {
			fprintf(stderr, "%s -> %s: %s\n", cases[i].from,
			        cases[i].to ? cases[i].to : "(null)",
			        problem ? problem : "allowed");
			check_fails++;
		}
	}
	CHECK_STR(redirect_scheme_problem(REDIRECT_SCHEME_HTTPS,
	                                  REDIRECT_SCHEME_HTTP),
	          "from https to http");
}

/* Every (endpoint, target) pair of address kinds, with allow_private off
 * and on, against the rule written out by hand. */
static void
test_address_policy(void)
{
	/* [endpoint][target]: 1 allowed, 0 refused; allow_private = no */
	static const char off[9][9] = {
		/*            PUB LO PRIV ULA SHR LL UNS MC RSV */
		/* PUB    */ { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		/* LO     */ { 1, 1, 0, 0, 0, 0, 0, 0, 0 },
		/* PRIV   */ { 1, 0, 1, 1, 1, 0, 0, 0, 0 },
		/* ULA    */ { 1, 0, 1, 1, 1, 0, 0, 0, 0 },
		/* SHARED */ { 1, 0, 1, 1, 1, 0, 0, 0, 0 },
		/* LL     */ { 1, 0, 0, 0, 0, 1, 0, 0, 0 },
		/* UNSPEC */ { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		/* MCAST  */ { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
		/* RSV    */ { 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	/* the same with allow_private = yes: the private column opens */
	static const char on[9][9] = {
		{ 1, 0, 1, 1, 1, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 0, 1, 1, 1, 0, 0, 0, 0 }, { 1, 0, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 0, 1, 1, 1, 0, 0, 0, 0 }, { 1, 0, 1, 1, 1, 1, 0, 0, 0 },
		{ 1, 0, 1, 1, 1, 0, 0, 0, 0 }, { 1, 0, 1, 1, 1, 0, 0, 0, 0 },
		{ 1, 0, 1, 1, 1, 0, 0, 0, 1 },
	};
	int e, t;
	const char *p;

	CHECK(REDIRECT_NET_PUBLIC == 0 && REDIRECT_NET_RESERVED == 8);
	for (e = 0; e < 9; e++) {
		for (t = 0; t < 9; t++) {
			p = redirect_address_problem(e, t, false);
			if ((p == NULL) != (off[e][t] == 1)) {
				fprintf(stderr, "%s -> %s: %s\n",
				        redirect_net_name(e),
				        redirect_net_name(t),
				        p ? p : "allowed");
				check_fails++;
			}
			p = redirect_address_problem(e, t, true);
			if ((p == NULL) != (on[e][t] == 1)) {
				fprintf(stderr, "allow_private: %s -> %s: %s\n",
				        redirect_net_name(e),
				        redirect_net_name(t),
				        p ? p : "allowed");
				check_fails++;
			}
		}
	}
	/* the reasons name what is wrong */
	CHECK_STR(redirect_address_problem(PUB, LO, false),
	          "a loopback address and the endpoint's is not");
	CHECK_STR(redirect_address_problem(PUB, LL, true),
	          "a link-local address and the endpoint's is not");
	CHECK_STR(redirect_address_problem(LO, PRIV, false),
	          "a private address and the endpoint's is not "
	          "([collect] allow_private = no)");
	CHECK_STR(redirect_address_problem(LO, UNSPEC, true),
	          "an unspecified address");
}

/* From addresses to decisions: what an endpoint on the internet, on
 * loopback (the tests) and in an office network may be sent to. */
static void
test_end_to_end(void)
{
	static const struct {
		const char *endpoint, *target;
		bool is_private_allowed, is_allowed;
	} cases[] = {
		{ "193.166.3.2", "8.8.8.8", false, true },
		{ "193.166.3.2", "2001:4860:4860::8888", false, true },
		{ "193.166.3.2", "127.0.0.1", false, false },
		{ "193.166.3.2", "::1", false, false },
		{ "193.166.3.2", "::ffff:127.0.0.1", false, false },
		{ "193.166.3.2", "169.254.169.254", true, false },
		{ "193.166.3.2", "fe80::1", true, false },
		{ "193.166.3.2", "10.0.0.1", false, false },
		{ "193.166.3.2", "10.0.0.1", true, true },
		{ "193.166.3.2", "fd00::2", false, false },
		{ "193.166.3.2", "fd00::2", true, true },
		{ "193.166.3.2", "::ffff:192.168.0.1", false, false },
		{ "193.166.3.2", "0.0.0.0", true, false },
		{ "127.0.0.1", "127.0.0.1", false, true },
		{ "127.0.0.1", "::1", false, true },
		{ "::1", "127.0.0.2", false, true },
		{ "127.0.0.1", "8.8.8.8", false, true },
		{ "127.0.0.1", "10.0.0.1", false, false },
		{ "127.0.0.1", "10.0.0.1", true, true },
		{ "127.0.0.1", "169.254.169.254", false, false },
		{ "127.0.0.1", "0.0.0.0", false, false },
		{ "127.0.0.1", "::", false, false },
		{ "10.1.1.1", "192.168.5.5", false, true },
		{ "10.1.1.1", "fd00::2", false, true },
		{ "10.1.1.1", "127.0.0.1", false, false },
		{ "10.1.1.1", "127.0.0.1", true, false },
		{ "10.1.1.1", "169.254.169.254", true, false },
	};
	size_t i;
	const char *p;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = redirect_address_problem(
		    redirect_classify_text(cases[i].endpoint),
		    redirect_classify_text(cases[i].target),
		    cases[i].is_private_allowed);
		if ((p == NULL) != cases[i].is_allowed) {
			fprintf(stderr, "%s -> %s%s: %s\n", cases[i].endpoint,
			        cases[i].target,
			        cases[i].is_private_allowed ? " (allow_private)"
			                                    : "",
			        p ? p : "allowed");
			check_fails++;
		}
	}
}

int
main(void)
{
	RUN(test_classify_text);
	RUN(test_classify_sockaddr);
	RUN(test_schemes);
	RUN(test_address_policy);
	RUN(test_end_to_end);
	return check_done();
}
