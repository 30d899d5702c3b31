/* framing.c -- fuzzes the request-head framing check with a head's header
 * lines ("Name: value", one per line), the way the HTTP server feeds it.
 * A clear verdict must mean a body length only one way of reading gives. */
#include "framing.h"
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Splits one line at its first ':' and trims the value's outer blanks,
 * as the HTTP parser does before the check sees a field. */
static void add_line(struct framing *f, char *line)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return;
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        value[--n] = '\0';
    framing_add(f, line, value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct framing f;
    framing_init(&f);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        add_line(&f, line);
    const char *why = NULL;
    int status = framing_verdict(&f, &why);
    if (status != 0 && status != 400 && status != 413)
        abort();
    if (status == 0 &&
        (f.content_lengths > 1 || f.field_bad || (f.content_lengths && f.transfer_encodings) ||
         f.transfer_encodings > 1 || f.length > INT64_MAX))
        abort();
    if (status != 0 && !why)
        abort();
    free(text);
    return 0;
}
