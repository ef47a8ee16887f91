package topology

// Topics lists the topics sink s writes, with the partition count each is
// configured with (a table rule's partitions, else the sink's): the sink's
// topic and DDL topic, and every topic a table rule of a source or
// transform feeding the sink names. The engine creates them; the precheck
// checks them.
func (dag *DAG) Topics(s *Sink) map[string]int {
	topics := map[string]int{}
	add := func(topic string, partitions int) {
		if topic == "" {
			return
		}
		if partitions <= 0 {
			partitions = max(s.Partitions, 1)
		}
		topics[topic] = max(topics[topic], partitions)
	}
	add(s.Topic, 0)
	add(s.DDLTopic, 0)
	for _, pl := range dag.Pipelines {
		if pl.Sink != s {
			continue
		}
		add(pl.DDLTopic(), 0)
		for _, r := range pl.Source.Objects.Tables {
			add(r.Topic, r.Partitions)
		}
		for _, t := range pl.Transforms {
			for _, r := range t.Tables {
				add(r.Topic, r.Partitions)
			}
		}
	}
	return topics
}
