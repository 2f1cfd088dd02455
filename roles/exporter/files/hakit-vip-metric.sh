#!/bin/sh
# hakit.redis (exporter role): usage: hakit-vip-metric VIP DIRECTORY [INTERVAL]
# Every INTERVAL seconds (default 15), writes DIRECTORY/hakit_redis_vip.prom for node_exporter's
# textfile collector: hakit_redis_vip_held{vip="VIP"} is 1 while an interface of this host carries
# VIP, else 0. Summed over the redis hosts it must be exactly 1 (alerts: VIP missing, VIP on two
# hosts). Written to a temporary file and renamed, so a scrape never reads half a file.
set -u
vip=$1 dir=$2 interval=${3:-15}
out=$dir/hakit_redis_vip.prom
tmp=$dir/.hakit_redis_vip.prom.tmp
while :; do
  held=0
  if ip -4 -o addr show 2>/dev/null | grep -qF " inet $vip/"; then held=1; fi
  {
    echo '# HELP hakit_redis_vip_held 1 when this host carries the Redis VIP (hakit.redis exporter role).'
    echo '# TYPE hakit_redis_vip_held gauge'
    echo "hakit_redis_vip_held{vip=\"$vip\"} $held"
  } >"$tmp" && mv -f "$tmp" "$out"
  sleep "$interval"
done
