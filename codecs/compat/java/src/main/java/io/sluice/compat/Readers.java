package io.sluice.compat;

import com.alibaba.fastjson2.JSON;
import com.alibaba.otter.canal.protocol.FlatMessage;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Reads Sluice's topics the way real consumers do and prints, for each, the table it
 * materialises as one JSON line on stdout.
 *
 * <p>Arguments: the brokers, then one {@code mode:topic:records} per topic, where mode is
 * {@code connect-schemas} (Kafka Connect's JsonConverter with schemas.enable=true, Debezium
 * JSON), {@code connect} (schemas.enable=false) or {@code canal} (Canal's FlatMessage parsed
 * with fastjson2, as Canal's Kafka client does), and records is how many records to read.
 *
 * <p>Output per topic: {"topic", "mode", "records", "rows": {key: {column: value}}, "ddl":
 * [statements], "types": [canal types], "mysqlType": {column: type}, "errors": [text]}. Values
 * of connect-schemas are rendered by their Connect schema (Decimal as plain text, Debezium's
 * temporal types as text, bytes as hex); connect values are the raw JSON values; canal values
 * are Canal's strings, binary columns as hex of their ISO-8859-1 bytes.
 */
public final class Readers {
  private static final ObjectMapper JSONW = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    String brokers = args[0];
    for (int i = 1; i < args.length; i++) {
      String[] p = args[i].split(":", 3);
      ObjectNode out = JSONW.createObjectNode();
      out.put("topic", p[1]);
      out.put("mode", p[0]);
      Table t = new Table();
      int n = 0;
      try {
        List<ConsumerRecord<byte[], byte[]>> recs = read(brokers, p[1], Integer.parseInt(p[2]));
        n = recs.size();
        switch (p[0]) {
          case "connect-schemas":
            connect(t, p[1], recs, true);
            break;
          case "connect":
            connect(t, p[1], recs, false);
            break;
          case "canal":
            canal(t, recs);
            break;
          default:
            throw new IllegalArgumentException("unknown mode " + p[0]);
        }
      } catch (Exception e) {
        t.errors.add(e.toString());
      }
      out.put("records", n);
      ObjectNode rows = out.putObject("rows");
      for (Map.Entry<String, Map<String, Object>> r : t.rows.entrySet()) {
        rows.set(r.getKey(), JSONW.valueToTree(r.getValue()));
      }
      ArrayNode ddl = out.putArray("ddl");
      t.ddl.forEach(ddl::add);
      ArrayNode types = out.putArray("types");
      t.types.forEach(types::add);
      out.set("mysqlType", JSONW.valueToTree(t.mysqlType));
      ArrayNode errs = out.putArray("errors");
      t.errors.forEach(errs::add);
      System.out.println(JSONW.writeValueAsString(out));
    }
  }

  /** What a consumer has built from one topic. */
  static final class Table {
    final Map<String, Map<String, Object>> rows = new TreeMap<>();
    final List<String> ddl = new ArrayList<>();
    final TreeSet<String> types = new TreeSet<>();
    final Map<String, String> mysqlType = new TreeMap<>();
    final List<String> errors = new ArrayList<>();
  }

  /** read returns the first n records of every partition of topic, in partition order. */
  static List<ConsumerRecord<byte[], byte[]>> read(String brokers, String topic, int n) {
    Properties props = new Properties();
    props.put("bootstrap.servers", brokers);
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(20))) {
        parts.add(new TopicPartition(topic, pi.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(r);
        }
      }
      // A second more, so that records past the n expected are counted too.
      long extra = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (out.size() >= n && System.nanoTime() < extra) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(r);
        }
      }
    }
    if (out.size() < n) {
      throw new IllegalStateException(topic + ": read " + out.size() + " records in 40 s, want " + n);
    }
    return out;
  }

  // ---- Kafka Connect's JsonConverter over Debezium JSON ----

  static void connect(Table t, String topic, List<ConsumerRecord<byte[], byte[]>> recs, boolean schemas) {
    JsonConverter keys = new JsonConverter();
    keys.configure(Map.of("schemas.enable", String.valueOf(schemas)), true);
    JsonConverter values = new JsonConverter();
    values.configure(Map.of("schemas.enable", String.valueOf(schemas)), false);
    for (ConsumerRecord<byte[], byte[]> r : recs) {
      SchemaAndValue k = keys.toConnectData(topic, r.key());
      SchemaAndValue v = values.toConnectData(topic, r.value());
      if (v.value() == null) {
        continue; // a tombstone: its delete came first
      }
      String op;
      Object before, after;
      if (schemas) {
        Struct s = (Struct) v.value();
        if (s.schema().field("op") == null) {
          t.ddl.add(s.getString("ddl"));
          continue;
        }
        op = s.getString("op");
        before = s.get("before");
        after = s.get("after");
      } else {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v.value();
        if (!m.containsKey("op")) {
          t.ddl.add((String) m.get("ddl"));
          continue;
        }
        op = (String) m.get("op");
        before = m.get("before");
        after = m.get("after");
      }
      t.types.add(op);
      String key = render(k.value());
      for (Header h : r.headers()) {
        if (h.key().startsWith("__debezium.")) {
          t.types.add(h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8));
        }
      }
      switch (op) {
        case "r":
        case "c":
        case "u":
          t.rows.put(key, row(after));
          if (before == null && op.equals("u")) {
            t.errors.add("u without before at offset " + r.offset());
          }
          break;
        case "d":
          if (t.rows.remove(key) == null) {
            t.errors.add("d of a key never written: " + key);
          }
          break;
        default:
          t.errors.add("unknown op " + op);
      }
    }
  }

  static String render(Object key) {
    if (key == null) {
      return "null";
    }
    try {
      return JSONW.writeValueAsString(row(key));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Object> row(Object v) {
    Map<String, Object> out = new TreeMap<>();
    if (v instanceof Struct) {
      Struct s = (Struct) v;
      for (Field f : s.schema().fields()) {
        out.put(f.name(), value(f.schema(), s.get(f)));
      }
    } else {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) v;
      out.putAll(m);
    }
    return out;
  }

  private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /** value renders a Connect value by its schema's logical name, as a sink would read it. */
  static Object value(Schema s, Object v) {
    if (v == null) {
      return null;
    }
    String name = s.name() == null ? "" : s.name();
    switch (name) {
      case "org.apache.kafka.connect.data.Decimal":
        return ((BigDecimal) v).toPlainString();
      case "io.debezium.time.Date":
        return LocalDate.ofEpochDay(((Number) v).longValue()).toString();
      case "io.debezium.time.MicroTime":
        return duration(((Number) v).longValue());
      case "io.debezium.time.Timestamp":
        return LocalDateTime.ofInstant(Instant.ofEpochMilli(((Number) v).longValue()), ZoneOffset.UTC).format(DATETIME);
      case "io.debezium.time.MicroTimestamp":
        long us = ((Number) v).longValue();
        return LocalDateTime.ofInstant(
                Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1000L), ZoneOffset.UTC)
            .format(DATETIME);
      case "io.debezium.time.ZonedTimestamp":
        return LocalDateTime.ofInstant(Instant.parse((String) v), ZoneOffset.UTC).format(DATETIME);
      default:
    }
    if (v instanceof byte[]) {
      return hex((byte[]) v);
    }
    if (v instanceof java.nio.ByteBuffer) {
      java.nio.ByteBuffer b = ((java.nio.ByteBuffer) v).duplicate();
      byte[] a = new byte[b.remaining()];
      b.get(a);
      return hex(a);
    }
    if (v instanceof Struct) {
      return row(v);
    }
    return v;
  }

  /** duration renders signed microseconds as MySQL prints a TIME(6): -838:59:59.000000. */
  static String duration(long us) {
    String sign = us < 0 ? "-" : "";
    us = Math.abs(us);
    long s = us / 1_000_000L;
    return String.format("%s%02d:%02d:%02d.%06d", sign, s / 3600, s / 60 % 60, s % 60, us % 1_000_000L);
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }

  // ---- Canal's FlatMessage ----

  static void canal(Table t, List<ConsumerRecord<byte[], byte[]>> recs) {
    for (ConsumerRecord<byte[], byte[]> r : recs) {
      FlatMessage m = JSON.parseObject(new String(r.value(), StandardCharsets.UTF_8), FlatMessage.class);
      t.types.add(m.getType());
      if (m.getIsDdl()) {
        t.ddl.add(m.getSql());
        continue;
      }
      if (m.getMysqlType() != null) {
        t.mysqlType.putAll(m.getMysqlType());
      }
      List<String> pk = m.getPkNames();
      for (int i = 0; i < m.getData().size(); i++) {
        Map<String, String> data = m.getData().get(i);
        Map<String, String> old = m.getOld() == null ? null : m.getOld().get(i);
        String key = canalKey(pk, data, null);
        switch (m.getType()) {
          case "INSERT":
            t.rows.put(key, canalRow(m, data));
            break;
          case "UPDATE":
            if (old == null) {
              t.errors.add("UPDATE without old at offset " + r.offset());
              break;
            }
            for (Map.Entry<String, String> e : old.entrySet()) {
              if (java.util.Objects.equals(e.getValue(), data.get(e.getKey()))) {
                t.errors.add("old holds unchanged column " + e.getKey() + " at offset " + r.offset());
              }
            }
            String oldKey = canalKey(pk, data, old);
            if (!oldKey.equals(key)) {
              t.rows.remove(oldKey); // the key changed: the before image names the old row
            }
            t.rows.put(key, canalRow(m, data));
            break;
          case "DELETE":
            if (t.rows.remove(key) == null) {
              t.errors.add("DELETE of a key never written: " + key);
            }
            break;
          default:
            t.errors.add("unknown type " + m.getType());
        }
      }
    }
  }

  static String canalKey(List<String> pk, Map<String, String> data, Map<String, String> old) {
    Map<String, String> k = new TreeMap<>();
    for (String c : pk) {
      k.put(c, old != null && old.containsKey(c) ? old.get(c) : data.get(c));
    }
    try {
      return JSONW.writeValueAsString(k);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Object> canalRow(FlatMessage m, Map<String, String> data) {
    Map<String, Object> out = new TreeMap<>();
    Map<String, Object> hexed = new HashMap<>();
    for (Map.Entry<String, String> e : data.entrySet()) {
      String type = m.getMysqlType().get(e.getKey());
      String v = e.getValue();
      if (v != null && type != null && (type.startsWith("binary") || type.startsWith("varbinary") || type.endsWith("blob"))) {
        hexed.put(e.getKey(), hex(v.getBytes(StandardCharsets.ISO_8859_1)));
      }
      out.put(e.getKey(), v);
    }
    out.putAll(hexed);
    return out;
  }

}
