/* SPDX-License-Identifier: MIT */
#ifndef CPROF_THREAD_STATE_H
#define CPROF_THREAD_STATE_H

/* Words for the state letters of /proc/PID/stat. */
static inline const char *thread_state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'I': return "idle";
	case 'P': return "parked";
	case 'W': return "waking";
	default: return "unknown";
	}
}

#endif
