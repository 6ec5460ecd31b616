/*
 * fuzz_config.c: config_parse on arbitrary bytes. Besides memory errors,
 * a successful parse must leave every value within its documented bounds,
 * and a failed one must name a line and say why without touching cfg.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
in(long v, long min, long max)
{
	return v >= min && v <= max;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct error err;
	int interval;

	memset(&err, 0, sizeof(err));
	config_init(&cfg);
	cfg.interval_s = 4242; /* out of bounds: shows whether cfg changed */
	if (config_parse((const char *)data, size, &cfg, &err) != 0) {
		if (err.msg[0] == '\0' || err.line < 0 ||
		    cfg.interval_s != 4242)
			abort();
		return 0;
	}
	interval = cfg.interval_s;
	if (interval == 4242)
		interval = 1; /* the file did not set it */
	if (!in(cfg.listen_port, 0, 65535) || cfg.listen_host[0] == '\0' ||
	    !in(cfg.max_connections, 1, 100000) ||
	    !in(cfg.per_ip_connections, 1, 100000) ||
	    !in(cfg.connection_timeout_s, 1, 3600) || !in(interval, 1, 86400) ||
	    !in(cfg.timeout_s, 1, 3600) || !in(cfg.concurrency, 1, 1024) ||
	    !in(cfg.max_body_bytes, 1024, 1073741824) ||
	    !in(cfg.ontime_days, 0, 365) || cfg.storage_dir[0] == '\0' ||
	    cfg.regions_path[0] == '\0' || cfg.municipalities_path[0] == '\0' ||
	    cfg.measures_path[0] == '\0' || cfg.endpoints_path[0] == '\0' ||
	    (cfg.tls_cert_path[0] == '\0') != (cfg.tls_key_path[0] == '\0'))
		abort();
	return 0;
}
