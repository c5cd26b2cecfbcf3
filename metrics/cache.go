package metrics

import (
	"context"
	"sync"
	"time"
)

// scrapeCache keeps a collector's last samples for a while: its listing
// costs a call to Docker or Temporal, and scrapes come every few seconds.
type scrapeCache struct {
	now    func() time.Time // time.Now unless a test sets it
	mu     sync.Mutex
	at     time.Time
	cached []Sample
}

// get returns the samples cached less than ttl ago, else those list makes
// within timeout (list is given the time of the listing). A failed listing
// answers down, cached like samples, unless ctx ended: the scraper leaving
// says nothing of the source.
func (c *scrapeCache) get(ctx context.Context, ttl, timeout time.Duration, down []Sample,
	list func(ctx context.Context, now time.Time) ([]Sample, error)) []Sample {
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now().Sub(c.at) < ttl {
		return c.cached
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	samples, err := list(lctx, now())
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			c.at, c.cached = now(), down
		}
		return down
	}
	c.at, c.cached = now(), samples
	return samples
}
