package project

import "fmt"

// checkContract validates a `contract:` config: {enforced: true|false}, on a model that builds a
// relation (an ephemeral model has no columns of its own to check, as in dbt).
func checkContract(file string, raw map[string]any, materialized string) error {
	v, ok := raw["contract"]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: contract must be a mapping like {enforced: true}", file)
	}
	for k, x := range m {
		if k != "enforced" {
			return fmt.Errorf("%s: contract: unknown key %q (dwm knows enforced)", file, k)
		}
		if _, ok := x.(bool); !ok {
			return fmt.Errorf("%s: contract: enforced must be true or false", file)
		}
	}
	if m["enforced"] == true && materialized == "ephemeral" {
		return fmt.Errorf("%s: an ephemeral model cannot have an enforced contract (it builds no relation)", file)
	}
	return nil
}
