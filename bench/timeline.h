/*
 * heapmin-bench --auto: trimming policies over time (timeline.c). Each
 * workload runs in a fresh process per policy, sampled every 100 ms.
 */
#ifndef HEAPMIN_BENCH_TIMELINE_H
#define HEAPMIN_BENCH_TIMELINE_H

/* heapmin-bench --auto [--quick] [--csv FILE]: returns the exit status. */
int timeline_main(int argc, char **argv);

/* heapmin-bench --auto-child WORKLOAD POLICY SCALE: one run, to stdout. */
int timeline_child(const char *workload, const char *policy, double scale);

#endif
