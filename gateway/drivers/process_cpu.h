/* process_cpu.h -- the process driver's cpu_seconds (driver.h). */
#ifndef GW_PROCESS_CPU_H
#define GW_PROCESS_CPU_H

struct gw_fn;

/* CPU seconds used so far by fn's running replicas and the calls they
 * ran; a replica that stops takes its share with it. */
double gw_process_cpu_seconds(const struct gw_fn *fn);

#endif
