package testbed

// AllTypesDDL creates table all_types, with one column of every type
// family, as codecs/codectest's TypesTable, plus a few more.
const AllTypesDDL = `CREATE TABLE all_types (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  c_tiny TINYINT, c_tiny_u TINYINT UNSIGNED, c_small SMALLINT, c_small_u SMALLINT UNSIGNED,
  c_medium MEDIUMINT, c_medium_u MEDIUMINT UNSIGNED, c_int INT, c_int_u INT UNSIGNED,
  c_big BIGINT, c_big_u BIGINT UNSIGNED,
  c_dec DECIMAL(65,30), c_dec2 DECIMAL(10,2), c_float FLOAT, c_double DOUBLE,
  c_bit1 BIT(1), c_bit12 BIT(12), c_bit64 BIT(64),
  c_date DATE, c_time TIME(6), c_time0 TIME, c_datetime DATETIME, c_datetime6 DATETIME(6),
  c_ts3 TIMESTAMP(3) NULL, c_ts TIMESTAMP NULL, c_year YEAR,
  c_varchar VARCHAR(64) CHARACTER SET utf8mb4, c_latin1 VARCHAR(16) CHARACTER SET latin1,
  c_varbinary VARBINARY(16), c_binary BINARY(4), c_char CHAR(8) CHARACTER SET utf8mb4,
  c_text TEXT CHARACTER SET utf8mb4, c_blob BLOB, c_longtext LONGTEXT CHARACTER SET utf8mb4,
  c_tinyblob TINYBLOB, c_json JSON,
  c_enum ENUM('small','large','it''s') CHARACTER SET utf8mb4, c_set SET('a','b','c') CHARACTER SET utf8mb4,
  c_point POINT, c_geom GEOMETRY,
  UNIQUE KEY uk_varchar (c_varchar, c_latin1)
)`
