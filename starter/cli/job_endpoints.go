package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// defaultPrimaryPort is the announced port when the job's announce has none (Aurora's).
const defaultPrimaryPort = "http"

type jobEndpointsOptions struct {
	writeJSON bool
}

func newJobEndpointsCommand(a *app) *cobra.Command {
	var o jobEndpointsOptions
	cmd := &cobra.Command{
		Use:   "endpoints KEY",
		Short: "Show the endpoints of a job's RUNNING instances, as ServerSet members",
		Example: `  borealis job endpoints devcluster/www-data/prod/hello
  borealis job endpoints devcluster/www-data/prod/hello --write-json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobEndpoints(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print ServerSet member JSON")
	return cmd
}

// endpoint is a host and port, as a ServerSet member names them.
type endpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// serverSetMember is one RUNNING instance as Aurora's announcer registers it.
type serverSetMember struct {
	ServiceEndpoint     *endpoint           `json:"serviceEndpoint,omitempty"`
	AdditionalEndpoints map[string]endpoint `json:"additionalEndpoints"`
	Shard               int                 `json:"shard"`
	Status              string              `json:"status"`
}

func runJobEndpoints(ctx context.Context, a *app, o jobEndpointsOptions, keyArg string) error {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	snap, err := tc.snapshot(ctx, job.Key.String(), snapshotOptions{})
	if err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(snap.key), o.writeJSON)
	members := serverSet(snap)
	if o.writeJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(members)
	}
	for _, m := range members {
		primary := "-"
		if m.ServiceEndpoint != nil {
			primary = fmt.Sprintf("%s:%d", m.ServiceEndpoint.Host, m.ServiceEndpoint.Port)
		}
		names := make([]string, 0, len(m.AdditionalEndpoints))
		for n := range m.AdditionalEndpoints {
			names = append(names, n)
		}
		slices.Sort(names)
		extra := make([]string, len(names))
		for i, n := range names {
			e := m.AdditionalEndpoints[n]
			extra[i] = fmt.Sprintf("%s=%s:%d", n, e.Host, e.Port)
		}
		fmt.Fprintf(a.out, "%d\t%s\t%s\n", m.Shard, primary, strings.Join(extra, " "))
	}
	return nil
}

// serverSet lists the RUNNING instances as ServerSet members: the primary
// port (announce.primary_port, default http) as the service endpoint, and
// every named port and every alias of the announce portmap as an
// additional endpoint.
func serverSet(snap *jobSnapshot) []serverSetMember {
	members := []serverSetMember{}
	for _, s := range snap.instances {
		t := s.Active
		if t == nil || t.Status != workflows.StatusRunning {
			continue
		}
		primary := defaultPrimaryPort
		var portmap map[string]config.PortTarget
		if cfg, ok := snap.view.Config(s.InstanceID); ok && cfg.Announce != nil {
			if cfg.Announce.PrimaryPort != "" {
				primary = cfg.Announce.PrimaryPort
			}
			portmap, _ = cfg.Announce.ResolvedPortmap()
		}
		m := serverSetMember{AdditionalEndpoints: map[string]endpoint{}, Shard: s.InstanceID, Status: "ALIVE"}
		for name, port := range t.AssignedPorts {
			m.AdditionalEndpoints[name] = endpoint{Host: t.Host, Port: port}
		}
		// The portmap's aliases, as Aurora's announcer adds them: an alias of
		// an allocated port is that port, of a number that number.
		for alias, target := range portmap {
			if target.Number > 0 {
				m.AdditionalEndpoints[alias] = endpoint{Host: t.Host, Port: target.Number}
			} else if port, ok := t.AssignedPorts[target.Name]; ok {
				m.AdditionalEndpoints[alias] = endpoint{Host: t.Host, Port: port}
			}
		}
		if e, ok := m.AdditionalEndpoints[primary]; ok {
			m.ServiceEndpoint = &e
		}
		members = append(members, m)
	}
	return members
}
