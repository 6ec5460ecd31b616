/*
 * log.h: one logfmt line per event on stderr:
 *   ts=2026-11-23T07:00:00Z level=info msg="poll failed" area=KU091 ...
 *
 * The key=value tail is printf-formatted by the caller; values that may hold
 * spaces or quotes go through log_quote(). Thread-safe: a line is written
 * with one call under the stdio lock.
 */
#ifndef KUNTAMON_LOG_H
#define KUNTAMON_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
/* msg is a plain phrase; kv is "key=value ..." printf format, or NULL. */
void log_event(enum log_level level, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 3, 4)));

#define log_info(...) log_event(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_event(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_event(LOG_ERROR, __VA_ARGS__)
#define log_debug(...) log_event(LOG_DEBUG, __VA_ARGS__)

/* Writes s as a logfmt value (quoted and escaped if needed) into out. */
const char *log_quote(const char *s, char *out, size_t out_size);

#endif
