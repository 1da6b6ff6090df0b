# ci/fuzz-env.sh: the sanitizer environment ci/fuzz-smoke and ci/fuzz-long run fuzzers in
# (sourced, with $build the fuzz build directory). Values already set are kept.

# The sanitizers abort on the first report; the fuzzer turns that into an artifact.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Reports name functions and lines with the symbolizer of the compiler that built the fuzzers
# (llvm-19, from ci/bootstrap); without one in PATH the runtime falls back to addr2line, which
# loses inlined frames.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  fuzz_cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)
  fuzz_symbolizer=$(dirname "$(readlink -f "${fuzz_cxx:-/nonexistent}")")/llvm-symbolizer
  if [ -x "$fuzz_symbolizer" ]; then
    export ASAN_SYMBOLIZER_PATH=$fuzz_symbolizer
  fi
  unset fuzz_cxx fuzz_symbolizer
fi
