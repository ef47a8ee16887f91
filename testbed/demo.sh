#!/usr/bin/env bash
# The demo: brings the test bed up and (re)creates a sample `demo` database. The sync
# step (MariaDB binlog to Kafka through sluice) is not wired in yet.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=testbed/lib.sh
source "$here/lib.sh"

bash "$here/up.sh"

mariadb --no-defaults --protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -usluice_admin -padmin <<'SQL'
DROP DATABASE IF EXISTS demo;
CREATE DATABASE demo;
CREATE TABLE demo.orders (
  id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer VARCHAR(64)     NOT NULL,
  amount   DECIMAL(10,2)   NOT NULL,
  status   ENUM('new','paid','shipped') NOT NULL DEFAULT 'new',
  created  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
INSERT INTO demo.orders (customer, amount, status) VALUES
  ('ada', 12.50, 'new'), ('grace', 99.00, 'paid'), ('linus', 7.25, 'shipped');
UPDATE demo.orders SET status = 'paid' WHERE customer = 'ada' AND status = 'new';
SQL

rows="$(mariadb --no-defaults --protocol=TCP -h"$MYSQL_HOST" -P"$MYSQL_PORT" -usluice -psluice -N -e 'SELECT COUNT(*) FROM demo.orders')"
say "demo.orders has $rows rows on 127.0.0.1:$MYSQL_PORT (user sluice_admin/admin); Kafka is on 127.0.0.1:$KAFKA_PORT"
say "the sync step (sluice reading the binlog into Kafka) is not wired into the demo yet"
