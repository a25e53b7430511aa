package cli

import (
	"bufio"
	"encoding/json"
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/spf13/cobra"
)

func newLsCmd(s *Streams, g *globalOptions) *cobra.Command {
	var output string
	var types []string
	var noPartialParse bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the selected nodes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "name", "path", "json", "selector", "pii":
			default:
				return usageErr(fmt.Errorf("--output must be name, path, selector, json or pii, not %q", output))
			}
			var rts []manifest.ResourceType
			for _, t := range types {
				switch manifest.ResourceType(t) {
				case manifest.Model, manifest.Seed, manifest.Snapshot, manifest.Source, manifest.Test, manifest.UnitTest:
					rts = append(rts, manifest.ResourceType(t))
				default:
					return usageErr(fmt.Errorf("--resource-type must be model, seed, source, test or unit_test, not %q", t))
				}
			}
			// The personal-data tags read the templates, so only the outputs without them can
			// come from the listing cache.
			cached := output != "pii" && output != "json"
			sess, err := g.openListing(cached && !noPartialParse)
			if err != nil {
				return err
			}
			defer sess.Close() // waits for the listing cache to be written
			ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), rts, "")
			if err != nil {
				return usageErr(err)
			}
			warnSelection(s, warns)
			// The personal-data tags walk the whole graph: only the outputs that show them pay.
			var tags *pii.Tags
			if output == "pii" || output == "json" {
				if tags, err = sess.PII(); err != nil {
					return usageErr(err)
				}
			}
			// One write per line was 30,000 system calls for a 10,000-model project.
			out := bufio.NewWriterSize(s.Out, 64<<10)
			defer out.Flush()
			for _, id := range ids {
				n := sess.Node(id)
				switch output {
				case "name":
					fmt.Fprintln(out, n.Name)
				case "path":
					fmt.Fprintln(out, n.Path)
				case "selector":
					fmt.Fprintln(out, fqnString(n))
				case "pii":
					if line := piiLine(tags, n.Name); line != "" {
						fmt.Fprintln(out, line)
					}
				case "json":
					b, _ := json.Marshal(map[string]any{"unique_id": n.UniqueID, "name": n.Name, "resource_type": n.ResourceType,
						"original_file_path": n.Path, "depends_on": n.DependsOn, "config": n.Config, "tags": n.Config.Tags, "alias": n.Alias, "database": n.Database,
						"pii_columns": tags.Names(n.Name)})
					fmt.Fprintln(out, string(b))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "selector", "name, path, selector, json, or pii (each model's personal-data columns)")
	cmd.Flags().StringSliceVar(&types, "resource-type", nil, "only these types: model, seed, source, test, unit_test")
	cmd.Flags().BoolVar(&noPartialParse, "no-partial-parse", false, "parse every file instead of reading an unchanged project from target/cache/listing")
	return cmd
}

func fqnString(n *manifest.Node) string {
	if n.ResourceType == manifest.Source {
		return "source:" + n.FQN[0] + "." + n.FQN[1] + "." + n.FQN[2]
	}
	out := ""
	for i, p := range n.FQN {
		if i > 0 {
			out += "."
		}
		out += p
	}
	return out
}
