package project

import (
	"fmt"
	"path"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// SnapshotMaterialization is the `materialized` value every snapshot node gets.
const SnapshotMaterialization = "snapshot"

var snapshotKind = sqlKind{typ: manifest.Snapshot, props: func(b *builder) map[string]propsAt { return b.snapProps },
	roots: func(f *File) []string { return f.SnapshotPaths }}

// snapshots makes a snapshot node of each snapshots/**/*.sql: a SELECT plus config, like a model
// whose materialization is always "snapshot". Names share the namespace of models and seeds,
// since ref finds all three.
func (b *builder) snapshots(ld *loaded, tree *configTree, byName map[string]string) error {
	if ld.snapshotsErr != nil {
		return ld.snapshotsErr
	}
	for _, file := range sortedPaths(ld.snapshots) {
		name := strings.TrimSuffix(path.Base(file), ".sql")
		if prev, dup := byName[name]; dup {
			return fmt.Errorf("%s: snapshot name %q is already used by %s", file, name, prev)
		}
		byName[name] = file
		n, err := b.modelNode(snapshotKind, file, name, ld.snapshots[file].src, ld.snapshots[file].tp, tree)
		if err != nil {
			return err
		}
		if n != nil {
			b.m.Nodes[n.UniqueID] = n
			b.p.Templates[n.UniqueID] = ld.snapshots[file].tp
		}
	}
	for name, pa := range b.snapProps {
		if _, ok := byName[name]; !ok {
			return fmt.Errorf("%s:%d: properties for snapshot %q, but there is no snapshots/**/%s.sql", pa.file, pa.props.Line, name, name)
		}
	}
	return nil
}

// checkKind sets the materialization a node of type t gets by default and refuses a model
// configured as a snapshot or a snapshot configured as anything else.
func checkKind(file string, t manifest.ResourceType, cfg *manifest.Config) error {
	switch {
	case t == manifest.Snapshot && cfg.Materialized != "" && cfg.Materialized != SnapshotMaterialization:
		return fmt.Errorf("%s: a snapshot is always materialized as snapshot, not %q", file, cfg.Materialized)
	case t == manifest.Snapshot:
		cfg.Materialized = SnapshotMaterialization
	case cfg.Materialized == SnapshotMaterialization:
		return fmt.Errorf("%s: materialized snapshot is for files under snapshots/ (snapshot-paths), not models", file)
	case cfg.Materialized == "":
		cfg.Materialized = "view"
	}
	return nil
}
