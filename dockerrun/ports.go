package dockerrun

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// portReservation is how long a picked port stays reserved in this process,
// so concurrent Starts do not pick the same port before either creates its
// container; once the container exists its label holds the port (portsInUse)
// and the reservation is released.
const portReservation = 2 * time.Minute

// portAllocator picks free host ports from a range.
type portAllocator struct {
	host     string
	min, max int

	mu       sync.Mutex
	reserved map[int]time.Time // port -> reservation end
}

func newPortAllocator(host string, r PortRange) *portAllocator {
	return &portAllocator{host: host, min: r.Min, max: r.Max, reserved: map[int]time.Time{}}
}

// allocate picks one free port per name. A port is free when it is not in
// exclude, not reserved by a recent allocation, and can be listened on at
// the host address right now. The scan starts at a random place in the
// range so that several workers on one host rarely race for a port.
func (a *portAllocator) allocate(names []string, exclude map[int]bool) (map[string]int, error) {
	ports := make(map[string]int, len(names))
	if len(names) == 0 {
		return ports, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for p, until := range a.reserved {
		if now.After(until) {
			delete(a.reserved, p)
		}
	}
	size := a.max - a.min + 1
	next := rand.IntN(size)
	for _, name := range names {
		found := false
		for i := 0; i < size && !found; i++ {
			p := a.min + (next+i)%size
			if exclude[p] || !a.reserved[p].IsZero() || !a.free(p) {
				continue
			}
			ports[name] = p
			a.reserved[p] = now.Add(portReservation)
			next = (next + i + 1) % size
			found = true
		}
		if !found {
			return nil, fmt.Errorf("no free port for %q in %d-%d on %s", name, a.min, a.max, a.host)
		}
	}
	return ports, nil
}

// release ends the reservation of ports, once a container holds them.
func (a *portAllocator) release(ports map[string]int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ports {
		delete(a.reserved, p)
	}
}

// free probes whether port p can be listened on at the host address.
func (a *portAllocator) free(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(a.host, strconv.Itoa(p)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// portsInUse returns the host ports Docker has published or promised:
// the published ports of every container, and the ports of every Borealis
// container that is not stopped, even one created but not started (it binds
// only when it starts). A stopped container (kept for its logs) holds none.
func (d *Docker) portsInUse(ctx context.Context) (map[int]bool, error) {
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true})
	if err != nil {
		return nil, wrap("start", "", err, "list containers for ports in use")
	}
	used := map[int]bool{}
	for _, c := range list {
		for _, p := range c.Ports {
			if p.PublicPort != 0 {
				used[int(p.PublicPort)] = true
			}
		}
		stopped := c.State == string(StateExited) || c.State == string(StateDead)
		if v, ok := c.Labels[LabelPorts]; ok && c.Labels[LabelTask] != "" && !stopped {
			for _, p := range parsePorts(v) {
				used[p] = true
			}
		}
	}
	return used, nil
}
