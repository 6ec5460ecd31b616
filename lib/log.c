/*
 * log.c: logfmt lines on stderr. The only global is the level.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static atomic_int min_level = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level level)
{
	atomic_store(&min_level, (int)level);
}

const char *
log_quote(const char *s, char *out, size_t out_size)
{
	size_t i, o = 0;
	int needs = s[0] == '\0';

	for (i = 0; s[i] != '\0' && !needs; i++)
		if (s[i] <= ' ' || s[i] == '"' || s[i] == '=' || s[i] == '\\')
			needs = 1;
	if (!needs) {
		snprintf(out, out_size, "%s", s);
		return out;
	}
	if (out_size < 3) {
		if (out_size > 0)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 3 < out_size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < ' ') {
			out[o++] = ' ';
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
log_event(enum log_level level, const char *msg, const char *kv, ...)
{
	char line[2048], ts[32], qmsg[512];
	struct tm tm;
	time_t now;
	va_list ap;
	int n;

	if ((int)level < atomic_load(&min_level))
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "ts=%s level=%s msg=%s", ts,
	             level_names[level], log_quote(msg, qmsg, sizeof(qmsg)));
	if (kv != NULL && n > 0 && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_start(ap, kv);
		vsnprintf(line + n, sizeof(line) - (size_t)n, kv, ap);
		va_end(ap);
	}
	flockfile(stderr);
	fputs(line, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	funlockfile(stderr);
}
