#!/usr/bin/env bash
# Stops the Sluice test bed started by testbed/up.sh. Data stays in the bed dir;
# remove $SLUICE_BED_DIR (default ~/.cache/sluice-bed) for a fresh start.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_pidfile kafka "$KAFKA_PID"
stop_pidfile mariadb "$MYSQL_PID"
say "down"
