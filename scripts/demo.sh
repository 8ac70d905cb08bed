#!/bin/sh
# `make demo`: build the embedded database from the seed data, query it, write two PDFs.
set -eu
BIN=.venv/bin
mkdir -p out
rm -f out/demo.db out/demo.db-wal out/demo.db-shm
export MISHAPS_DB=out/demo.db
$BIN/mishaps init
echo
echo '$ mishaps list --aircraft KC-135'
$BIN/mishaps list --aircraft KC-135
echo
echo '$ mishaps stats --by year'
$BIN/mishaps stats --by year
echo
$BIN/mishaps report brief 2013-05-03-shell-77 --marking UNCLASSIFIED -o out/brief-2013-05-03-shell-77.pdf
$BIN/mishaps report summary --marking UNCLASSIFIED --distribution A -o out/summary.pdf
echo
echo "Done: out/brief-2013-05-03-shell-77.pdf and out/summary.pdf (database: out/demo.db)"
