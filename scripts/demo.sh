#!/bin/sh
# make demo: profile the bundled demo program and write demo.svg (flame
# graph), demo.json (speedscope) and demo.folded from one recording.
set -eu
B=${1:-build}
SECONDS_=${2:-5}
"$B/cprof" record --threads --title "cprof demo" -o demo.svg -o demo.json -o demo.folded \
	-- "$B/demo" "$SECONDS_"
echo
echo "Open demo.svg in a web browser (hover, click to zoom, Ctrl-F to search),"
echo "or load demo.json at https://www.speedscope.app."
