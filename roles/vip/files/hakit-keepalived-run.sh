#!/bin/sh
# Managed by hakit.redis (role vip). Supervisor's command for keepalived: `exec keepalived "$@"`,
# after removing stale pid files.
#
# keepalived refuses to start ("daemon is already running") while one of its pid files names a
# live process - any process. Where /run outlives a crash (containers: it is no tmpfs there), the
# pid a killed keepalived left behind is soon reused by another program, and keepalived then
# never starts again (supervisor gives up: BACKOFF/FATAL). A pid file whose process really is a
# keepalived is kept, so a second instance is still refused.
for f in /run/keepalived.pid /run/vrrp.pid /run/checkers.pid /run/bfd.pid /run/keepalived/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != keepalived ]; then
        rm -f "$f"
    fi
done
exec /usr/sbin/keepalived "$@"
