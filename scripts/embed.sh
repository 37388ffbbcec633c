#!/bin/sh
# embed.sh NAME < FILE > FILE.c: a C string NAME holding FILE's bytes.
# Used to compile the shipped sandbox.ini in as the default policy.
set -eu
printf 'const char %s[] =\n' "$1"
od -An -v -tx1 | tr -s ' \n' '  ' | sed 's/^ //; s/ $//' | tr ' ' '\n' |
	awk 'BEGIN { line = "" }
	     { line = line "\\x" $1; if (length(line) >= 64) { printf "\t\"%s\"\n", line; line = "" } }
	     END { if (line != "") printf "\t\"%s\"\n", line; print "\t\"\";" }'
