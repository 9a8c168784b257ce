package httpapi

import (
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/procfs"
)

// nodeProcessCollector exports the process_* metrics that the earlier service's Prometheus
// client (prom-client's default metrics) had and Go's process collector has not, so that
// dashboards built on them go on working: user and system CPU time apart (prom-client's
// processCpuTotal, from the same getrusage counters as Node's process.cpuUsage) and the data
// segment as "heap" (its osMemoryHeapLinux: VmData of /proc/self/status). The other process_*
// names (CPU total, resident and virtual memory, file descriptors, start time) come from Go's
// collector with the same meaning. Both count this process only, as the earlier service's
// counted Node and not its ffmpeg children: the decode workers' CPU is not in them.
type nodeProcessCollector struct {
	cpuUser, cpuSystem, heap *prometheus.Desc
}

func newNodeProcessCollector() *nodeProcessCollector {
	return &nodeProcessCollector{
		cpuUser:   prometheus.NewDesc("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", nil, nil),
		cpuSystem: prometheus.NewDesc("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", nil, nil),
		heap:      prometheus.NewDesc("process_heap_bytes", "Process heap size (data segment, VmData) in bytes.", nil, nil),
	}
}

func (c *nodeProcessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cpuUser
	ch <- c.cpuSystem
	ch <- c.heap
}

// Collect leaves out what it cannot read (no /proc: not Linux) rather than report zero.
func (c *nodeProcessCollector) Collect(ch chan<- prometheus.Metric) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		ch <- prometheus.MustNewConstMetric(c.cpuUser, prometheus.CounterValue, seconds(ru.Utime))
		ch <- prometheus.MustNewConstMetric(c.cpuSystem, prometheus.CounterValue, seconds(ru.Stime))
	}
	if p, err := procfs.Self(); err == nil {
		if st, err := p.NewStatus(); err == nil {
			ch <- prometheus.MustNewConstMetric(c.heap, prometheus.GaugeValue, float64(st.VmData))
		}
	}
}

func seconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}
