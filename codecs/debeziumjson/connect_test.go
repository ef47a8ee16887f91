package debeziumjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
)

// connectRead checks a key or value with schemas on the way Kafka Connect's
// JsonConverter reads it (toConnectData): the envelope has exactly schema and
// payload, and the payload fits the schema — every field present, null only
// where optional, numbers within their type's range, bytes valid base64.
func connectRead(t *testing.T, b []byte) (schema map[string]any) {
	t.Helper()
	var env map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	s, ok := env["schema"].(map[string]any)
	if !ok || len(env) != 2 {
		t.Fatalf("not a schema/payload envelope: %s", b)
	}
	if err := fits(s, env["payload"], "payload"); err != nil {
		t.Fatalf("JsonConverter would reject it: %v\n%s", err, b)
	}
	return s
}

func fits(s map[string]any, v any, path string) error {
	if v == nil {
		if s["optional"] == true {
			return nil
		}
		return fmt.Errorf("%s: null in a required %v", path, s["type"])
	}
	integer := func(bits int) error {
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: %T for %v", path, v, s["type"])
		}
		if _, err := strconv.ParseInt(n.String(), 10, bits); err != nil {
			return fmt.Errorf("%s: %s does not fit %v", path, n, s["type"])
		}
		return nil
	}
	switch s["type"] {
	case "int8":
		return integer(8)
	case "int16":
		return integer(16)
	case "int32":
		return integer(32)
	case "int64":
		return integer(64)
	case "float", "double":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%s: %T for %v", path, v, s["type"])
		}
		f, err := n.Float64()
		if err != nil || (s["type"] == "float" && math.Abs(f) > math.MaxFloat32) {
			return fmt.Errorf("%s: %s does not fit %v", path, n, s["type"])
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %T for boolean", path, v)
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T for string", path, v)
		}
	case "bytes":
		x, ok := v.(string)
		if _, err := base64.StdEncoding.DecodeString(x); !ok || err != nil {
			return fmt.Errorf("%s: %v is not base64 bytes", path, v)
		}
	case "array":
		items, _ := s["items"].(map[string]any)
		xs, ok := v.([]any)
		if !ok || items == nil {
			return fmt.Errorf("%s: %T for array (items %v)", path, v, s["items"])
		}
		for i, x := range xs {
			if err := fits(items, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case "struct":
		m, ok := v.(map[string]any)
		fields, _ := s["fields"].([]any)
		if !ok {
			return fmt.Errorf("%s: %T for struct", path, v)
		}
		seen := map[string]bool{}
		for _, f := range fields {
			fs := f.(map[string]any)
			name, _ := fs["field"].(string)
			seen[name] = true
			x, present := m[name]
			if !present && fs["optional"] != true {
				return fmt.Errorf("%s.%s: missing", path, name)
			}
			if err := fits(fs, x, path+"."+name); err != nil {
				return err
			}
		}
		for name := range m {
			if !seen[name] {
				return fmt.Errorf("%s.%s: not in the schema", path, name)
			}
		}
	default:
		return fmt.Errorf("%s: unknown schema type %v", path, s["type"])
	}
	return nil
}
