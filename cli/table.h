/* table.h -- aligned text tables for human output. */
#ifndef CLI_TABLE_H
#define CLI_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table {
    int ncols;
    char **cells; /* rows * ncols, row 0 is the header */
    int nrows;
};

void table_init(struct table *t, int ncols, const char *const *header);
/* Appends a row of ncols strings (copied; NULL prints as ""). */
void table_row(struct table *t, const char *const *cells);
/* Prints with columns padded to their widest cell; the header in bold
 * when `bold`. Frees the table. */
void table_print(struct table *t, FILE *out, bool bold);

#endif
