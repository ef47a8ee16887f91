package precheck

import "testing"

func TestCheckCharsets(t *testing.T) {
	src := testSource()
	items := checkCharsets(src, []columnCharset{
		{"shop", "a", "x", "gbk"}, {"shop", "a", "y", "swe7"}, {"shop", "a", "z", "dec8"},
		{"shop", "b", "x", "big5"},
		{"other", "c", "x", "keybcs2"}, // not selected
	})
	if len(items) != 1 {
		t.Fatalf("items %+v; want one, for shop.a", items)
	}
	wantItem(t, items[0], Fail, "y (swe7), z (dec8)", "CONVERT TO CHARACTER SET utf8mb4")
	if items[0].Name != "source.shop-db.charset.shop.a" {
		t.Errorf("name %s", items[0].Name)
	}
	wantItem(t, checkCharsets(src, []columnCharset{{"shop", "b", "x", "ucs2"}})[0], Pass, "every text column", "")
}
