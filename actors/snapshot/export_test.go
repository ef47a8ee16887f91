package snapshot

// Exported for the external tests (package snapshot_test) that cross-check
// snapshot reads with the binlog reader: binlogreader depends on the schema
// history, which depends on this package, so those tests cannot live inside
// it.
var (
	BedSource  = bedSource
	DialT      = dial
	NewDB      = newDB
	DescribeT  = describe
	PlanT      = plan
	ReadAllT   = readAll
	KeyOf      = keyOf
	QuoteIdent = quoteIdent
)

// AllTypesDDL is allTypesDDL.
const AllTypesDDL = allTypesDDL
