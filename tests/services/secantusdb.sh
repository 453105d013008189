#!/usr/bin/env bash
# A real MongoDB-wire server for the HPC and MongoStore tests: SecantusDB (PyPI `SecantusDB`, installed by the
# `test` extra; GPL-2.0-only, so it is only ever run as a separate process and never imported by the project).
# Idempotent: a server whose pid file is alive and whose port answers is left running.
#
#   tests/services/secantusdb.sh start DIR PORT   data, log and pid file in DIR; listens on 127.0.0.1:PORT
#   tests/services/secantusdb.sh stop DIR         stop the server started with that DIR
#
# SECANTUSD (default: secantusd-py next to this Python, then on PATH) names the server command.
# Exit codes: 0 ready; 77 the server command is missing (the `test` extra is not installed); other: failure.
set -euo pipefail

PYTHON=${PYTHON:-python3}

port_open() { "$PYTHON" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null; }

alive() { [ -s "$1/secantusd.pid" ] && kill -0 "$(cat "$1/secantusd.pid")" 2>/dev/null; }

start() {
  local dir=$1 port=$2 server
  mkdir -p "$dir"
  if alive "$dir" && port_open "$port"; then exit 0; fi
  server=${SECANTUSD:-$(dirname "$("$PYTHON" -c 'import sys; print(sys.executable)')")/secantusd-py}
  [ -x "$server" ] || server=$(command -v secantusd-py || true)
  [ -n "$server" ] || { echo "secantusdb.sh: secantusd-py not found: install the test extra (pip install -e '.[test]')" >&2; exit 77; }
  nohup "$server" --host 127.0.0.1 --port "$port" --storage-path "$dir/data" --log-level WARNING \
    >"$dir/secantusd.log" 2>&1 </dev/null &
  echo $! >"$dir/secantusd.pid"
  for _ in $(seq 1 100); do
    if port_open "$port"; then exit 0; fi
    alive "$dir" || break
    sleep 0.1
  done
  echo "secantusdb.sh: the server did not listen on 127.0.0.1:$port; its log, $dir/secantusd.log:" >&2
  tail -n 20 "$dir/secantusd.log" >&2 || true
  exit 1
}

stop() {
  local dir=$1
  if alive "$dir"; then kill "$(cat "$dir/secantusd.pid")"; fi
  rm -f "$dir/secantusd.pid"
}

case "${1:-}" in
  start) [ $# = 3 ] || { echo "usage: $0 start DIR PORT" >&2; exit 2; }; start "$2" "$3" ;;
  stop) [ $# = 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
