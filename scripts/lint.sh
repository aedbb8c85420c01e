#!/bin/sh
# make lint: formatting (clang-format) and static analysis (cppcheck) of src/.
set -eu
cd "$(dirname "$0")/.."
status=0

echo "lint: clang-format"
for f in src/*.c src/*.h; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "lint: $f is not formatted (clang-format -i $f)"
		status=1
	fi
done

echo "lint: cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	--std=c11 --inline-suppr -D_GNU_SOURCE -I src \
	--suppress=missingIncludeSystem src/*.c; then
	status=1
fi
exit $status
