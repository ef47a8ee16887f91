#!/usr/bin/env bash
# Runs one of Kafka's command line tools against the test bed, e.g.
#   testbed/kafka-tool.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:19092 --list
#   testbed/kafka-tool.sh org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server 127.0.0.1:19092 --list
# The tools (Maven artifact kafka-tools) are resolved on first use into their own
# directory under the bed dir, from the newest release that publishes them.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# > 0)) || { echo "usage: $0 TOOL_CLASS [ARGS...]" >&2; exit 2; }
if [[ ! -s "$KAFKA_TOOLS_LIBS/.version" ]]; then
	command -v mvn >/dev/null || die "mvn not found; install maven"
	ok=""
	for v in $KAFKA_VERSIONS; do
		say "resolving kafka-tools $v from Maven Central (log: $KAFKA_RESOLVE_LOG)"
		if maven_copy "$KAFKA_TOOLS_LIBS" "$v" "org.apache.kafka:kafka-tools:$v" "org.slf4j:slf4j-nop:$SLF4J_VERSION" "org.slf4j:slf4j-api:$SLF4J_VERSION"; then
			ok=1
			break
		fi
	done
	[[ -n "$ok" ]] || die "no kafka-tools of '$KAFKA_VERSIONS' resolved from Maven Central (see $KAFKA_RESOLVE_LOG)"
fi
exec java -Xmx256m -cp "$KAFKA_TOOLS_LIBS/*" "$@"
