#!/bin/sh
# Install the Debian packages cprof needs, if they are missing.
#
#   scripts/install-deps.sh build   compiler and libraries
#   scripts/install-deps.sh test    also the tools the test suite uses
#
# Idempotent and quick when everything is present. Installs with apt-get as
# root, or through sudo. Set CPROF_NO_INSTALL=1 to only report what is missing.
set -eu

mode=${1:-build}

# Entries are "package" (checked with dpkg) or "package:command" (checked by
# looking for the command, so tools installed another way also count).
build_deps="gcc:gcc g++:g++ make:make pkg-config:pkg-config libunwind-dev libdw-dev
libelf-dev libcjson-dev zlib1g-dev linux-libc-dev libcurl4-openssl-dev"
test_deps="elfutils:eu-stack libxml2-utils:xmllint clang:clang lld:ld.lld binutils:objcopy
tmux:tmux python3:python3 nodejs:node npm:npm util-linux:unshare procps:ps file:file
gawk:gawk golang-go:go libc6-dbg valgrind:valgrind cppcheck:cppcheck clang-format:clang-format"

case $mode in
build) want=$build_deps ;;
test) want="$build_deps $test_deps" ;;
*)
	echo "usage: $0 build|test" >&2
	exit 2
	;;
esac

missing=
for entry in $want; do
	pkg=${entry%%:*}
	cmd=
	case $entry in *:*) cmd=${entry#*:} ;; esac
	if [ -n "$cmd" ]; then
		command -v "$cmd" >/dev/null 2>&1 && continue
	else
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
	fi
	missing="$missing $pkg"
done

if [ -n "$missing" ]; then
	if [ "${CPROF_NO_INSTALL:-0}" = 1 ]; then
		echo "install-deps: missing packages:$missing" >&2
		exit 1
	fi
	if [ "$(id -u)" = 0 ]; then
		as_root=
	elif command -v sudo >/dev/null 2>&1; then
		as_root=sudo
	else
		echo "install-deps: missing packages:$missing (run as root, or install them: apt-get install$missing)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! $as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
		$as_root apt-get update -qq
		$as_root apt-get install -y -qq --no-install-recommends $missing
	fi
fi

if [ "$mode" = test ]; then
	# The official speedscope JSON schema ships in the speedscope npm package;
	# ajv validates against it. Both live under build/npm, not in the tree.
	npm_dir=${B:-build}/npm
	if [ ! -f "$npm_dir/node_modules/speedscope/dist/release/file-format-schema.json" ] ||
		[ ! -d "$npm_dir/node_modules/ajv" ]; then
		echo "install-deps: installing speedscope and ajv (npm) into $npm_dir"
		mkdir -p "$npm_dir"
		npm install --silent --no-audit --no-fund --prefix "$npm_dir" speedscope@1 ajv@8 >/dev/null
	fi
fi
