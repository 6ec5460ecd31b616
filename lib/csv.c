/*
 * csv.c: RFC 4180 reader. Owns one growable field arena per csv_parse call.
 *
 * Invariants: a record never holds more than CSV_MAX_FIELDS fields nor a
 * field more than CSV_MAX_FIELD bytes, so the arena stays under ~260 KiB
 * whatever the input. Fields are kept as offsets into the arena while the
 * record is read (the arena may move as it grows) and turned into pointers
 * only for the callback. Line numbers count LF, CRLF and a lone CR as one
 * line end each, inside quotes too, so an error names the line an editor
 * shows.
 *
 * Strictness, because the files it reads are configuration: a quote inside
 * an unquoted field, anything but a separator after a closing quote, a NUL
 * byte and an unterminated quoted field are errors, never guessed at.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "xmalloc.h"

struct reader {
	char *arena; /* field bytes, each field NUL-terminated */
	size_t len, cap;
	size_t start[CSV_MAX_FIELDS]; /* offsets of the record's fields */
	size_t n_fields;
	size_t field_len; /* bytes in the field being read */
};

/* Appends one byte to the field being read. */
static int
put(struct reader *r, char c, int line, struct error *err)
{
	if (r->field_len >= CSV_MAX_FIELD)
		return error_set(err, line, "field longer than %d bytes",
		                 CSV_MAX_FIELD);
	if (r->len + 1 >= r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->arena = xrealloc(r->arena, r->cap);
	}
	r->arena[r->len++] = c;
	r->field_len++;
	return 0;
}

/* Starts a new field; line is where it begins. */
static int
begin_field(struct reader *r, int line, struct error *err)
{
	if (r->n_fields >= CSV_MAX_FIELDS)
		return error_set(err, line, "more than %d fields",
		                 CSV_MAX_FIELDS);
	r->start[r->n_fields++] = r->len;
	r->field_len = 0;
	return 0;
}

/* Terminates the field being read. The arena always has room for the NUL:
 * put() keeps one byte spare, and an empty arena is grown here. */
static void
end_field(struct reader *r)
{
	if (r->len + 1 > r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->arena = xrealloc(r->arena, r->cap);
	}
	r->arena[r->len++] = '\0';
}

static int
emit(struct reader *r, int line, csv_row_fn fn, void *ctx, struct error *err)
{
	char *fields[CSV_MAX_FIELDS];
	size_t i, n = r->n_fields;

	for (i = 0; i < n; i++)
		fields[i] = r->arena + r->start[i];
	r->len = 0;
	r->n_fields = 0;
	return fn(ctx, line, fields, n, err);
}

/* The length of the line end at p (1 for LF or a lone CR, 2 for CRLF), or 0
 * if there is none. */
static size_t
line_end(const char *p, const char *end)
{
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return p + 1 < end && p[1] == '\n' ? 2 : 1;
	return 0;
}

int
csv_parse(const char *data, size_t len, csv_row_fn fn, void *ctx,
          struct error *err)
{
	struct reader r;
	const char *p = data, *end = data + len;
	int line = 1, rc = -1;

	memset(&r, 0, sizeof(r));
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	while (p < end) {
		int record_line = line;
		size_t eol = line_end(p, end);

		if (eol > 0) { /* an empty line */
			p += eol;
			line++;
			continue;
		}
		/* One record: fields separated by commas up to a line end. */
		for (;;) {
			if (begin_field(&r, line, err) < 0)
				goto out;
			if (p < end && *p == '"') {
				int quote_line = line;

				p++;
				for (;;) {
					if (p >= end) {
						error_set(err, quote_line,
						          "unterminated quoted "
						          "field");
						goto out;
					}
					if (*p == '"') {
						if (p + 1 < end &&
						    p[1] == '"') {
							p++;
						} else {
							p++;
							break;
						}
					} else if (*p == '\0') {
						error_set(err, line,
						          "NUL byte");
						goto out;
					} else if ((eol = line_end(p, end)) >
					           0) {
						/* Keep the line end verbatim. */
						if (eol == 2 &&
						    put(&r, *p++, line, err) <
						        0)
							goto out;
						line++;
					}
					if (put(&r, *p++, line, err) < 0)
						goto out;
				}
				if (p < end && *p != ',' &&
				    line_end(p, end) == 0) {
					error_set(err, line,
					          "unexpected character after "
					          "closing quote");
					goto out;
				}
			} else {
				while (p < end && *p != ',' &&
				       line_end(p, end) == 0) {
					if (*p == '"') {
						error_set(
						    err, line,
						    "quote inside unquoted "
						    "field");
						goto out;
					}
					if (*p == '\0') {
						error_set(err, line,
						          "NUL byte");
						goto out;
					}
					if (put(&r, *p++, line, err) < 0)
						goto out;
				}
			}
			end_field(&r);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			break;
		}
		if (p < end) { /* at a line end */
			p += line_end(p, end);
			line++;
		}
		if (emit(&r, record_line, fn, ctx, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(r.arena);
	return rc;
}
