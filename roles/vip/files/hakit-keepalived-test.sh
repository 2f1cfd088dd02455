#!/bin/sh
# Managed by hakit.redis (role vip). `keepalived -t -f FILE` for the template's validate step.
#
# keepalived 2.2.7 (Debian 12) ends every config test of a file that runs scripts under a script
# user by killing itself with SIGTERM (exit 143) instead of exiting 0 - upstream
# acassen/keepalived#2587/#2617, fixed in 2.2.8. Problems found before that point are still
# printed, so: exit 0, or 143 with nothing printed, means the file passed; anything else fails.
[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
# (the braces keep the shell's own "Terminated" notice out of the output)
{ out=$(keepalived -t -f "$1" 2>&1); rc=$?; } 2>/dev/null
if [ "$rc" -eq 0 ] || { [ "$rc" -eq 143 ] && [ -z "$out" ]; }; then
    exit 0
fi
printf '%s\n' "$out" >&2
exit "$([ "$rc" -eq 143 ] && echo 4 || echo "$rc")"
