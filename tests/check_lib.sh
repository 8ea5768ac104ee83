# The counters and verdict lines shared by the shell checks (test_cli.sh, test_onnx.sh,
# test_install.sh): `ok NAME`, `bad NAME [DETAIL...]`, and `finish`, which prints the one
# "N passed, M failed" line tools/test.sh sums and exits non-zero on any failure. Sourced.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  for line in "$@"; do echo "     $line"; done
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
