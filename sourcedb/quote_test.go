package sourcedb

import "testing"

func TestQuoteIdent_Backticks(t *testing.T) {
	if got := Qualified("my`db", "t"); got != "`my``db`.`t`" {
		t.Errorf("Qualified = %s", got)
	}
	if got := QuoteString("it's \\ \x00"); got != `'it\'s \\ \0'` {
		t.Errorf("QuoteString = %s", got)
	}
}
