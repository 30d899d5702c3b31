/* h1chunk.c -- the chunked-body decoder (see h1chunk.h). */
#include "h1chunk.h"

/* A chunk-size line's extensions, and a trailer line, may be this long;
 * all trailer fields together this much. Nothing here reads them. */
#define LINE_MAX_BYTES 4096
#define TRAILER_MAX_BYTES 16384

enum {
    SIZE,    /* hex digits of a chunk size */
    EXT,     /* after the size: blanks and ";ext" up to CR */
    SIZE_LF, /* the LF ending a size line */
    DATA,    /* chunk data (left > 0) */
    DATA_CR, /* the CRLF after a chunk's data */
    DATA_LF,
    TRAILER, /* start of a trailer line, or of the final empty line */
    TRAILER_LINE,
    TRAILER_LF,
    END_LF, /* the LF of the final empty line */
    DONE,
};

void h1chunk_init(struct h1chunk *c)
{
    *c = (struct h1chunk){ .state = SIZE };
}

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)(ch | 0x20);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Framing bytes that are neither CR, LF nor another control byte. */
static bool is_text(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static int fail(const char **why, const char *reason)
{
    *why = reason;
    return -1;
}

static int size_byte(struct h1chunk *c, char ch, const char **why)
{
    int d = hex(ch);
    if (d < 0) {
        if (!c->digits)
            return fail(why, "a chunk size that is not a hex number");
        c->state = EXT;
        c->line = 0;
        return 1; /* the byte belongs to the rest of the line */
    }
    if (c->left > (UINT64_C(1) << 59) - 1)
        return fail(why, "a chunk size beyond 2^63");
    c->left = c->left * 16 + (unsigned)d;
    c->digits = 1;
    return 0;
}

/* After the size: optional blanks and ";name=value" extensions. */
static int ext_byte(struct h1chunk *c, char ch, const char **why)
{
    if (ch == '\r') {
        c->state = SIZE_LF;
        return 0;
    }
    if (!is_text((unsigned char)ch) || ++c->line > LINE_MAX_BYTES ||
        (c->line == 1 && ch != ';' && ch != ' ' && ch != '\t'))
        return fail(why, "a malformed chunk size line");
    return 0;
}

static int trailer_byte(struct h1chunk *c, char ch, const char **why)
{
    if (ch == '\r') {
        c->state = c->state == TRAILER ? END_LF : TRAILER_LF;
        return 0;
    }
    c->state = TRAILER_LINE;
    if (!is_text((unsigned char)ch) || ++c->trailer > TRAILER_MAX_BYTES)
        return fail(why, "malformed or oversized trailer fields");
    return 0;
}

/* One framing byte. Returns 0, or -1 with *why. */
static int step(struct h1chunk *c, char ch, const char **why)
{
    switch (c->state) {
    case SIZE: {
        int r = size_byte(c, ch, why);
        return r > 0 ? ext_byte(c, ch, why) : r;
    }
    case EXT:
        return ext_byte(c, ch, why);
    case SIZE_LF:
        if (ch != '\n')
            return fail(why, "a chunk size line without CRLF");
        c->digits = 0;
        c->state = c->left ? DATA : TRAILER;
        return 0;
    case DATA_CR:
        if (ch != '\r')
            return fail(why, "chunk data longer than its size");
        c->state = DATA_LF;
        return 0;
    case TRAILER:
    case TRAILER_LINE:
        return trailer_byte(c, ch, why);
    case DATA_LF:
    case TRAILER_LF:
    case END_LF:
        if (ch != '\n')
            return fail(why, "a chunk line without CRLF");
        c->state = c->state == DATA_LF ? SIZE : c->state == TRAILER_LF ? TRAILER : DONE;
        return 0;
    default:
        return fail(why, "bytes after the end of the body");
    }
}

long h1chunk_skip(struct h1chunk *c, const char *in, size_t len, const char **why)
{
    size_t i = 0;
    while (i < len && c->state != DATA && c->state != DONE) {
        if (step(c, in[i], why) < 0)
            return -1;
        i++;
    }
    return (long)i;
}

void h1chunk_took(struct h1chunk *c, size_t n)
{
    c->left -= n;
    if (c->state == DATA && c->left == 0)
        c->state = DATA_CR;
}

bool h1chunk_done(const struct h1chunk *c)
{
    return c->state == DONE;
}
