#!/bin/sh
# WeasyPrint needs HarfBuzz's subsetter (Debian: libharfbuzz-subset0). Without it WeasyPrint warns
# and writes PDFs about 5x slower. Installed here only when we may (root with apt-get, as in CI or a
# container); otherwise we say what to run.
if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing libharfbuzz-subset0 (WeasyPrint's font subsetter)" >&2
    (apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libharfbuzz-subset0 >/dev/null 2>&1; }) ||
        echo "warning: could not install libharfbuzz-subset0; PDFs will be slow and WeasyPrint will warn" >&2
else
    echo "warning: libharfbuzz-subset0 is missing; run: sudo apt-get install libharfbuzz-subset0" >&2
fi
exit 0
