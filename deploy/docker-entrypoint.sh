#!/bin/sh
# Entry point of the daemon's image. Server files and processes belong to the system user of
# config.yml (`system.username`, default pterodactyl); inside the container that user is given the
# host's ids from WINGS_USERNAME, WINGS_UID and WINGS_GID (988 by default), the variables the
# reference's image reads, so files in the mounted data directory keep their owner.
set -eu
user=${WINGS_USERNAME:-pterodactyl}
uid=${WINGS_UID:-988}
gid=${WINGS_GID:-988}
case "$user" in '' | *[!a-z0-9_-]*)
  echo "WINGS_USERNAME must be a system user name, not \"$user\"" >&2
  exit 2
  ;;
esac
for id in "$uid" "$gid"; do
  case "$id" in '' | *[!0-9]*)
    echo "WINGS_UID and WINGS_GID must be numbers, not \"$id\"" >&2
    exit 2
    ;;
  esac
done
if ! grep -q "^$user:" /etc/passwd; then
  grep -q "^[^:]*:[^:]*:$gid:" /etc/group || echo "$user:x:$gid:" >>/etc/group
  echo "$user:x:$uid:$gid::/nonexistent:/usr/sbin/nologin" >>/etc/passwd
fi
exec /opt/wings/wings "$@"
