# shellcheck shell=bash
# Common settings and helpers for the test bed scripts. Sourced, not run.

BED_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BED_DIR="${SLUICE_BED_DIR:-${HOME:-/tmp}/.cache/sluice-bed}"

MYSQL_HOST=127.0.0.1
MYSQL_PORT="${SLUICE_BED_MYSQL_PORT:-33306}"
MYSQL_DIR="$BED_DIR/mariadb"
MYSQL_DATA="$MYSQL_DIR/data"
MYSQL_SOCK="$MYSQL_DIR/mariadb.sock"
MYSQL_PID="$MYSQL_DIR/mariadb.pid"
MYSQL_LOG="$MYSQL_DIR/mariadb.log"
MYSQL_CNF="$MYSQL_DIR/my.cnf"

KAFKA_PORT="${SLUICE_BED_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${SLUICE_BED_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_DIR="$BED_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
KAFKA_LOGDIR="$KAFKA_DIR/logs"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_RESOLVE_LOG="$KAFKA_DIR/resolve.log"
# Kafka versions tried in order until one resolves from Maven Central.
KAFKA_VERSIONS="${SLUICE_KAFKA_VERSION:-4.4.0 4.3.1 4.3.0 4.2.0 4.1.1 4.1.0 4.0.1 4.0.0}"
# SLUICE_BED_KAFKA_RELEASE=V starts Apache Kafka release V instead (a private
# broker beside the shared bed, docs/testbed.md), PLAINTEXT only: releases
# before 3.0 with a ZooKeeper of their own on SLUICE_BED_ZK_PORT, 3.x and
# later in KRaft mode. Its jars are resolved once into a directory per
# release under SLUICE_BED_KAFKA_CACHE (default $BED_DIR/kafka-releases).
# SLUICE_BED_KAFKA_EXTRA holds more server.properties lines (one a line).
KAFKA_RELEASE="${SLUICE_BED_KAFKA_RELEASE:-}"
ZK_PORT="${SLUICE_BED_ZK_PORT:-19181}"
ZK_DATA="$KAFKA_DIR/zookeeper"
ZK_PID="$KAFKA_DIR/zookeeper.pid"
ZK_LOG="$KAFKA_DIR/zookeeper.log"
if [[ -n "$KAFKA_RELEASE" ]]; then
	[[ "$KAFKA_RELEASE" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { printf 'testbed: FAILED: SLUICE_BED_KAFKA_RELEASE=%s: use a release number such as 2.7.2 or 3.9.1\n' "$KAFKA_RELEASE" >&2; exit 1; }
	KAFKA_VERSIONS="$KAFKA_RELEASE"
	KAFKA_LIBS="${SLUICE_BED_KAFKA_CACHE:-$BED_DIR/kafka-releases}/$KAFKA_RELEASE"
fi
LOG4J_VERSION=2.24.3
SLF4J_VERSION=2.0.17
# Kafka's command line tools (kafka-tools), resolved on first use by testbed/kafka-tool.sh
# into a directory of their own: they may come from an older release than the broker.
KAFKA_TOOLS_LIBS="$KAFKA_DIR/tools-libs"

# etcd: one member, client and peer URLs on loopback. Cluster mode keeps
# membership, task ownership and checkpoints there.
ETCD_PORT="${SLUICE_BED_ETCD_PORT:-32379}"
ETCD_PEER_PORT="${SLUICE_BED_ETCD_PEER_PORT:-32380}"
ETCD_DIR="$BED_DIR/etcd"
ETCD_DATA="$ETCD_DIR/data"
ETCD_PID="$ETCD_DIR/etcd.pid"
ETCD_LOG="$ETCD_DIR/etcd.log"

INSTALL_LOG="$BED_DIR/install.log"

# TLS material made by make_certs (openssl): a CA, a server certificate for
# 127.0.0.1 and localhost, a client certificate, and a second CA that signed
# nothing the bed serves (for wrong-CA tests).
TLS_DIR="$BED_DIR/tls"
# Kafka's secured listeners: SASL_SSL (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN) and
# SSL with a required client certificate. On by default for the default
# PLAINTEXT port only, so that a private Kafka on other ports (fault tests)
# does not collide with the shared bed's; "off" turns one off.
if [[ "$KAFKA_PORT" == 19092 && -z "$KAFKA_RELEASE" ]]; then
	KAFKA_SASL_PORT="${SLUICE_BED_KAFKA_SASL_PORT:-19094}"
	KAFKA_SSL_PORT="${SLUICE_BED_KAFKA_SSL_PORT:-19095}"
else
	KAFKA_SASL_PORT="${SLUICE_BED_KAFKA_SASL_PORT:-off}"
	KAFKA_SSL_PORT="${SLUICE_BED_KAFKA_SSL_PORT:-off}"
fi
# The SASL users of the SASL_SSL listener: SCRAM credentials are written at
# format time by Kafka's storage tool (--add-scram); PLAIN users live in the
# listener's JAAS configuration.
KAFKA_SASL_USER=sluice
KAFKA_SCRAM_PASSWORD=sluice-scram
KAFKA_PLAIN_PASSWORD=sluice-plain

# kafka_mode VERSION: how the bed runs that release: zookeeper (before 3.0),
# kraft-voters (3.0 to 3.8: a static controller quorum) or kraft (3.9 on).
kafka_mode() {
	local major minor
	IFS=. read -r major minor _ <<<"$1"
	if ((major < 3)); then
		echo zookeeper
	elif ((major == 3 && minor < 9)); then
		echo kraft-voters
	else
		echo kraft
	fi
}

# say prints a progress line on stderr.
say() { printf 'testbed: %s\n' "$*" >&2; }

# die prints one line naming what failed and the log to read, then exits.
die() { printf 'testbed: FAILED: %s\n' "$*" >&2; exit 1; }

now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((d / 1000)) $(((d % 1000) / 100)); }

# pid_alive FILE: the pid in FILE names a running mariadbd, java or etcd process
# (a pid file left from before a reboot may name some other process).
pid_alive() {
	local pid comm
	[[ -s "$1" ]] || return 1
	pid="$(<"$1")"
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
	[[ -z "$comm" || "$comm" == mariadbd || "$comm" == mysqld || "$comm" == java || "$comm" == etcd || "$comm" == setsid ]]
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# spawn LOG CMD...: starts CMD in a session of its own, detached from the
# caller's terminal and file descriptors (so that CI does not wait on it), with
# its output appended to LOG. Sets SPAWNED_PID.
spawn() {
	local log="$1"
	shift
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd="${fd##*/}"
			if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec $fd>&-"; fi
		done
		exec setsid "$@" </dev/null >>"$log" 2>&1
	) &
	SPAWNED_PID=$!
	# Until the subshell execs, pid_alive sees "bash" and takes the service for
	# dead: the start failed, and a cleanup left the server running unowned.
	local i
	for ((i = 0; i < 200; i++)); do
		[[ "$(cat "/proc/$SPAWNED_PID/comm" 2>/dev/null)" == bash ]] || break
		sleep 0.05
	done
}

# await NAME PIDFILE LOG TRIES PAUSE CHECK...: runs CHECK every PAUSE seconds
# until it succeeds (then returns 0) or TRIES runs failed (then 1); dies
# naming LOG when the process of PIDFILE exits meanwhile.
await() {
	local name="$1" pidfile="$2" log="$3" tries="$4" pause="$5" i
	shift 5
	for ((i = 0; i < tries; i++)); do
		pid_alive "$pidfile" || die "$name exited while starting (see $log)"
		"$@" && return 0
		sleep "$pause"
	done
	return 1
}

# stop_pidfile NAME FILE: TERM the process, wait up to 60s, then KILL.
stop_pidfile() {
	local name="$1" file="$2" pid i
	pid_alive "$file" || { rm -f "$file"; return 0; }
	pid="$(<"$file")"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) did not stop in 60s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$file"
}

