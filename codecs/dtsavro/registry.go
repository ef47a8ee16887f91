package dtsavro

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/registry"
)

const namespace = "com.alibaba.dts.formats.avro."

// RecordSchema returns Record.avsc as one self-contained Record schema (the
// published file is an array of named types, which a registry would take as
// a union): each named type is inlined where it is first referenced, in
// document order, as Avro requires. This is the schema registered under
// <topic>-value when a registry is configured.
var RecordSchema = sync.OnceValue(func() string {
	var defs []map[string]any
	if err := json.Unmarshal([]byte(Schema), &defs); err != nil {
		panic("dtsavro: Record.avsc: " + err.Error())
	}
	byName := map[string]any{}
	for _, d := range defs {
		byName[namespace+d["name"].(string)] = d
	}
	defined := map[string]bool{}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			full := x
			if !strings.Contains(x, ".") {
				full = namespace + x
			}
			if d, ok := byName[full]; ok && !defined[full] {
				defined[full] = true
				return walk(d)
			}
			return x
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
			return x
		case map[string]any:
			for _, k := range []string{"type", "items", "values", "fields"} {
				if f, ok := x[k]; ok {
					x[k] = walk(f)
				}
			}
			return x
		}
		return v
	}
	b, err := json.Marshal(walk(namespace + "Record"))
	if err != nil {
		panic("dtsavro: Record schema: " + err.Error())
	}
	return string(b)
})

// schemaIDs caches the Record schema's id per topic (subject <topic>-value).
type schemaIDs struct {
	reg   codec.Registry
	topic string // last topic asked, the common case
	id    int32
	ids   map[string]int32
}

// id returns the schema id for topic, registering the schema on first use.
func (s *schemaIDs) get(topic string) (int32, error) {
	if topic == s.topic && s.ids != nil {
		return s.id, nil
	}
	id, ok := s.ids[topic]
	if !ok {
		var err error
		if id, err = s.reg.Register(context.Background(), topic+"-value", RecordSchema()); err != nil {
			return 0, fmt.Errorf("dts-avro: topic %s: %w", topic, err)
		}
		if s.ids == nil {
			s.ids = map[string]int32{}
		}
		s.ids[topic] = id
	}
	s.topic, s.id = topic, id
	return id, nil
}

// header appends the Confluent wire format header for topic's schema id.
func (s *schemaIDs) header(v []byte, topic string) ([]byte, error) {
	id, err := s.get(topic)
	if err != nil {
		return v, err
	}
	return registry.AppendHeader(v, id), nil
}
