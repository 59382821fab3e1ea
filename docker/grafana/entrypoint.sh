#!/bin/sh
# Grafana's entrypoint in the compose quick start: no default admin password. On the first start
# it generates one into the grafana-data volume and prints it once; later starts reuse it
# silently. A password you set yourself (GF_SECURITY_ADMIN_PASSWORD__FILE, e.g. a compose secret,
# or GF_SECURITY_ADMIN_PASSWORD) wins and nothing is generated. Then Grafana's own /run.sh.
# (Grafana applies the admin password only when it creates its database: a new volume.)
set -eu

PASSWORD_FILE=${BPFLIVE_ADMIN_PASSWORD_FILE:-/var/lib/grafana/bpflive-admin-password}

if [ -z "${GF_SECURITY_ADMIN_PASSWORD__FILE:-}" ] && [ -z "${GF_SECURITY_ADMIN_PASSWORD:-}" ]; then
  if [ ! -s "$PASSWORD_FILE" ]; then
    umask 077
    password=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24)
    [ "${#password}" -eq 24 ] || { echo "bpflive: could not generate a password" >&2; exit 1; }
    printf '%s' "$password" >"$PASSWORD_FILE.tmp"
    mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
    echo "bpflive: ================================================================"
    echo "bpflive: Grafana admin password (generated, shown only this once):"
    echo "bpflive:     user admin, password $password"
    echo "bpflive: kept in the grafana-data volume: $PASSWORD_FILE"
    echo "bpflive: ================================================================"
  fi
  GF_SECURITY_ADMIN_PASSWORD__FILE=$PASSWORD_FILE
  export GF_SECURITY_ADMIN_PASSWORD__FILE
fi

[ -n "${BPFLIVE_ENTRYPOINT_NO_EXEC:-}" ] && exit 0 # tests
exec /run.sh "$@"
