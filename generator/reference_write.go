package generator

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WeekDir names the folder of week k under the output root; week 0 holds the reference data.
func WeekDir(k int) string { return fmt.Sprintf("w%03d", k) }

// writeReference writes w000: the three reference tables as CDC INSERTs, stamped the day before week 1.
func writeReference(o Options, root string) (Manifest, error) {
	dir := filepath.Join(root, WeekDir(0))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("reference data: %w", err)
	}
	at := o.Start.Add(-24 * time.Hour)
	m := Manifest{GeneratorVersion: Version, Seed: o.Seed, Week: 0, Options: optionsDoc(o)}
	write := func(name, header string, rows func(c *csvFile) error) error {
		c, err := createCSV(dir, name, header)
		if err != nil {
			return err
		}
		if err := rows(c); err != nil {
			c.abort()
			return err
		}
		fi, err := c.close()
		if err != nil {
			return err
		}
		m.Files = append(m.Files, fi)
		return nil
	}
	var b []byte
	head := func(op string) []byte { return append(append(b[:0], op...), ',') }
	tail := func(b []byte) []byte { return append(appendDateTime(append(b, ','), at), '\n') }
	err := write("ligue_tiers.csv", HeaderTiers, func(c *csvFile) error {
		for _, t := range Tiers() {
			b = head(OpInsert)
			b = appendUint(b, uint64(t.TierID))
			b = appendField(append(b, ','), t.Name)
			b = appendUint(append(b, ','), uint64(t.PromotionSlots))
			b = appendUint(append(b, ','), uint64(t.RelegationSlots))
			if err := c.row(tail(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = write("event_types.csv", HeaderEventTypes, func(c *csvFile) error {
			for _, e := range EventTypes() {
				b = head(OpInsert)
				b = appendUint(b, uint64(e.ID))
				b = appendField(append(b, ','), e.Name)
				b = appendField(append(b, ','), e.Category)
				b = appendField(append(b, ','), e.Description)
				if err := c.row(tail(b)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err == nil {
		err = write("lessons.csv", HeaderLessons, func(c *csvFile) error {
			for _, l := range Lessons() {
				b = head(OpInsert)
				b = appendUint(b, uint64(l.ID))
				b = appendField(append(b, ','), l.Name)
				b = appendField(append(b, ','), l.Language)
				b = appendField(append(b, ','), l.Difficulty)
				b = appendField(append(b, ','), l.Category)
				b = appendUint(append(b, ','), uint64(l.XPReward))
				b = appendUint(append(b, ','), uint64(l.EstimatedMinutes))
				if err := c.row(tail(b)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("reference data: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		return Manifest{}, fmt.Errorf("reference data: %w", err)
	}
	return m, nil
}
