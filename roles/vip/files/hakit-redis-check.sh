#!/bin/sh
# Managed by hakit.redis (role vip). keepalived's master check for the Redis VIP.
#
# Exit 0 only when all of these hold, so that the VIP sits on the live master and nowhere else:
#   1. the local redis-server answers ROLE with "master";
#   2. at least SENTINELS_NEEDED of the configured Sentinels name this host (ANNOUNCE_IP and the
#      Redis port) in SENTINEL get-master-addr-by-name;
#   3. at least one of the Sentinels that name it answers SENTINEL CKQUORUM with OK, i.e. it sits
#      in a partition that can still authorise a failover.
# Hosts with a Sentinel ask only that local Sentinel (SENTINELS_NEEDED=1): a Sentinel cut off into
# a minority fails CKQUORUM. A redis host without a Sentinel asks all of them and needs a majority.
# This is the collection's rule for "the master the Sentinels name" (hakit.redis's
# plugins/module_utils/_ha.py, named_master: more than half of the Sentinels that answer name it),
# made stricter where the VIP is at stake: a host without a Sentinel counts the Sentinels that do not
# answer against itself (a majority of all of them), and a named master also needs CKQUORUM OK.
#
# While a cluster moves from plaintext to TLS (PLAINTEXT_PORT set), each Sentinel is asked in
# plaintext first (a Sentinel on TLS drops such a connection at once), then over TLS, and a master
# named on PLAINTEXT_PORT counts like one named on REDIS_PORT.
#
# Usage: hakit-redis-check.sh [SETTINGS_FILE]; run by keepalived as an unprivileged user.
# It logs in as REDIS_USER / SENTINEL_USER (the read-only hakit-check user). Passwords come from
# SECRET_FILE (line 1 Redis, line 2 Sentinel) and reach redis-cli through REDISCLI_AUTH, which ps
# does not show, never through its arguments.
# It runs every second, on loaded hosts too, so it forks as little as it can (POSIX sh, no
# head/tr/awk: one timeout+redis-cli pair per server asked).
set -u

TLS_OPTS='' PLAINTEXT_PORT=0
CONF=${1:-/etc/keepalived/hakit-redis-check.conf}
# shellcheck source=/dev/null
. "$CONF" || exit 2
# redis-cli unless the settings name the engine's client (valkey-cli)
CLI=${CLI:-redis-cli}

REDIS_PASS='' SENTINEL_PASS=''
[ -r "$SECRET_FILE" ] || exit 2
{ IFS= read -r REDIS_PASS || :; IFS= read -r SENTINEL_PASS || :; } < "$SECRET_FILE"
unset REDISCLI_AUTH

fail() {
    echo "hakit-redis-check: $*" >&2
    exit 1
}

# cli HOST PORT USER PASSWORD [COMMAND...]: one redis-cli call (commands from stdin when none
# given), bounded by CALL_TIMEOUT: a peer whose packets are dropped would otherwise hang the check.
# TLS_OPTS (redis_tls: --tls --cacert ... [--cert ... --key ...]) is split on purpose: its words are
# options and fixed paths without spaces.
cli() {
    _h=$1 _p=$2 _u=$3 _a=$4
    shift 4
    # shellcheck disable=SC2086
    if [ -n "$_a" ] && [ -n "$_u" ]; then
        REDISCLI_AUTH=$_a timeout "$CALL_TIMEOUT" "$CLI" $TLS_OPTS --no-auth-warning --user "$_u" -h "$_h" -p "$_p" "$@" 2>/dev/null
    elif [ -n "$_a" ]; then
        REDISCLI_AUTH=$_a timeout "$CALL_TIMEOUT" "$CLI" $TLS_OPTS --no-auth-warning -h "$_h" -p "$_p" "$@" 2>/dev/null
    else
        timeout "$CALL_TIMEOUT" "$CLI" $TLS_OPTS -h "$_h" -p "$_p" "$@" 2>/dev/null
    fi
}

role=$(cli "$REDIS_HOST" "$REDIS_PORT" "${REDIS_USER:-}" "$REDIS_PASS" ROLE)
role=${role%%[!a-z]*}
[ "$role" = master ] || fail "local redis role is '${role:-unreachable}', not master"

# ask HOST:PORT: both questions over one connection. Output: master IP and port (one empty line
# when the name is unknown), then the CKQUORUM answer.
ask() {
    printf 'SENTINEL get-master-addr-by-name %s\nSENTINEL CKQUORUM %s\n' "$MASTER_NAME" "$MASTER_NAME" |
        cli "${1%:*}" "${1##*:}" "${SENTINEL_USER:-}" "$SENTINEL_PASS"
}

named=0 quorate=0 tls_opts=$TLS_OPTS
for s in $SENTINELS; do
    ip='' port='' ck=''
    if [ "$PLAINTEXT_PORT" != 0 ]; then
        TLS_OPTS=''
        out=$(ask "$s")
        TLS_OPTS=$tls_opts
        { IFS= read -r ip; IFS= read -r port; IFS= read -r ck; } <<EOF
$out
EOF
    fi
    if [ -z "$ck" ]; then
        out=$(ask "$s")
        { IFS= read -r ip; IFS= read -r port; IFS= read -r ck; } <<EOF
$out
EOF
    fi
    [ "$ip" = "$ANNOUNCE_IP" ] || continue
    { [ "$port" = "$REDIS_PORT" ] || [ "$port" = "$PLAINTEXT_PORT" ]; } || continue
    named=$((named + 1))
    case $ck in OK*) quorate=1 ;; esac
    [ "$named" -ge "$SENTINELS_NEEDED" ] && [ "$quorate" -eq 1 ] && exit 0
done

[ "$named" -ge "$SENTINELS_NEEDED" ] || fail "$named of the Sentinels ($SENTINELS) name $ANNOUNCE_IP:$REDIS_PORT, $SENTINELS_NEEDED needed"
fail "no Sentinel naming $ANNOUNCE_IP:$REDIS_PORT reports CKQUORUM OK"
