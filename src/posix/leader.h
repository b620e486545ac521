/*
 * Linux: the threads left once the program's main thread has ended
 * (leader.c), for heapmin's threads to end with the program's.
 */
#ifndef HEAPMIN_POSIX_LEADER_H
#define HEAPMIN_POSIX_LEADER_H

/*
 * When the thread-group leader has exited: how many threads the process
 * still counts, the zombie leader included; else 0. Opens a file: call it
 * only after heapmin_resident_bytes() read 0.
 */
int heapmin__threads_after_leader(void);

/*
 * The threads the kernel counts in this process (a zombie leader
 * included), and in *leader_gone whether the leader has exited; 0 where
 * /proc cannot tell. Opens a file.
 */
int heapmin__thread_count(int *leader_gone);

#endif
