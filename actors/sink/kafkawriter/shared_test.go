package kafkawriter

import (
	"crypto/tls"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/kafkatls"
	"github.com/sluicecdc/sluice/topology"
)

// The tests check the shared rules under the names they had when they were
// kafkawriter's own.

func batchSize(m *Message) int { return kafkarecord.BatchSize(m) }

func tlsConfig(t topology.KafkaTLS) (*tls.Config, error) { return kafkatls.Config(t) }
