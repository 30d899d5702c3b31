/* table.c -- columns padded to their widest cell, two spaces apart. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void table_init(struct table *t, int ncols, const char *const *header)
{
    t->ncols = ncols;
    t->cells = NULL;
    t->nrows = 0;
    table_row(t, header);
}

void table_row(struct table *t, const char *const *cells)
{
    t->cells = xrealloc(t->cells, (size_t)(t->nrows + 1) * (size_t)t->ncols * sizeof *t->cells);
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
    t->nrows++;
}

void table_print(struct table *t, FILE *out, bool bold)
{
    size_t width[TABLE_MAX_COLS] = { 0 };
    for (int r = 0; r < t->nrows; r++)
        for (int i = 0; i < t->ncols && i < TABLE_MAX_COLS; i++) {
            size_t n = strlen(t->cells[r * t->ncols + i]);
            if (n > width[i])
                width[i] = n;
        }
    for (int r = 0; r < t->nrows; r++) {
        if (r == 0 && bold)
            fputs("\033[1m", out);
        for (int i = 0; i < t->ncols; i++) {
            const char *cell = t->cells[r * t->ncols + i];
            if (i == t->ncols - 1)
                fputs(cell, out);
            else
                fprintf(out, "%-*s  ", (int)width[i < TABLE_MAX_COLS ? i : 0], cell);
        }
        if (r == 0 && bold)
            fputs("\033[0m", out);
        fputc('\n', out);
    }
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}