# mysql_root runs the mariadb client as the bed's root over the socket.
mysql_root() { mariadb --no-defaults --socket="$MYSQL_SOCK" -uroot "$@"; }

mysql_healthy() {
	mariadb --no-defaults --protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -usluice -psluice \
		--connect-timeout=2 -N -e 'SELECT 1' >/dev/null 2>&1
}

kafka_healthy() {
	local out
	out="$(kcat -L -b "127.0.0.1:$KAFKA_PORT" -m 3 2>/dev/null)" || return 1
	[[ "$out" == *" 1 brokers:"* ]]
}

etcd_healthy() {
	etcdctl --endpoints="http://127.0.0.1:$ETCD_PORT" --dial-timeout=2s --command-timeout=2s endpoint health >/dev/null 2>&1
}

# apt_install PKG...: installs the Debian packages whose commands are missing.
# Services the packages ship are not started (the bed runs its own processes).
apt_install() {
	command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
	local sudo=""
	if [[ "$(id -u)" != 0 ]]; then
		command -v sudo >/dev/null || die "need root or sudo to install $*"
		sudo="sudo -n"
	fi
	mkdir -p "$BED_DIR"
	say "installing $* from Debian (log: $INSTALL_LOG)"
	local policy=/usr/sbin/policy-rc.d made_policy=""
	if [[ ! -e "$policy" ]]; then
		# Keep package scripts from starting a system mariadb on port 3306 or
		# a system etcd on 2379.
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
	fi
	local rc=0
	{
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
	} </dev/null >>"$INSTALL_LOG" 2>&1 || rc=$?
	[[ -n "$made_policy" ]] && $sudo rm -f "$policy"
	((rc == 0)) || die "apt-get install $* (see $INSTALL_LOG)"
}

