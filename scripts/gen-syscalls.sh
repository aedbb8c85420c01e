#!/bin/sh
# Print a C initializer list of x86_64 system call names, indexed by number,
# from the kernel's uapi header.
set -eu
hdr=
for h in /usr/include/x86_64-linux-gnu/asm/unistd_64.h /usr/include/asm/unistd_64.h; do
	if [ -r "$h" ]; then hdr=$h; break; fi
done
if [ -z "$hdr" ]; then
	echo "gen-syscalls: asm/unistd_64.h not found (install linux-libc-dev)" >&2
	exit 1
fi
awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 ~ /^[0-9]+$/ {
	name = substr($2, 6); printf "\t[%d] = \"%s\",\n", $3, name }' "$hdr"
