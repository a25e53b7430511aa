// Command s3put uploads a folder to an S3 API (creating the bucket if needed), with the
// credentials of the AWS environment variables: what scripts/bench-server.sh uses to fill
// versitygw through the S3 API rather than its folder (whose ETags would go stale).
//
//	AWS_ENDPOINT_URL=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... go run ./internal/s3test/s3put BUCKET PREFIX DIR
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/dwmhq/dwm/internal/s3test"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: s3put BUCKET PREFIX DIR")
		os.Exit(2)
	}
	c := s3test.Client{Endpoint: os.Getenv("AWS_ENDPOINT_URL"), AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), Region: "us-east-1"}
	if err := c.CreateBucket(os.Args[1]); err != nil && !strings.Contains(err.Error(), "409") {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n, err := c.PutTree(os.Args[3], os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("s3put: %d objects to s3://%s/%s\n", n, os.Args[1], os.Args[2])
}
