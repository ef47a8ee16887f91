// Package binlog is the actor that reads one source's binlog and feeds its
// pipelines, within the byte credit the checkpointer grants it (actors/flow).
// The plain code it runs is binlogreader.Stream, in binlog/binlogreader.
//
// On start the actor asks the checkpointer where to resume (the last mark
// every sink acknowledged) and opens the stream there. On each readNext it
// pulls one batch of at most its remaining credit, announces it to the
// checkpointer (BatchSent), hands it to every pipeline (pipeline.Process),
// and asks for the next. With no credit left it simply stops pulling: the
// binlog dump connection then fills its TCP window and MySQL's dump thread
// waits, so a stalled Kafka never grows Sluice's memory.
//
// It keeps no state across restarts: a failure restarts the source's whole
// recovery unit (actors/source), and the next reader resumes from the durable
// mark. A transaction split across batches is then re-read from its start,
// with the same sequence numbers: its changes reach Kafka twice, which the
// at-least-once contract allows.
package binlog
