package precheck

import (
	"fmt"
	"strings"

	"github.com/sluicecdc/sluice/internal/charset"
	"github.com/sluicecdc/sluice/topology"
)

// columnCharset is a text column and its character set.
type columnCharset struct {
	Schema, Table, Column, Charset string
}

// checkCharsets fails each selected table with text columns in a charset
// Sluice cannot convert to UTF-8 (internal/charset): the JSON and Avro
// formats would write their bytes as UTF-8, invalid sequences as U+FFFD.
func checkCharsets(src *topology.Source, cols []columnCharset) []Item {
	n := itemNamer("source." + src.Name)
	var items []Item
	var bad []string // "col (cs)" of the current table
	flush := func(c columnCharset) {
		name := c.Schema + "." + c.Table
		items = append(items, Item{Name: n("charset." + name), Status: Fail,
			Detail: fmt.Sprintf("table %s has text in character sets Sluice cannot convert to UTF-8: %s; the JSON and Avro formats would write those bytes as UTF-8, anything invalid as U+FFFD (DTS Avro carries the raw bytes and its charset, so ignore this item for it)",
				name, strings.Join(bad, ", ")),
			Fix: fmt.Sprintf("ALTER TABLE `%s`.`%s` CONVERT TO CHARACTER SET utf8mb4 (or MODIFY the columns), or ignore this item if the text is ASCII", c.Schema, c.Table)})
		bad = bad[:0]
	}
	for i, c := range cols {
		if _, ok := src.Objects.Match(c.Schema, c.Table); ok && !charset.Native(c.Charset) && charset.Lookup(c.Charset) == nil {
			bad = append(bad, c.Column+" ("+c.Charset+")")
		}
		last := i == len(cols)-1 || cols[i+1].Schema != c.Schema || cols[i+1].Table != c.Table
		if last && len(bad) > 0 {
			flush(c)
		}
	}
	if len(items) == 0 {
		return []Item{{Name: n("charsets"), Status: Pass, Detail: "every text column of the selected tables is in a character set Sluice converts to UTF-8"}}
	}
	return items
}
