package io.sluice.compat.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

/**
 * Reads Sluice's topics with Flink SQL's Kafka connector and its canal-json and debezium-json
 * formats, materialises each changelog (+I/+U put the row, -U/-D remove it) and prints the table
 * as one JSON line per topic: {"topic", "mode", "records", "rows": {key: {column: value}},
 * "errors"}.
 *
 * <p>Arguments: the brokers, then {@code variant:topic} per topic: {@code canal} (canal-json of
 * the canal flavour), {@code debezium} (debezium-json without schemas) or {@code
 * debezium-schema} (debezium-json with 'debezium-json.schema-include'). Each variant declares the
 * type matrix with the Flink types a user would: see COLUMNS.
 */
public final class FlinkReaders {
  private static final ObjectMapper JSONW = new ObjectMapper();
  private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /** The matrix's columns: name, then the Flink type for canal, debezium, debezium-schema. */
  static final String[][] COLUMNS = {
    {"id", "DECIMAL(20,0)", "BIGINT", "BYTES"},
    {"ti", "TINYINT", "SMALLINT", "SMALLINT"},
    {"tu", "SMALLINT", "SMALLINT", "SMALLINT"},
    {"si", "SMALLINT", "SMALLINT", "SMALLINT"},
    {"su", "INT", "INT", "INT"},
    {"mi", "INT", "INT", "INT"},
    {"mu", "INT", "INT", "INT"},
    {"i", "INT", "INT", "INT"},
    {"iu", "BIGINT", "BIGINT", "BIGINT"},
    {"bi", "BIGINT", "BIGINT", "BIGINT"},
    {"bu", "DECIMAL(20,0)", "BIGINT", "BYTES"},
    {"d", "DECIMAL(20,6)", "DECIMAL(20,6)", "BYTES"},
    {"f", "FLOAT", "FLOAT", "FLOAT"},
    {"db", "DOUBLE", "DOUBLE", "DOUBLE"},
    {"dt", "DATE", "INT", "INT"},
    {"tm", "STRING", "BIGINT", "BIGINT"},
    {"tm6", "STRING", "BIGINT", "BIGINT"},
    {"dt6", "TIMESTAMP(6)", "BIGINT", "BIGINT"},
    {"ts6", "TIMESTAMP(6)", "TIMESTAMP_LTZ(6)", "TIMESTAMP_LTZ(6)"},
    {"y", "INT", "INT", "INT"},
    {"s", "STRING", "STRING", "STRING"},
    {"bin", "STRING", "BYTES", "BYTES"},
    {"j", "STRING", "STRING", "STRING"},
    {"e", "STRING", "STRING", "STRING"},
    {"st", "STRING", "STRING", "STRING"},
    {"extra", "INT", "INT", "INT"},
  };

  public static void main(String[] args) throws Exception {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.getConfig().set("parallelism.default", "1");
    String brokers = args[0];
    for (int a = 1; a < args.length; a++) {
      String[] p = args[a].split(":", 2);
      String variant = p[0], topic = p[1];
      int v = variantOf(variant);
      ObjectNode out = JSONW.createObjectNode();
      out.put("topic", topic);
      out.put("mode", "flink-" + variant);
      Map<String, Map<String, Object>> rows = new TreeMap<>();
      List<String> errors = new ArrayList<>();
      int n = 0;
      // One job at a time, so that the jobs do not compete for the cores.
      TableResult job = null;
      try {
        env.executeSql(tableDDL(a, v, topic, brokers));
        job = env.executeSql("SELECT * FROM t_" + a);
      } catch (Exception e) {
        errors.add(causes(e));
      }
      if (job != null) {
        try (CloseableIterator<Row> it = job.collect()) {
          while (it.hasNext()) {
            Row row = it.next();
            n++;
            Map<String, Object> m = new TreeMap<>();
            for (int i = 0; i < COLUMNS.length; i++) {
              m.put(COLUMNS[i][0], value(v, COLUMNS[i][0], row.getField(i)));
            }
            String key = JSONW.writeValueAsString(Map.of("id", String.valueOf(m.get("id"))));
            RowKind k = row.getKind();
            if (k == RowKind.INSERT || k == RowKind.UPDATE_AFTER) {
              rows.put(key, m);
            } else if (rows.remove(key) == null) {
              errors.add(k + " of a key never written: " + key);
            }
          }
        } catch (Exception e) {
          errors.add(causes(e));
        }
      }
      out.put("records", n);
      ObjectNode rs = out.putObject("rows");
      for (Map.Entry<String, Map<String, Object>> e : rows.entrySet()) {
        rs.set(e.getKey(), JSONW.valueToTree(e.getValue()));
      }
      ArrayNode errs = out.putArray("errors");
      errors.forEach(errs::add);
      System.out.println(JSONW.writeValueAsString(out));
    }
    System.exit(0); // Flink's local executor leaves non-daemon threads behind
  }

