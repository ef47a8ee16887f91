#!/usr/bin/env bash
# Stops the Sluice test bed started by testbed/up.sh. Data stays in the bed dir;
# remove $SLUICE_BED_DIR (default ~/.cache/sluice-bed) for a fresh start.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# SLUICE_BED_ONLY=mariadb, =kafka or =etcd stops that service alone (see up.sh).
case "${SLUICE_BED_ONLY:-}" in
"") stop_pidfile etcd "$ETCD_PID"; stop_pidfile kafka "$KAFKA_PID"; stop_pidfile zookeeper "$ZK_PID"; stop_pidfile mariadb "$MYSQL_PID" ;;
kafka) stop_pidfile kafka "$KAFKA_PID"; stop_pidfile zookeeper "$ZK_PID" ;;
mariadb) stop_pidfile mariadb "$MYSQL_PID" ;;
etcd) stop_pidfile etcd "$ETCD_PID" ;;
*) die "SLUICE_BED_ONLY=$SLUICE_BED_ONLY: use mariadb, kafka, etcd, or leave it unset for all three" ;;
esac
say "down"
