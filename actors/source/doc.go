// Package source is the actor that reads one topology source and feeds its
// pipelines, within the byte credit the checkpointer returns to it.
//
// The actor is a thin shell around binlogreader.Stream: on each readNext it
// pulls one batch of at most its remaining credit, announces it to the
// checkpointer (BatchSent), hands it to every pipeline (Process), and asks
// for the next. With no credit left it simply stops pulling: the binlog dump
// connection then fills its TCP window and MySQL's dump thread waits, so a
// stalled Kafka never grows Sluice's memory.
//
// Sharp edges: the actor's progress (where to resume reading, the next batch
// id, the credit in flight) lives in a Progress shared across restarts, so a
// restarted reader continues from the last transaction boundary it sent and
// never reuses a sequence number or batch id. A transaction split across
// batches is re-read from its start after a restart: its changes reach Kafka
// twice, which the at-least-once contract allows.
package source