  static int variantOf(String variant) {
    switch (variant) {
      case "canal":
        return 1;
      case "debezium":
        return 2;
      case "debezium-schema":
        return 3;
      default:
        throw new IllegalArgumentException("unknown variant " + variant);
    }
  }

  /** tableDDL declares the matrix of variant v over topic, bounded at its current end. */
  static String tableDDL(int a, int v, String topic, String brokers) {
    StringBuilder ddl = new StringBuilder("CREATE TABLE t_" + a + " (");
    for (int i = 0; i < COLUMNS.length; i++) {
      ddl.append(i > 0 ? ", " : "").append('`').append(COLUMNS[i][0]).append("` ").append(COLUMNS[i][v]);
    }
    ddl.append(") WITH ('connector' = 'kafka', 'topic' = '").append(topic)
        .append("', 'properties.bootstrap.servers' = '").append(brokers)
        .append("', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = '")
        .append(v == 1 ? "canal-json" : "debezium-json").append("'");
    if (v == 1) {
      // Flink's canal-json skips a CREATE record but fails on every other DDL type Canal
      // writes (ALTER, ERASE, ...): "Unknown \"type\" value \"ALTER\"". Every row is still
      // compared, so a data record skipped by mistake fails the test.
      ddl.append(", 'canal-json.ignore-parse-errors' = 'true'");
    }
    if (v == 3) {
      ddl.append(", 'debezium-json.schema-include' = 'true'");
    }
    if (v != 1) {
      ddl.append(", 'debezium-json.timestamp-format.standard' = 'ISO-8601'");
    }
    return ddl.append(")").toString();
  }

  static String causes(Throwable e) {
    StringBuilder msg = new StringBuilder(e.toString());
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      msg.append(" <- ").append(c);
    }
    return msg.toString();
  }

  /** value renders a Flink field as the Go test compares it. */
  static Object value(int variant, String col, Object v) {
    if (v == null) {
      return null;
    }
    if (variant == 1 && col.equals("bin")) {
      return hex(((String) v).getBytes(StandardCharsets.ISO_8859_1)); // Canal's binary text
    }
    if (variant == 3 && v instanceof byte[]) {
      if (col.equals("bin")) {
        return hex((byte[]) v);
      }
      // Connect Decimal: the unscaled two's-complement bytes (scale 6 for d, 0 for the BIGINT UNSIGNED)
      return new BigDecimal(new BigInteger((byte[]) v), col.equals("d") ? 6 : 0).toPlainString();
    }
    if (v instanceof BigDecimal) {
      return ((BigDecimal) v).toPlainString();
    }
    if (v instanceof LocalDateTime) {
      return ((LocalDateTime) v).format(DATETIME);
    }
    if (v instanceof Instant) {
      return LocalDateTime.ofInstant((Instant) v, ZoneOffset.UTC).format(DATETIME);
    }
    if (v instanceof byte[]) {
      return hex((byte[]) v);
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) {
      return v;
    }
    return v.toString();
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }
}
