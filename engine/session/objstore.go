package session

import (
	"github.com/dwmhq/dwm/engine/objstore"
)

// ObjectStore is the target's object storage (files: s3://...), from its s3: block and the AWS
// environment variables. The error names what is missing; it matters only to models that read
// objects.
func (s *Session) ObjectStore() (*objstore.Store, error) {
	c := s.Project.Target.S3
	return objstore.New(objstore.Config{Target: s.Project.TargetName, Endpoint: c.Endpoint, Region: c.Region,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		ServerCredentials: c.Credentials == "server"})
}
