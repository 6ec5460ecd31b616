/*
 * cache.h: rendered responses (series JSON/CSV, charts) keyed by a string
 * such as "series|MK01|gp_coverage|start|end|step|fi|public", each stored
 * with the data generation of its area; an entry whose area has seen new
 * data since is stale and dropped on lookup. Bounded by bytes (least
 * recently used entries go first). Thread-safe.
 */
#ifndef KUNTAMON_CACHE_H
#define KUNTAMON_CACHE_H

#include <stddef.h>

struct cache;

struct cache *cache_new(size_t max_bytes);
void cache_free(struct cache *c);

/* On a hit with the same generation: 0, *out_data a malloc'd copy the
 * caller frees, *out_len, and the content type copied into out_type
 * (64 bytes). Else -1. */
int cache_get(struct cache *c, const char *key, unsigned long generation,
              char **out_data, size_t *out_len, char *out_type);
/* Stores a copy of data under key (replacing an older entry). */
void cache_put(struct cache *c, const char *key, unsigned long generation,
               const void *data, size_t len, const char *content_type);

#endif
