package config

// validateProcessResources checks a process's resources, which are parsed
// and kept but not acted on (Thermos reserves them): only that they are
// numbers a job's JSON can hold and within the bounds of a task's, so that
// nothing that reads them later trips on them. Zero is allowed, as a
// process may leave a resource out.
func validateProcessResources(rc checker, r *Resources) {
	switch cc := rc.at("cpu"); {
	case !cc.finite(r.CPU):
	case r.CPU < 0:
		cc.add("must be >= 0, got %v", r.CPU)
	case r.CPU > MaxCPU:
		cc.add("must be at most %d, got %v", MaxCPU, r.CPU)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"ram", r.RAM}, {"disk", r.Disk}} {
		switch {
		case f.v < 0:
			rc.at(f.name).add("must be >= 0, got %d", f.v)
		case f.v > MaxBytes:
			rc.at(f.name).add("must be at most 1 PiB (%d bytes), got %d", MaxBytes, f.v)
		}
	}
	rc.at("gpu").between(r.GPU, 0, MaxGPU)
}
