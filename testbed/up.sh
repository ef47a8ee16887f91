#!/usr/bin/env bash
# Brings the Sluice test bed up: MariaDB on 127.0.0.1:33306, a single-node
# Kafka (KRaft) on 127.0.0.1:19092 and a one-member etcd on 127.0.0.1:32379,
# all as plain processes with their data, logs and pid files under
# $SLUICE_BED_DIR (default ~/.cache/sluice-bed). Idempotent: when all already
# answer it returns at once. Missing Debian packages are installed; Kafka's
# jars are resolved from Maven Central once.
set -euo pipefail
# shellcheck source=testbed/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T_START="$(now_ms)"
STARTED=()

on_exit() {
	local rc=$?
	if ((rc != 0)) && ((${#STARTED[@]} > 0)); then
		local s
		for s in "${STARTED[@]}"; do
			case "$s" in
			kafka) stop_pidfile kafka "$KAFKA_PID" ;;
			mariadb) stop_pidfile mariadb "$MYSQL_PID" ;;
			etcd) stop_pidfile etcd "$ETCD_PID" ;;
			esac
		done
		say "stopped what this run had started (${STARTED[*]})"
	fi
}
trap on_exit EXIT

# SLUICE_BED_ONLY=mariadb, =kafka or =etcd starts that service alone (for a
# private second server beside the shared bed, e.g. in the fault tests);
# unset, all three.
ONLY="${SLUICE_BED_ONLY:-}"
case "$ONLY" in
"" | mariadb | kafka | etcd) ;;
*) die "SLUICE_BED_ONLY=$ONLY: use mariadb, kafka, etcd, or leave it unset for all three" ;;
esac
# wanted NAME: this run starts the service NAME.
wanted() { [[ -z "$ONLY" || "$ONLY" == "$1" ]]; }

# --- one start at a time ---------------------------------------------------
# Two runs at once (two `make testbed-up`, or `make test` in two checkouts)
# would both find the bed down and start each service twice on one data
# directory. The later run waits here for the earlier one, then takes the
# fast path below. The services are spawned with every descriptor above 2
# closed (spawn in lib.sh), so they never hold the lock after this script.
mkdir -p "$BED_DIR"
exec 9>>"$BED_DIR/up.lock"
if ! flock -n 9; then
	say "another testbed/up.sh is starting the bed in $BED_DIR; waiting for it"
	flock -w 900 9 || die "another testbed/up.sh has held $BED_DIR/up.lock for 15 minutes; stop it (fuser -v $BED_DIR/up.lock names it) and run again"
fi

# --- fast path -------------------------------------------------------------
if { ! wanted mariadb || { command -v mariadb >/dev/null && pid_alive "$MYSQL_PID" && mysql_healthy && mysql_tls_on; }; } &&
	{ ! wanted kafka || { command -v kcat >/dev/null && pid_alive "$KAFKA_PID" && kafka_healthy && kafka_secured_up; }; } &&
	{ ! wanted etcd || { command -v etcdctl >/dev/null && pid_alive "$ETCD_PID" && etcd_healthy; }; }; then
	up=()
	if wanted mariadb; then up+=("mariadb 127.0.0.1:$MYSQL_PORT"); fi
	if wanted kafka; then up+=("kafka 127.0.0.1:$KAFKA_PORT"); fi
	if wanted etcd; then up+=("etcd 127.0.0.1:$ETCD_PORT"); fi
	printf -v up_list '%s, ' "${up[@]}"
	say "already up (${up_list%, }) in $(secs_since "$T_START")"
	exit 0
fi

mkdir -p "$BED_DIR" "$MYSQL_DIR" "$KAFKA_DIR" "$ETCD_DIR"

# --- tools -----------------------------------------------------------------
find_mariadbd() {
	local p
	for p in "$(command -v mariadbd 2>/dev/null || true)" /usr/sbin/mariadbd /usr/sbin/mysqld; do
		[[ -n "$p" && -x "$p" ]] && { printf '%s' "$p"; return 0; }
	done
	return 1
}

