package project

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTargetS3(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envsecret",
		"LAKE_SECRET": "yamlsecret"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := &File{Name: "p", Targets: map[string]Target{
		"dflt": {},
		"own":  {S3: S3{Endpoint: "https://lake.internal", SecretAccessKey: `{{ env_var "LAKE_SECRET" }}`}},
		"srv":  {S3: S3{Credentials: "server"}},
		"bad":  {S3: S3{Credentials: "server", AccessKeyID: "x"}},
		"typo": {S3: S3{Credentials: "iam"}},
		"gone": {S3: S3{AccessKeyID: `{{ env_var "NOT_SET" }}`}},
	}}
	_, tg, err := f.ResolveTarget("dflt", getenv)
	if err != nil || tg.S3 != (S3{Endpoint: "http://127.0.0.1:9000", AccessKeyID: "AKIAENV", SecretAccessKey: "envsecret"}) {
		t.Errorf("defaults from the environment: %+v, %v", tg.S3, err)
	}
	_, tg, err = f.ResolveTarget("own", getenv)
	if err != nil || tg.S3.Endpoint != "https://lake.internal" || tg.S3.SecretAccessKey != "yamlsecret" || tg.S3.AccessKeyID != "AKIAENV" {
		t.Errorf("block over environment: %+v, %v", tg.S3, err)
	}
	_, tg, err = f.ResolveTarget("srv", getenv)
	if err != nil || tg.S3.AccessKeyID != "" || tg.S3.SecretAccessKey != "" || tg.S3.Endpoint == "" {
		t.Errorf("credentials: server takes no keys from the environment: %+v, %v", tg.S3, err)
	}
	for name, want := range map[string]string{"bad": "sends no keys", "typo": `"iam"`, "gone": "NOT_SET"} {
		if _, _, err := f.ResolveTarget(name, getenv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want it to mention %s", name, err, want)
		}
	}
	// The keys never serialise (manifest.json, dwm debug --log-format json).
	_, tg, _ = f.ResolveTarget("own", getenv)
	data, _ := json.Marshal(tg)
	if strings.Contains(string(data), "secret") || strings.Contains(string(data), "AKIA") || !strings.Contains(string(data), "lake.internal") {
		t.Errorf("serialised target: %s", data)
	}
}
