#!/usr/bin/env bash
# The whole suite as two pytest runs at once, about half the wall time of one run on two cores:
#   calls  the tests that place real calls on 127.0.0.1 (tests/e2e, faults, sip, session, supervisor, and
#          the SIP outcome tests): they mostly wait on audio played in real time, so they leave a core
#          idle, and they need their timing (a SIT tone recorded from early media by a starved worker
#          came out in pieces and was not recognised);
#   rest   everything else (CPU-bound), at a lower priority, so the calls keep their timing.
# Each half has its own temporary folder, and each area of the suite its own port range, so they never
# meet. Arguments go to both halves; with a path or `-k`/`-m` among them it is one ordinary pytest run.
# Exit status: 0 when both halves pass, otherwise the first failing half's status.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
CALLS=(tests/e2e tests/faults tests/sip tests/session tests/supervisor tests/outcomes/test_sip_outcomes.py)

for arg in "$@"; do
    case "$arg" in
    -k | -m | -k* | -m* | --lf | --last-failed | --deselect*) exec "$BIN/pytest" "$@" ;;
    esac
    if [[ -e "${arg%%::*}" ]]; then exec "$BIN/pytest" "$@"; fi
done

temp=$(mktemp -d -t dialer-tests.XXXXXX)
ignore=()
for dir in "${CALLS[@]}"; do ignore+=("--ignore=$dir"); done

nice -n 10 "$BIN/pytest" "$@" --basetemp="$temp/rest" "${ignore[@]}" tests >"$temp/rest.log" 2>&1 &
rest=$!
"$BIN/pytest" "$@" --basetemp="$temp/calls" "${CALLS[@]}"
calls_status=$?
wait "$rest"
rest_status=$?

echo
echo "================================ the other half ================================"
cat "$temp/rest.log"
echo
echo "calls half: exit $calls_status; rest half: exit $rest_status"
rm -rf "$temp"
if ((calls_status != 0)); then exit "$calls_status"; fi
exit "$rest_status"
