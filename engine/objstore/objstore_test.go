package objstore

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	l, err := Parse("s3://lake/cdc/*/users.csv")
	if err != nil || l.Bucket != "lake" || l.Key != "cdc/*/users.csv" || l.String() != "s3://lake/cdc/*/users.csv" {
		t.Errorf("Parse = %+v, %v", l, err)
	}
	for _, bad := range []string{"data/cdc", "s3://", "s3://lake", "s3://lake/", "s3:///key", "s3://la*/k"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestNewNamesWhatIsMissing(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{AccessKeyID: "k", SecretAccessKey: "s"}, "AWS_ENDPOINT_URL"},
		{Config{Endpoint: "http://127.0.0.1:9000", SecretAccessKey: "s"}, "AWS_ACCESS_KEY_ID"},
		{Config{Endpoint: "http://127.0.0.1:9000", AccessKeyID: "k"}, "AWS_SECRET_ACCESS_KEY"},
		{Config{Endpoint: "ftp://127.0.0.1", AccessKeyID: "k", SecretAccessKey: "s"}, "http(s)://HOST"},
		{Config{Endpoint: "http://user:pw@127.0.0.1", AccessKeyID: "k", SecretAccessKey: "s"}, "no path, query or user"},
	} {
		_, err := New(c.cfg)
		if !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want it to name %s", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("the error shows the endpoint's user info: %v", err)
		}
	}
	s, err := New(Config{Region: "eu-west-3", ServerCredentials: true})
	if err != nil || s.Endpoint() != "https://s3.eu-west-3.amazonaws.com" {
		t.Errorf("region endpoint = %v, %v", s, err)
	}
}

func TestTableFunction(t *testing.T) {
	l := Location{Bucket: "lake", Key: "cdc/w 1/users.csv"}
	s, err := New(Config{Endpoint: "http://127.0.0.1:9000/", AccessKeyID: "AKIAX", SecretAccessKey: "s3cr3t", SessionToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	got := s.TableFunction(l, "CSVWithNames", "`a` String", "")
	want := "s3('http://127.0.0.1:9000/lake/cdc/w%201/users.csv', '<dwm secret: s3.access_key_id>', '<dwm secret: s3.secret_access_key>', " +
		"'<dwm secret: s3.session_token>', 'CSVWithNames', '`a` String')"
	if got != want {
		t.Errorf("TableFunction =\n%s\nwant\n%s", got, want)
	}
	if got := s.TableFunction(l, "One", "", "main"); !strings.HasPrefix(got, "s3Cluster('main', 'http://") || strings.Contains(got, "s3cr3t") {
		t.Errorf("cluster: %s", got)
	}
	sec := s.Secrets()
	if sec["'<dwm secret: s3.secret_access_key>'"] != "'s3cr3t'" || sec["'<dwm secret: s3.access_key_id>'"] != "'AKIAX'" || len(sec) != 3 {
		t.Errorf("Secrets = %v", sec)
	}
	server, _ := New(Config{Endpoint: "http://127.0.0.1:9000", ServerCredentials: true})
	if got := server.TableFunction(l, "One", "", ""); got != "s3('http://127.0.0.1:9000/lake/cdc/w%201/users.csv', 'One')" || server.Secrets() != nil {
		t.Errorf("server credentials: %s, %v", got, server.Secrets())
	}
}
