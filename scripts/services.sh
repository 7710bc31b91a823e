#!/usr/bin/env bash
# Installs (if missing) and starts the real services the tests talk to, then exports where they
# are. Source it: `. scripts/services.sh`. Idempotent: safe to run again on a machine that has
# everything. Needs root (or sudo) for apt and for starting PostgreSQL the first time.
#
#   PostgreSQL  Debian's postgresql package, cluster started with pg_ctlcluster; a superuser
#               role `ereceipt` for the tests, which create one database per test.
#   moto        an S3-compatible server from PyPI (`moto[server]`), started by the tests.
#   aiosmtpd    an SMTP server from PyPI, started by the e-mail delivery tests.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

apt_install postgresql postgresql-client

# The newest installed cluster; created by the package, started here (no systemd in CI).
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
  as_root pg_createcluster "$pg_version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  as_root pg_ctlcluster "$pg_version" main start
fi
for _ in $(seq 1 50); do
  pg_isready -q -h localhost && break
  sleep 0.2
done
as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'ereceipt'\"" | grep -q 1 ||
  as_root su postgres -c "psql -qc \"CREATE ROLE ereceipt LOGIN SUPERUSER PASSWORD 'ereceipt'\""
export ERECEIPT_TEST_POSTGRES="postgres://ereceipt:ereceipt@localhost:5432/postgres"

python3 -c 'import moto.server' 2>/dev/null || python3 -m pip install -q 'moto[server]'
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install -q aiosmtpd