# maven_copy DIR VERSION GROUP:ARTIFACT:VERSION...: resolves the artifacts and
# their run-time dependencies from Maven Central into DIR (replaced whole),
# writing VERSION to DIR/.version. Output goes to $KAFKA_RESOLVE_LOG.
maven_copy() {
	local dir="$1" version="$2" pom="$KAFKA_DIR/pom.xml" tmp="$1.tmp" gav deps="" g a v
	shift 2
	for gav in "$@"; do
		IFS=: read -r g a v <<<"$gav"
		deps+="    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"$'\n'
	done
	mkdir -p "$KAFKA_DIR"
	cat >"$pom" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by the Sluice test bed (testbed/lib.sh maven_copy). -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.testbed</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps  </dependencies>
</project>
POM
	rm -rf "$tmp"
	printf '\n== %s\n' "$*" >>"$KAFKA_RESOLVE_LOG"
	mvn -B -ntp -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$tmp" </dev/null >>"$KAFKA_RESOLVE_LOG" 2>&1 || { rm -rf "$tmp"; return 1; }
	echo "$version" >"$tmp/.version"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

# make_certs writes the bed's TLS material into $TLS_DIR once (see TLS_DIR):
# ca.pem/.key, server.pem/.key (127.0.0.1, localhost), client.pem/.key
# (CN sluice), other-ca.pem/.key, and kafka-keystore.pem (server key and
# certificate, Kafka's PEM key store). Certificates last ten years.
make_certs() {
	[[ -s "$TLS_DIR/kafka-keystore.pem" ]] && return 0
	command -v openssl >/dev/null || die "openssl not found; install openssl"
	local tmp="$TLS_DIR.tmp" log="$BED_DIR/openssl.log"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	say "making TLS certificates in $TLS_DIR (log: $log)"
	(
		set -e
		cd "$tmp"
		ca() { # NAME CN
			openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$1.key" -out "$1.pem" -subj "/O=Sluice test bed/CN=$2" \
				-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
		}
		leaf() { # NAME CN EXTENSIONS
			openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/O=Sluice test bed/CN=$2"
			printf '%b\n' "$3" >"$1.ext"
			openssl x509 -req -days 3650 -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -extfile "$1.ext"
			rm -f "$1.csr" "$1.ext"
		}
		ca ca "Sluice test bed CA"
		ca other-ca "Sluice test bed other CA"
		leaf server localhost "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1"
		leaf client sluice "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth"
		cat server.key server.pem >kafka-keystore.pem
		chmod 600 ./*.key kafka-keystore.pem
	) >"$log" 2>&1 || { rm -rf "$tmp"; die "making TLS certificates with openssl (see $log)"; }
	rm -rf "$TLS_DIR"
	mv "$tmp" "$TLS_DIR"
}

# mysql_tls_on: the bed's mariadb serves TLS.
mysql_tls_on() { [[ "$(mysql_root -N -e 'SELECT @@have_ssl' 2>/dev/null)" == YES ]]; }

# kafka_secured_up: each secured listener that is on accepts connections.
kafka_secured_up() {
	{ [[ "$KAFKA_SASL_PORT" == off ]] || port_open "$KAFKA_SASL_PORT"; } &&
		{ [[ "$KAFKA_SSL_PORT" == off ]] || port_open "$KAFKA_SSL_PORT"; }
}
