package generator

import (
	"bytes"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

func sameTree(t *testing.T, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d files vs %d", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs", name)
		}
	}
}

// TestDeterministicAcrossCores runs the same options with one and two cores (and different worker
// counts) and expects byte-identical trees.
func TestDeterministicAcrossCores(t *testing.T) {
	o1 := testOptions(t)
	o1.Weeks = 2
	o1.InitialUsers = 2500 // more than two chunks, so workers really interleave
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	generate(t, o1)

	runtime.GOMAXPROCS(2)
	o2 := o1
	o2.Out, o2.Workers = t.TempDir(), 3
	generate(t, o2)
	sameTree(t, readTree(t, o1.Out), readTree(t, o2.Out))
}

// TestSeedChangesData guards the determinism test against a generator that ignores its randomness.
func TestSeedChangesData(t *testing.T) {
	o1 := testOptions(t)
	o1.Weeks = 1
	o2 := o1
	o2.Out, o2.Seed = t.TempDir(), o1.Seed+1
	generate(t, o1)
	generate(t, o2)
	a, b := readTree(t, o1.Out), readTree(t, o2.Out)
	if bytes.Equal(a["w001/event_stream.csv"], b["w001/event_stream.csv"]) {
		t.Fatal("different seeds gave the same clickstream")
	}
}

// TestSingleWeekMatchesFullRun: --week K writes only w000 and wK, byte-identical to a full run's.
func TestSingleWeekMatchesFullRun(t *testing.T) {
	full := testOptions(t)
	generate(t, full)
	one := full
	one.Out, one.Week = t.TempDir(), 3
	generate(t, one)
	got := readTree(t, one.Out)
	want := map[string][]byte{}
	for name, b := range readTree(t, full.Out) {
		if dir := filepath.Dir(name); dir == WeekDir(0) || dir == WeekDir(3) {
			want[name] = b
		}
	}
	names := func(m map[string][]byte) []string {
		var s []string
		for n := range m {
			s = append(s, n)
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(names(got), names(want)) {
		t.Fatalf("single-week run wrote %v, want %v", names(got), names(want))
	}
	sameTree(t, got, want)
}

// TestFaultsDoNotChangeTruth: turning faults off removes them and leaves the clean data's truth alone.
func TestFaultsDoNotChangeTruth(t *testing.T) {
	on := testOptions(t)
	on.Weeks = 2
	off := on
	off.Out = t.TempDir()
	off.DupRate, off.MalformedRate, off.UnknownTypeRate, off.LateRate = 0, 0, 0, 0
	a, b := generate(t, on), generate(t, off)
	for i := range a.Weeks {
		ta, tb := *a.Weeks[i].Truth, *b.Weeks[i].Truth
		if *b.Weeks[i].Faults != (Faults{}) {
			t.Errorf("week %d: faults off but manifest has %+v", i+1, *b.Weeks[i].Faults)
		}
		if ta.TotalXP != tb.TotalXP || ta.EventsGenerated != tb.EventsGenerated || ta.Promoted != tb.Promoted {
			t.Errorf("week %d: truth changed with faults: %+v vs %+v", i+1, ta, tb)
		}
		if tb.EventsDelivered != tb.EventsGenerated {
			t.Errorf("week %d: without faults delivered %d != generated %d", i+1, tb.EventsDelivered, tb.EventsGenerated)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]func(*Options){
		"zero weeks":       func(o *Options) { o.Weeks = 0 },
		"week past weeks":  func(o *Options) { o.Week = o.Weeks + 1 },
		"negative week":    func(o *Options) { o.Week = -1 },
		"tuesday start":    func(o *Options) { o.Start = o.Start.AddDate(0, 0, 1) },
		"start not at 0h":  func(o *Options) { o.Start = o.Start.Add(time.Hour) },
		"negative rate":    func(o *Options) { o.DupRate = -0.1 },
		"rate above one":   func(o *Options) { o.LateRate = 1.5 },
		"rates sum > 1":    func(o *Options) { o.DupRate, o.LateRate = 0.6, 0.6 },
		"nobody":           func(o *Options) { o.InitialUsers, o.WeeklySignups = 0, 0 },
		"negative signups": func(o *Options) { o.WeeklySignups = -1 },
		"no output":        func(o *Options) { o.Out = "" },
	}
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for name, mutate := range cases {
		o := DefaultOptions()
		mutate(&o)
		if err := o.Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: got %v, want ErrInvalidOptions", name, err)
		}
	}
}
