/*
 * What agent.c (start-up, its trimmer, fork, the trims and their log)
 * gives the calls it stands in front of (unshare.c).
 */
#ifndef HEAPMIN_AGENT_AGENT_H
#define HEAPMIN_AGENT_AGENT_H

/*
 * Stops the agent's trimmer and waits for its thread to end, so that the
 * program is as single-threaded as it would be without the agent;
 * heapmin__agent_resume() starts it again. Nestable, from any of the
 * program's threads.
 */
void heapmin__agent_pause(void);
void heapmin__agent_resume(void);

#endif
