#!/bin/sh
# SPDX-License-Identifier: MIT
# Long property campaigns: runs every props binary of a build with the caller's RC_PARAMS
# (ctest pins a seed and small counts; this does not), e.g.
#   RC_PARAMS="max_success=20000 max_size=300" props/run-long.sh build/default/props
#   RC_PARAMS="seed=42 max_success=5000" props/run-long.sh build/asan/props EmulatorVsModel.*
# A failing property writes its shrunk counterexample to $PROPS_COUNTEREXAMPLE_DIR (default
# ./props-counterexamples) in the corpus format: copy it under corpus/props/<kind>/ to keep it
# as a regression test. PROPS_STRICT=1 asserts the kernel/VA behaviour at known divergences.
set -eu
dir=${1:?usage: run-long.sh <build>/props [gtest filter]}
filter=${2:-*}
: "${RC_PARAMS:=max_success=2000 max_size=200}"
export RC_PARAMS
status=0
for bin in "$dir"/props_emu_tests "$dir"/va/props_va_consumer_tests "$dir"/va/props_va_fault_tests \
	   "$dir"/va/props_va_free_tests "$dir"/broken/props_seed_bug_tests; do
	[ -x "$bin" ] || continue
	echo "== $bin (RC_PARAMS=$RC_PARAMS)"
	"$bin" --gtest_filter="$filter" || status=1
done
exit $status
