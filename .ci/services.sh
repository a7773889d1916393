# shellcheck shell=bash
# Test machine set-up: Debian packages, PostgreSQL and Redis on loopback.
#
#   bash .ci/services.sh      # what `make test` runs: packages, then both services (idempotent)
#   source .ci/services.sh    # just the functions: apt_install, ensure_postgres, ensure_redis, ...
#
# Works where the services already run (PostgreSQL 127.0.0.1:5432 with trust, Redis
# 127.0.0.1:6379) and, as root, on a fresh Debian 12 machine without systemd. Not root and
# something missing: prints the command to run and fails.
export DEBIAN_FRONTEND=noninteractive
_APT_UPDATED=0

# WeasyPrint: pango/harfbuzz(+subset)/fontconfig and a font; pdftotext for PDF assertions;
# Chromium for the browser tests; PostgreSQL and Redis for the suite itself.
TEST_PACKAGES=(postgresql redis-server chromium libpango-1.0-0 libpangoft2-1.0-0
  libharfbuzz-subset0 fontconfig fonts-dejavu-core poppler-utils)

is_root() { [ "$(id -u)" -eq 0 ]; }

missing_packages() {   # missing_packages PKG... : prints those not installed, one query for all
  local p installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null \
    | awk '/ install ok installed$/ {print $1}' || true)   # unknown packages make dpkg-query fail
  for p in "$@"; do
    grep -qx -- "$p" <<<"$installed" || echo "$p"
  done
}

apt_install() {   # apt_install PKG... : installs only the missing ones; apt-get update once
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root; then
    echo "Missing Debian packages. Run, as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    return 1
  fi
  if [ "$_APT_UPDATED" = 0 ]; then apt-get update -qq; _APT_UPDATED=1; fi
  echo "apt: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

wait_for() {      # wait_for SECONDS CMD... : retry CMD every 0.2 s
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timeout waiting for: $*" >&2; return 1; fi
    sleep 0.2
  done
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

redis_ping() {    # no redis-cli needed
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379; printf "PING\r\n" >&3; read -r l <&3; [[ $l == +PONG* ]]' 2>/dev/null
}

pg_sql() {        # pg_sql SQL : as superuser, by TCP (trust) or by socket as postgres (peer)
  if psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -tAc "$1"
  elif is_root; then
    runuser -u postgres -- psql -d postgres -v ON_ERROR_STOP=1 -tAc "$1"
  else
    echo "Cannot reach PostgreSQL as superuser. Run, as root: bash .ci/services.sh" >&2
    return 1
  fi
}

pg_ready_for_tests() {   # role root exists, may create databases, database coordinator exists
  psql -h 127.0.0.1 -U root -d coordinator -tAc \
    "select rolsuper or rolcreatedb from pg_roles where rolname = current_user" 2>/dev/null | grep -qx t
}

ensure_postgres() {
  if tcp_open 127.0.0.1 5432; then
    echo "postgres: already listening on 127.0.0.1:5432"
    command -v psql >/dev/null || apt_install postgresql-client
  else
    if ! is_root; then
      echo "PostgreSQL is not listening on 127.0.0.1:5432. Run, as root: bash .ci/services.sh" >&2
      return 1
    fi
    apt_install postgresql            # Debian 12: PostgreSQL 15, creates cluster 15/main
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$ver" ] || [ ! -f "/etc/postgresql/$ver/main/postgresql.conf" ]; then
      ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
      pg_createcluster "$ver" main --port 5432 >/dev/null
    fi
    # test machine only: trust on socket and loopback, as on the machines where PG is preinstalled
    cat > "/etc/postgresql/$ver/main/pg_hba.conf" <<'EOF'
# written by .ci/services.sh for tests: trust on socket and loopback only
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
EOF
    if pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
      pg_ctlcluster --skip-systemctl-redirect "$ver" main reload   # started by the package's postinst
    else
      pg_ctlcluster --skip-systemctl-redirect "$ver" main start
    fi
    wait_for 60 pg_isready -h 127.0.0.1 -p 5432 -q
    echo "postgres: started $ver/main"
  fi
  pg_ready_for_tests && return 0
  # role and database (idempotent); pytest-django creates test_coordinator_gwN, so CREATEDB
  pg_sql "select 1 from pg_roles where rolname='root'" | grep -q 1 \
    || pg_sql "create role root superuser login" >/dev/null
  pg_sql "select rolsuper or rolcreatedb from pg_roles where rolname='root'" | grep -q t \
    || pg_sql "alter role root createdb" >/dev/null
  pg_sql "select 1 from pg_database where datname='coordinator'" | grep -q 1 \
    || pg_sql "create database coordinator owner root" >/dev/null
  pg_ready_for_tests || { echo "postgres: role root / database coordinator not usable" >&2; return 1; }
  echo "postgres: role root and database coordinator ready"
}

ensure_redis() {
  if redis_ping; then echo "redis: already up"; return 0; fi
  if ! is_root; then
    echo "Redis is not answering on 127.0.0.1:6379. Run, as root: bash .ci/services.sh" >&2
    return 1
  fi
  apt_install redis-server             # Debian 12: Redis 7.0; no systemd here, so not auto-started
  mkdir -p /var/lib/redis /var/log/redis
  redis_ping || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 30 redis_ping
  echo "redis: started"
}

ensure_test_machine() {
  local packages=("${TEST_PACKAGES[@]}")
  # `python3 -m venv` needs ensurepip, which Debian's system Python ships separately
  python3 -c 'import ensurepip' >/dev/null 2>&1 || packages+=(python3-venv)
  apt_install "${packages[@]}"
  ensure_postgres
  ensure_redis
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ensure_test_machine
fi
