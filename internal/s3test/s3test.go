// Package s3test runs a real S3 server for tests: versitygw (a production S3 gateway, installed
// by scripts/test-tool.sh) on a loopback port, with a small SigV4 client that creates buckets and
// writes objects through the S3 API, as real writers do. (Files written into versitygw's folder
// directly keep stale ETags, so tests never do that.)
package s3test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/internal/testtools"
)

// Client writes to an S3 API with Signature Version 4 (unsigned payload): enough to create
// buckets and objects the way real writers do.
type Client struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string
}

// Server is a running versitygw.
type Server struct {
	Client
	cmd *exec.Cmd
	log *bytes.Buffer
}

// Start runs versitygw on a free loopback port over a temporary folder and stops it when the
// test ends. It fails the test when the tool cannot be installed or does not come up.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testtools.Path(t, testtools.Versitygw)
	dir := t.TempDir()
	addr := freeAddr(t)
	s := &Server{Client: Client{Endpoint: "http://" + addr, AccessKey: "dwmtestkey", SecretKey: "dwm-test-secret-0123456789", Region: "us-east-1"},
		log: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "--port", addr, "posix", dir)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %v\n%s", addr, err, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// Stop ends the server; safe to call twice.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// CreateBucket makes a bucket.
func (s *Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if err := s.Client.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
}

// Put writes an object.
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	if err := s.Client.Put(bucket, key, data); err != nil {
		t.Fatal(err)
	}
}

// PutTree uploads every file under dir to bucket, under prefix (keys use slashes).
func (s *Server) PutTree(t testing.TB, dir, bucket, prefix string) int {
	t.Helper()
	n, err := s.Client.PutTree(dir, bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// CreateBucket makes a bucket.
func (c Client) CreateBucket(bucket string) error {
	return c.do(http.MethodPut, "/"+bucket, nil)
}

// Put writes an object.
func (c Client) Put(bucket, key string, data []byte) error {
	return c.do(http.MethodPut, "/"+bucket+"/"+key, bytes.NewReader(data))
}

// PutTree uploads every file under dir to bucket, under prefix (keys use slashes), streaming
// each file.
func (c Client) PutTree(dir, bucket, prefix string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n++
		return c.do(http.MethodPut, "/"+bucket+"/"+strings.TrimPrefix(prefix+"/"+filepath.ToSlash(rel), "/"), f)
	})
	return n, err
}

// do sends one request signed with AWS Signature Version 4 (unsigned payload).
func (c Client) do(method, path string, body io.Reader) error {
	req, err := http.NewRequest(method, c.Endpoint+escapePath(path), body)
	if err != nil {
		return err
	}
	if f, ok := body.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			req.ContentLength = st.Size()
		}
	}
	c.sign(req, time.Now().UTC())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s\n%s", method, path, resp.Status, msg)
	}
	return nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
	}
	return strings.Join(parts, "/")
}

func (c Client) sign(req *http.Request, now time.Time) {
	const payload = "UNSIGNED-PAYLOAD"
	amzDate := now.Format("20060102T150405Z")
	day := now.Format("20060102")
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", payload)
	headers := map[string]string{"host": req.URL.Host, "x-amz-content-sha256": payload, "x-amz-date": amzDate}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, k := range names {
		canonHeaders.WriteString(k + ":" + headers[k] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, canonHeaders.String(), signed, payload}, "\n")
	scope := day + "/" + c.Region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + c.SecretKey)
	for _, part := range []string{day, c.Region, "s3", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", c.AccessKey, scope, signed, sig))
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// Env is the AWS environment that points a process at this server.
func (c Client) Env() []string {
	return []string{"AWS_ENDPOINT_URL=" + c.Endpoint, "AWS_REGION=" + c.Region, "AWS_ACCESS_KEY_ID=" + c.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + c.SecretKey}
}
