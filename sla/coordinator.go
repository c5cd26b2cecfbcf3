package sla

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// CoordinatorTimeout bounds one request to a coordinator.
const CoordinatorTimeout = 10 * time.Second

// maxAnswer bounds the coordinator answer read, and quoted in reasons.
const (
	maxAnswer = 64 << 10
	maxQuoted = 200
)

// coordinatorRequest is the body POSTed to a coordinator, in Aurora's shape:
// the task under "taskConfig" and its instance key under "task".
type coordinatorRequest struct {
	TaskConfig scheduledTask `json:"taskConfig"`
	Task       string        `json:"task"`
}

// scheduledTask is the task as Aurora's ScheduledTask names its parts.
type scheduledTask struct {
	AssignedTask assignedTask `json:"assignedTask"`
	Status       string       `json:"status"`
}

type assignedTask struct {
	TaskID        string         `json:"taskId"`
	SlaveHost     string         `json:"slaveHost"`
	AssignedPorts map[string]int `json:"assignedPorts"`
	InstanceID    int            `json:"instanceId"`
	Task          config.Job     `json:"task"`
}

// askCoordinator POSTs the task to the policy's coordinator, with
// ?task=CLUSTER/ROLE/ENV/NAME/INSTANCE, and reads the boolean at its status
// key. Any failure (unreachable, not 200, not JSON, key missing) is a no,
// with the reason; redirects are not followed.
func askCoordinator(ctx context.Context, client *http.Client, p config.CoordinatorSlaPolicy, key string, t workflows.TaskInfo, job config.Job) workflows.SLAVerdict {
	body, err := json.Marshal(coordinatorRequest{
		TaskConfig: scheduledTask{
			AssignedTask: assignedTask{TaskID: t.TaskID, SlaveHost: t.Host, AssignedPorts: t.AssignedPorts, InstanceID: t.InstanceID, Task: job},
			Status:       string(t.Status),
		},
		Task: key,
	})
	if err != nil {
		return verdict(false, "encode the coordinator request: "+err.Error())
	}
	u, err := url.Parse(p.CoordinatorURL)
	if err != nil {
		return verdict(false, fmt.Sprintf("coordinator_url %q: %v", p.CoordinatorURL, err))
	}
	q := u.Query()
	q.Set("task", key)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, CoordinatorTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return verdict(false, fmt.Sprintf("coordinator %s: %v", p.CoordinatorURL, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return verdict(false, fmt.Sprintf("coordinator %s: %v", p.CoordinatorURL, err))
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return verdict(false, fmt.Sprintf("coordinator %s: read the answer: %v", p.CoordinatorURL, err))
	}
	quoted := quote(answer)
	if resp.StatusCode != http.StatusOK {
		return verdict(false, fmt.Sprintf("coordinator %s answered HTTP %d %s", p.CoordinatorURL, resp.StatusCode, quoted))
	}
	var fields map[string]any
	if err := json.Unmarshal(answer, &fields); err != nil {
		return verdict(false, fmt.Sprintf("coordinator %s answered %s, not a JSON object", p.CoordinatorURL, quoted))
	}
	statusKey := p.StatusKey
	if statusKey == "" {
		statusKey = "drain"
	}
	ok, isBool := fields[statusKey].(bool)
	if !isBool {
		return verdict(false, fmt.Sprintf("coordinator %s answered %s, without a boolean %q", p.CoordinatorURL, quoted, statusKey))
	}
	return verdict(ok, fmt.Sprintf("coordinator %s answered %s", p.CoordinatorURL, quoted))
}

// quote is a coordinator's answer for a reason: one line, bounded.
func quote(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "..."
	}
	return s
}

// NewHTTPClient is the client coordinators are asked with: it never
// follows a redirect (a 3xx is a no).
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       CoordinatorTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
