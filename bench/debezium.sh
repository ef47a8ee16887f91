#!/usr/bin/env bash
# Debezium anchor of the benchmark: resolves Debezium's MariaDB connector and
# Kafka Connect's runtime from Maven Central into the test bed's cache
# ($SLUICE_BED_DIR/debezium/libs, default ~/.cache/sluice-bed), once, and runs
# Connect standalone from there. Nothing lands in the repository.
#
#   bench/debezium.sh resolve                      resolve (idempotent); print the libs dir
#   bench/debezium.sh run WORKER.properties CONNECTOR.properties
#                                                  exec Connect standalone (the pid is Java's)
#
# Versions tried in order until one resolves: SLUICE_DEBEZIUM_VERSION and
# SLUICE_CONNECT_VERSION override the lists. Kafka Connect 4.x talks to the
# bed's Kafka 4 broker over the wire protocol, so its client jars need not be
# the broker's own version.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib.sh"

DBZ_DIR="$BED_DIR/debezium"
DBZ_LIBS="$DBZ_DIR/libs"
DBZ_LOG="$DBZ_DIR/resolve.log"
DEBEZIUM_VERSIONS="${SLUICE_DEBEZIUM_VERSION:-3.4.0.Final 3.3.0.Final}"
CONNECT_VERSIONS="${SLUICE_CONNECT_VERSION:-4.1.1 4.1.2 4.2.1 4.3.1}"

resolve() {
	if [[ -s "$DBZ_LIBS/.version" ]]; then
		printf '%s\n' "$DBZ_LIBS"
		return 0
	fi
	command -v mvn >/dev/null || apt_install maven
	command -v java >/dev/null || apt_install openjdk-17-jre-headless
	mkdir -p "$DBZ_DIR"
	local d k
	for d in $DEBEZIUM_VERSIONS; do
		for k in $CONNECT_VERSIONS; do
			say "resolving Debezium $d with Kafka Connect $k (log: $DBZ_LOG)"
			# maven_copy writes its pom and log under KAFKA_DIR; point it at ours.
			if KAFKA_DIR="$DBZ_DIR" KAFKA_RESOLVE_LOG="$DBZ_LOG" maven_copy "$DBZ_LIBS" "debezium-$d connect-$k" \
				"io.debezium:debezium-connector-mariadb:$d" \
				"org.apache.kafka:connect-runtime:$k" \
				"org.apache.kafka:connect-json:$k" \
				"org.apache.logging.log4j:log4j-slf4j2-impl:$LOG4J_VERSION" \
				"org.apache.logging.log4j:log4j-core:$LOG4J_VERSION" \
				"org.slf4j:slf4j-api:$SLF4J_VERSION"; then
				printf '%s\n' "$DBZ_LIBS"
				return 0
			fi
		done
	done
	die "no Debezium ($DEBEZIUM_VERSIONS) with Kafka Connect ($CONNECT_VERSIONS) resolved from Maven Central (see $DBZ_LOG)"
}

case "${1:-}" in
resolve)
	resolve
	;;
run)
	[[ $# -eq 3 ]] || die "usage: bench/debezium.sh run WORKER.properties CONNECTOR.properties"
	libs="$(resolve)"
	cat >"$DBZ_DIR/log4j2.properties" <<'L4J'
status = error
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{ISO8601} %p %c{1}: %m%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = STDERR
L4J
	# The heap connect-standalone.sh gives Connect unless KAFKA_HEAP_OPTS says otherwise.
	exec java ${SLUICE_DEBEZIUM_JAVA_OPTS:--Xms256M -Xmx2G} -Dlog4j2.configurationFile="$DBZ_DIR/log4j2.properties" \
		-cp "$libs/*" org.apache.kafka.connect.cli.ConnectStandalone "$2" "$3"
	;;
*)
	die "usage: bench/debezium.sh resolve | run WORKER.properties CONNECTOR.properties"
	;;
esac
