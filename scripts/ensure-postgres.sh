#!/bin/sh
# Make sure the PostgreSQL server the tests use answers (MISHAPS_TEST_POSTGRES_URL, by default
# postgresql://postgres@127.0.0.1:5432/test). If nothing answers there, start the local cluster
# (Debian's pg_ctlcluster) and wait for it; fail with a clear message if it still does not answer.
set -u
URL="${MISHAPS_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
# postgresql://[user[:password]@]host[:port]/dbname[?options]
rest="${URL#*://}"
rest="${rest%%\?*}"
hostport="${rest#*@}"
hostport="${hostport%%/*}"
host="${hostport%%:*}"
port="${hostport#*:}"
[ "$port" = "$hostport" ] && port=5432
[ -n "$host" ] || host=127.0.0.1

answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$host" -p "$port" -t 2
    else
        psql "$URL" -Atqc 'select 1' >/dev/null 2>&1
    fi
}

if answers; then exit 0; fi
echo "PostgreSQL does not answer at $host:$port; starting the local cluster" >&2
started=no
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
        for cluster in $(ls "/etc/postgresql/$version"); do
            pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start >&2 && started=yes
        done
    done
fi
if [ "$started" = yes ]; then
    i=0
    while [ $i -lt 30 ]; do
        if answers; then echo "PostgreSQL is up at $host:$port" >&2; exit 0; fi
        sleep 1
        i=$((i + 1))
    done
fi
cat >&2 <<MSG
error: no PostgreSQL server answers at $host:$port, and starting the local cluster did not help
($( [ "$started" = yes ] && echo "pg_ctlcluster started it, but it did not answer within 30 s" || echo "no cluster could be started with pg_ctlcluster" )).
The tests need one for their PostgreSQL variants: start it, or point MISHAPS_TEST_POSTGRES_URL at
another server (a database the user may create schemas in), or unset it to skip those variants.
MSG
exit 1
