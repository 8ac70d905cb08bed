#!/bin/sh
# System packages the Python packages cannot bring, installed only when we may (root with apt-get,
# as in CI or a container); otherwise we say what to run. Never fails: what is missing is reported.
#
# - libharfbuzz-subset0: WeasyPrint's font subsetter. Without it WeasyPrint warns and writes PDFs
#   about 5x slower.
# - chromium: the browser the web tests drive (tests/test_web_browser.py; Playwright uses the
#   system one, as browser downloads are not possible offline). Only tests need it, not `serve`.
may_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {  # apt_install PACKAGE WHY
    echo "installing $1 ($2)" >&2
    export DEBIAN_FRONTEND=noninteractive
    (apt-get install -y -qq "$1" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null 2>&1; }) ||
        echo "warning: could not install $1" >&2
}

if ! ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then
    if may_install; then
        apt_install libharfbuzz-subset0 "WeasyPrint's font subsetter"
    else
        echo "warning: libharfbuzz-subset0 is missing; run: sudo apt-get install libharfbuzz-subset0" >&2
    fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    if may_install; then
        apt_install chromium "the browser the web tests drive"
    else
        echo "note: chromium is missing, so the browser tests will be skipped; run: sudo apt-get install chromium" >&2
    fi
fi
exit 0
