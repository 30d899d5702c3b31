/* control.h -- the daemon's top (control.c): what changes the whole
 * connector. Called from main.c, and through the callbacks main.c gives
 * the sources and the refresh; no module below calls these directly. */
#ifndef CN_CONTROL_H
#define CN_CONTROL_H

#include <stdbool.h>

struct cn;
struct cn_table;

/* Swaps in a new routing table (takes the reference), logs what changed
 * and subscribes to the topics it names. Returns false (and drops t) if
 * it equals the current one and the table was already loaded. */
bool cn_set_table(struct cn *cn, struct cn_table *t);

/* Gives freed heap back to the system whenever nothing is held. */
void cn_trim_start(struct cn *cn);

/* Starts a graceful stop (drain, commit, leave); exit_code is what the
 * process returns. Safe to call more than once. */
void cn_stop(struct cn *cn, int exit_code);

#endif