missing=()
if wanted mariadb; then
	find_mariadbd >/dev/null || missing+=(mariadb-server)
	command -v mariadb >/dev/null || missing+=(mariadb-client)
fi
if wanted kafka; then
	command -v kcat >/dev/null || missing+=(kcat)
	command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
	# The real-reader tests (codecs/compat) compile Java: a JDK, not only a JRE.
	command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
	command -v mvn >/dev/null || missing+=(maven) # Kafka (first time) and the real-reader tests
fi
if wanted mariadb || wanted kafka; then
	command -v openssl >/dev/null || missing+=(openssl)
fi
if wanted etcd; then
	command -v etcd >/dev/null || missing+=(etcd-server)
	command -v etcdctl >/dev/null || missing+=(etcd-client)
fi
if ((${#missing[@]} > 0)); then
	apt_install "${missing[@]}"
fi
if wanted mariadb; then
	MARIADBD="$(find_mariadbd)" || die "mariadbd not found after installing mariadb-server (see $INSTALL_LOG)"
	INSTALL_DB="$(command -v mariadb-install-db || command -v mysql_install_db || true)"
	[[ -n "$INSTALL_DB" ]] || die "mariadb-install-db not found (see $INSTALL_LOG)"
fi
if wanted kafka; then
	command -v java >/dev/null || die "java not found; install a JDK 17 or newer"
	java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
	[[ "$java_major" =~ ^[0-9]+$ ]] && ((java_major >= 17)) || die "Kafka 4 needs Java 17 or newer; java on PATH is '${java_major:-unknown}'"
fi
if wanted etcd; then
	ETCD="$(command -v etcd)" || die "etcd not found after installing etcd-server (see $INSTALL_LOG)"
	command -v etcdctl >/dev/null || die "etcdctl not found after installing etcd-client (see $INSTALL_LOG)"
fi

if wanted mariadb || wanted kafka; then make_certs; fi

# --- ports -----------------------------------------------------------------
# Before starting anything: a port the bed needs must be free unless the bed's
# own process holds it.
if wanted mariadb && ! pid_alive "$MYSQL_PID" && port_open "$MYSQL_PORT"; then
	die "port 127.0.0.1:$MYSQL_PORT is already in use by another process (not the bed's mariadb); stop it or set SLUICE_BED_MYSQL_PORT"
fi
if wanted kafka && ! pid_alive "$KAFKA_PID"; then
	for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_SASL_PORT" "$KAFKA_SSL_PORT"; do
		[[ "$p" == off ]] && continue
		port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (not the bed's kafka); stop it or set SLUICE_BED_KAFKA_PORT / SLUICE_BED_KAFKA_CONTROLLER_PORT / SLUICE_BED_KAFKA_SASL_PORT / SLUICE_BED_KAFKA_SSL_PORT"
	done
fi
if wanted etcd && ! pid_alive "$ETCD_PID"; then
	for p in "$ETCD_PORT" "$ETCD_PEER_PORT"; do
		port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (not the bed's etcd); stop it or set SLUICE_BED_ETCD_PORT / SLUICE_BED_ETCD_PEER_PORT"
	done
fi

# --- MariaDB ---------------------------------------------------------------
start_mariadb() {
	local t0 i user_opt=()
	t0="$(now_ms)"
	if pid_alive "$MYSQL_PID" && mysql_healthy; then
		if mysql_tls_on; then
			say "mariadb already running (pid $(<"$MYSQL_PID"))"
			return 0
		fi
		# Started before the bed had TLS: once, restart it with the certificates.
		say "mariadb (pid $(<"$MYSQL_PID")) serves no TLS; restarting it with the bed's certificates"
		stop_pidfile mariadb "$MYSQL_PID"
	fi
	if ! pid_alive "$MYSQL_PID"; then
		rm -f "$MYSQL_PID"
		port_open "$MYSQL_PORT" && die "port 127.0.0.1:$MYSQL_PORT is already in use by another process (not the bed's mariadb); stop it or set SLUICE_BED_MYSQL_PORT"
	fi
	# SLUICE_BED_ROW_METADATA=MINIMAL makes a server log like a stock MySQL 8
	# or RDS (no column names in TABLE_MAP); the default is FULL.
	local row_metadata="${SLUICE_BED_ROW_METADATA:-FULL}"
	case "$row_metadata" in
	FULL | MINIMAL | NO_LOG) ;;
	*) die "SLUICE_BED_ROW_METADATA=$row_metadata: use FULL, MINIMAL or NO_LOG" ;;
	esac
	# SLUICE_BED_SERVER_ID gives a second server its own server_id, so that it
	# can replicate from the first (the failover tests); the default is 1.
	local server_id="${SLUICE_BED_SERVER_ID:-1}"
	[[ "$server_id" =~ ^[1-9][0-9]*$ ]] || die "SLUICE_BED_SERVER_ID=$server_id: use a positive integer"
	sed -e "s|@DATA@|$MYSQL_DATA|; s|@SOCK@|$MYSQL_SOCK|; s|@PID@|$MYSQL_PID|; s|@LOG@|$MYSQL_LOG|; s|@PORT@|$MYSQL_PORT|; s|@ROW_METADATA@|$row_metadata|; s|@SERVER_ID@|$server_id|; s|@TLS@|$TLS_DIR|g" \
		"$BED_SRC/mariadb.cnf.in" >"$MYSQL_CNF"
	[[ "$(id -u)" == 0 ]] && user_opt=(--user=root)
	if ! pid_alive "$MYSQL_PID"; then
		[[ -f "$MYSQL_LOG" ]] && mv -f "$MYSQL_LOG" "$MYSQL_LOG.1"
		if [[ ! -d "$MYSQL_DATA/mysql" ]]; then
			rm -rf "$MYSQL_DATA"
			mkdir -p "$MYSQL_DATA"
			say "initialising mariadb data dir $MYSQL_DATA"
			"$INSTALL_DB" --defaults-file="$MYSQL_CNF" "${user_opt[@]}" --auth-root-authentication-method=normal \
				--skip-test-db >"$MYSQL_DIR/install-db.log" 2>&1 ||
				die "mariadb-install-db (see $MYSQL_DIR/install-db.log)"
		fi
		spawn "$MYSQL_DIR/mariadbd.out" "$MARIADBD" --defaults-file="$MYSQL_CNF" "${user_opt[@]}"
		echo "$SPAWNED_PID" >"$MYSQL_PID"
		STARTED+=(mariadb)
	fi
	for ((i = 0; i < 600; i++)); do
		pid_alive "$MYSQL_PID" || die "mariadb exited while starting (see $MYSQL_LOG)"
		mysql_root -e 'SELECT 1' >/dev/null 2>&1 && break
		sleep 0.1
	done
	mysql_root -e 'SELECT 1' >/dev/null 2>&1 || die "mariadb did not accept connections in 60s (see $MYSQL_LOG)"
	# Accounts. REPLICATION CLIENT is an alias of BINLOG MONITOR since MariaDB 10.5.2,
	# so SHOW GRANTS lists it under that name.
	local acct sql=""
	for acct in "'sluice_admin'@'127.0.0.1'" "'sluice_admin'@'localhost'"; do
		sql+="CREATE USER IF NOT EXISTS $acct IDENTIFIED BY 'admin'; ALTER USER $acct IDENTIFIED BY 'admin';"
		sql+="GRANT ALL PRIVILEGES ON *.* TO $acct WITH GRANT OPTION;"
	done
	for acct in "'sluice'@'127.0.0.1'" "'sluice'@'localhost'"; do
		sql+="CREATE USER IF NOT EXISTS $acct IDENTIFIED BY 'sluice'; ALTER USER $acct IDENTIFIED BY 'sluice';"
		sql+="REVOKE ALL PRIVILEGES, GRANT OPTION FROM $acct;"
		sql+="GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO $acct;"
	done
	mysql_root -e "$sql" >>"$MYSQL_LOG" 2>&1 || die "creating the bed's mariadb accounts (see $MYSQL_LOG)"
	for ((i = 0; i < 100; i++)); do
		mysql_healthy && break
		sleep 0.1
	done
	mysql_healthy || die "mariadb does not accept the sluice login on 127.0.0.1:$MYSQL_PORT (see $MYSQL_LOG)"
	say "mariadb up on 127.0.0.1:$MYSQL_PORT in $(secs_since "$t0")"
}

# --- Kafka ---------------------------------------------------------------
# kafka_broker_artifacts: what the broker needs at run time, besides what
# kafka_2.13 brings: a log4j 2 binding for slf4j 2, so its logs reach a file.
kafka_broker_artifacts() {
	echo "org.apache.kafka:kafka_2.13:$1 org.apache.kafka:kafka-server:$1 org.apache.kafka:kafka-storage:$1"
	echo "org.slf4j:slf4j-api:$SLF4J_VERSION org.apache.logging.log4j:log4j-api:$LOG4J_VERSION"
	echo "org.apache.logging.log4j:log4j-core:$LOG4J_VERSION org.apache.logging.log4j:log4j-slf4j2-impl:$LOG4J_VERSION"
}

resolve_kafka() {
	[[ -s "$KAFKA_LIBS/.version" ]] && return 0
	command -v mvn >/dev/null || die "mvn not found; install maven"
	local t0 v
	t0="$(now_ms)"
	for v in $KAFKA_VERSIONS; do
		say "resolving Apache Kafka $v from Maven Central (log: $KAFKA_RESOLVE_LOG)"
		# shellcheck disable=SC2046
		if maven_copy "$KAFKA_LIBS" "$v" $(kafka_broker_artifacts "$v"); then
			say "kafka $v resolved ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars) in $(secs_since "$t0")"
			return 0
		fi
		say "kafka $v did not resolve"
	done
	die "no Kafka version of '$KAFKA_VERSIONS' resolved from Maven Central (see $KAFKA_RESOLVE_LOG)"
}

# kafka_jvm holds the java command line shared by the storage tool and the server.
kafka_jvm=(java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
	-Dlog4j2.configurationFile="$BED_SRC/kafka-log4j2.properties" -Dkafka.logs.dir="$KAFKA_LOGDIR"
	-cp "$KAFKA_LIBS/*")

start_kafka() {
	local t0 version cluster_id
	t0="$(now_ms)"
	if pid_alive "$KAFKA_PID" && kafka_healthy; then
		if kafka_secured_up; then
			say "kafka already running (pid $(<"$KAFKA_PID"))"
			return 0
		fi
		# Started before the bed had secured listeners: once, restart it.
		say "kafka (pid $(<"$KAFKA_PID")) lacks its SASL_SSL / SSL listeners; restarting it"
		stop_pidfile kafka "$KAFKA_PID"
	fi
	resolve_kafka
	version="$(<"$KAFKA_LIBS/.version")"
	if ! pid_alive "$KAFKA_PID"; then
		rm -f "$KAFKA_PID"
		port_open "$KAFKA_PORT" && die "port 127.0.0.1:$KAFKA_PORT is already in use by another process (not the bed's kafka); stop it or set SLUICE_BED_KAFKA_PORT"
		port_open "$KAFKA_CONTROLLER_PORT" && die "port 127.0.0.1:$KAFKA_CONTROLLER_PORT is already in use by another process (not the bed's kafka); stop it or set SLUICE_BED_KAFKA_CONTROLLER_PORT"
		mkdir -p "$KAFKA_LOGDIR"
		local secured="" scram=()
		if [[ "$KAFKA_SASL_PORT" != off ]]; then
			secured+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT"
			scram=(--add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SCRAM_PASSWORD]"
				--add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SCRAM_PASSWORD]")
		fi
		if [[ "$KAFKA_SSL_PORT" != off ]]; then secured+=",SSL://127.0.0.1:$KAFKA_SSL_PORT"; fi
		sed -e "s|@DATA@|$KAFKA_DATA|; s|@PORT@|$KAFKA_PORT|g; s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g; s|@SECURED_LISTENERS@|$secured|g" \
			"$BED_SRC/kafka.properties.in" >"$KAFKA_PROPS"
		if [[ -n "$secured" ]]; then
			sed -e "s|@TLS@|$TLS_DIR|g; s|@SASL_USER@|$KAFKA_SASL_USER|g; s|@PLAIN_PASSWORD@|$KAFKA_PLAIN_PASSWORD|g" \
				"$BED_SRC/kafka-security.properties.in" >>"$KAFKA_PROPS"
		fi
		[[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
		if [[ ! -s "$KAFKA_DATA/meta.properties" ]]; then
			rm -rf "$KAFKA_DATA"
			# A random Kafka cluster id: 16 bytes, URL-safe base64, not starting with '-'.
			cluster_id="-"
			while [[ "$cluster_id" == -* ]]; do
				cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
			done
			say "formatting kafka storage $KAFKA_DATA (cluster $cluster_id)"
			"${kafka_jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$KAFKA_PROPS" "${scram[@]}" \
				</dev/null >"$KAFKA_DIR/format.log" 2>&1 || die "formatting kafka storage (see $KAFKA_DIR/format.log)"
		fi
		spawn "$KAFKA_LOG" "${kafka_jvm[@]}" kafka.Kafka "$KAFKA_PROPS"
		echo "$SPAWNED_PID" >"$KAFKA_PID"
		STARTED+=(kafka)
	fi
	await kafka "$KAFKA_PID" "$KAFKA_LOG" 240 0.5 kafka_healthy ||
		die "kafka did not answer a metadata request on 127.0.0.1:$KAFKA_PORT in 120s (see $KAFKA_LOG)"
	say "kafka $version up on 127.0.0.1:$KAFKA_PORT in $(secs_since "$t0")"
}

# --- etcd ----------------------------------------------------------------
# One member with etcd's default request limits (--max-txn-ops 128,
# --max-request-bytes 1.5 MiB), as a production cluster has them, so that
# tests meet the same limits. History is compacted every five minutes:
# nothing in Sluice reads old revisions, the bed's database must not grow
# without bound, and etcd 3.4's transactions slow down as history grows.
start_etcd() {
	local t0 version
	t0="$(now_ms)"
	version="$("$ETCD" --version 2>/dev/null | sed -n 's/^etcd Version: //p')"
	if pid_alive "$ETCD_PID" && etcd_healthy; then
		say "etcd already running (pid $(<"$ETCD_PID"))"
		return 0
	fi
	if ! pid_alive "$ETCD_PID"; then
		rm -f "$ETCD_PID"
		[[ -f "$ETCD_LOG" ]] && mv -f "$ETCD_LOG" "$ETCD_LOG.1"
		spawn "$ETCD_LOG" "$ETCD" --name sluice-bed --data-dir "$ETCD_DATA" --logger zap \
			--listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
			--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
			--initial-cluster "sluice-bed=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
			--auto-compaction-mode periodic --auto-compaction-retention 5m
		echo "$SPAWNED_PID" >"$ETCD_PID"
		STARTED+=(etcd)
	fi
	await etcd "$ETCD_PID" "$ETCD_LOG" 300 0.1 etcd_healthy ||
		die "etcd did not report healthy on 127.0.0.1:$ETCD_PORT in 30s (see $ETCD_LOG)"
	say "etcd ${version:-(unknown version)} up on 127.0.0.1:$ETCD_PORT in $(secs_since "$t0")"
}

if wanted mariadb; then start_mariadb; fi
if wanted kafka; then start_kafka; fi
if wanted etcd; then start_etcd; fi
say "up in $(secs_since "$T_START") (bed dir $BED_DIR)"
