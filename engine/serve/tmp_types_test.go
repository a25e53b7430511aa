package serve_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/generator/sink"
)

func TestTmpTypes(t *testing.T) {
	base, db := start(t)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	p, _ := strconv.Atoi(port)
	s, err := sink.OpenClickHouse(context.Background(), sink.ServerOptions{Host: host, Port: p, Password: password, Protocol: "http"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := []sink.Column{{"tier_id", "UInt8"}, {"tier_name", "String"}, {"promotion_slots", "UInt8"}, {"relegation_slots", "UInt8"}, {"cdc_timestamp", "DateTime"}}
	data := [][]string{{"1", "Bronze", "5", "0", "2026-01-04 00:00:00"}, {"2", "Silver", "5", "10", "2026-01-04 00:00:00"}, {"3", "Gold", "5", "10", "2026-01-04 00:00:00"}, {"4", "Sapphire", "5", "10", "2026-01-04 00:00:00"}}
	for mask := 1; mask < 32; mask++ {
		var cols []sink.Column
		var idx []int
		var defs []string
		for i, c := range all {
			if mask&(1<<i) != 0 {
				cols = append(cols, c)
				idx = append(idx, i)
				defs = append(defs, c.Name+" "+c.Type)
			}
		}
		tb := "t" + strconv.Itoa(mask)
		if err := s.Exec(ctx, "CREATE TABLE "+db+"."+tb+" ("+strings.Join(defs, ", ")+") ENGINE = MergeTree ORDER BY tuple()"); err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for _, d := range data {
			var r []string
			for _, i := range idx {
				r = append(r, d[i])
			}
			rows = append(rows, r)
		}
		if err := s.Insert(ctx, "`"+db+"`.`"+tb+"`", cols, rows); err != nil {
			t.Logf("%v: %v", cols, err)
		}
	}
}
