// Command loadgen drives a gateway that speaks the Zeebe gateway protocol (Tributary, or Zeebe itself) with the
// official Go client, and prints what it measured as one JSON object on stdout, for bench/run.mjs to read.
//
// It is written in Go because the load generator shares this 2-core machine with the broker: a Node client built on
// @grpc/grpc-js needs a whole core for about 1,400 calls per second, so it would measure itself, not the broker.
//
//	loadgen deploy -gateway HOST:PORT FILE.bpmn...
//	loadgen run    -gateway HOST:PORT -process ID -job-type TYPE [-rate N] [-inflight N] [-warmup D] [-duration D] [-worker poll|stream]
//	loadgen fill   -gateway HOST:PORT -process ID -count N [-inflight N]
//	loadgen probe  -gateway HOST:PORT -job-type TYPE
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/camunda/zeebe/clients/go/v8/pkg/entities"
	"github.com/camunda/zeebe/clients/go/v8/pkg/worker"
	"github.com/camunda/zeebe/clients/go/v8/pkg/zbc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: loadgen deploy|run|fill|probe [flags]"))
	}
	commands := map[string]func([]string) (any, error){"deploy": deploy, "run": run, "fill": fill, "probe": probe}
	command, known := commands[os.Args[1]]
	if !known {
		fail(fmt.Errorf("unknown command %q: expected deploy, run, fill or probe", os.Args[1]))
	}
	result, err := command(os.Args[2:])
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}

func connect(gateway string) (zbc.Client, error) {
	return zbc.NewClient(&zbc.ClientConfig{GatewayAddress: gateway, UsePlaintextConnection: true})
}

func deploy(args []string) (any, error) {
	flags := flag.NewFlagSet("deploy", flag.ExitOnError)
	gateway := flags.String("gateway", "127.0.0.1:26500", "gateway address")
	_ = flags.Parse(args)
	client, err := connect(*gateway)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	command := client.NewDeployResourceCommand()
	for _, file := range flags.Args() {
		command = command.AddResourceFile(file)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	response, err := command.Send(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploy %v: %w", flags.Args(), err)
	}
	return map[string]any{"deploymentKey": response.Key, "resources": len(response.Deployments)}, nil
}

// outcome is one instance: when it was due to start (not when it did, so that a generator held back by its
// in-flight bound still charges the wait to the latency, instead of hiding it: coordinated omission) and when its
// CreateProcessInstanceWithResult answered.
type outcome struct {
	scheduled time.Time
	done      time.Time
	code      codes.Code
}

// run creates instances of a one-service-task process with CreateProcessInstanceWithResult while a job worker
// completes their jobs. The call answers only once the instance has completed, so its round trip is the instance's
// latency from create to completion, measured with no extra record, exporter or clock shared between processes.
func run(args []string) (any, error) {
	flags := flag.NewFlagSet("run", flag.ExitOnError)
	gateway := flags.String("gateway", "127.0.0.1:26500", "gateway address")
	processID := flags.String("process", "bench-one-task", "BPMN process id to create instances of")
	jobType := flags.String("job-type", "bench-work", "job type the worker completes")
	rate := flags.Float64("rate", 0, "instances per second to start; 0 starts them as fast as the in-flight bound allows")
	inflightMax := flags.Int("inflight", 512, "most instances started and not yet completed")
	warmup := flags.Duration("warmup", 2*time.Second, "load before the measurement window, not measured")
	duration := flags.Duration("duration", 5*time.Second, "measurement window")
	maxJobsActive := flags.Int("max-jobs-active", 1024, "jobs the worker holds at most")
	concurrency := flags.Int("concurrency", 256, "jobs the worker completes at once (each handler waits for its CompleteJob answer)")
	timeline := flags.Bool("timeline", false, "add per-second buckets of the window (instances due, p99, max, errors) to the report: where the tail comes from")
	workerMode := flags.String("worker", "poll", "how the worker gets its jobs: poll (ActivateJobs long polling, the 8.3 client's worker) or stream (StreamActivatedJobs, job push)")
	_ = flags.Parse(args)

	client, err := connect(*gateway)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	var jobsCompleted, jobErrors counter
	onDone := func(err error) {
		if err != nil {
			jobErrors.add()
		} else {
			jobsCompleted.add()
		}
	}
	switch *workerMode {
	case "stream":
		stop, err := streamWorker(context.Background(), *gateway, client, *jobType, *concurrency, onDone)
		if err != nil {
			return nil, err
		}
		defer stop()
	case "poll":
		// The worker is never closed: the process exits after the report, and Close would wait for the pending
		// ActivateJobs call. Every instance this run started has answered by then; a job activated for one whose call
		// timed out goes back to the broker after the 30 s job timeout instead of Zeebe's default 5 minutes.
		client.NewJobWorker().JobType(*jobType).Handler(func(jobClient worker.JobClient, job entities.Job) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := jobClient.NewCompleteJobCommand().JobKey(job.Key).Send(ctx)
			onDone(err)
		}).MaxJobsActive(*maxJobsActive).Concurrency(*concurrency).Timeout(30 * time.Second).RequestTimeout(time.Second).PollInterval(50 * time.Millisecond).Name("loadgen").Open()
	default:
		return nil, fmt.Errorf("unknown -worker %q: expected poll or stream", *workerMode)
	}

	cpuBefore := cpuSeconds()
	start := time.Now()
	outcomes := generate(start, *rate, *inflightMax, *warmup+*duration, func(ctx context.Context) error {
		_, err := client.NewCreateInstanceCommand().BPMNProcessId(*processID).LatestVersion().WithResult().Send(ctx)
		return err
	})
	report := summarize(outcomes, start.Add(*warmup), *duration)
	if *timeline {
		report["timeline"] = perSecond(outcomes, start.Add(*warmup), *duration)
		report["timelineStartUnixMs"] = start.Add(*warmup).UnixMilli()
	}
	report["worker"] = *workerMode
	report["targetRatePerS"] = *rate
	report["inflightMax"] = *inflightMax
	report["jobsCompleted"] = jobsCompleted.get()
	report["jobErrors"] = jobErrors.get()
	report["clientCpuSeconds"] = cpuSeconds() - cpuBefore
	report["wallSeconds"] = time.Since(start).Seconds()
	return report, nil
}

// generate starts instances on a fixed schedule (rate > 0) or back to back (rate 0) for span, at most inflightMax
// at a time, and returns every outcome once all have answered (each call gives up after 30 s).
func generate(start time.Time, rate float64, inflightMax int, span time.Duration, create func(context.Context) error) []outcome {
	end := start.Add(span)
	slots := make(chan struct{}, inflightMax)
	var mutex sync.Mutex
	var running sync.WaitGroup
	outcomes := make([]outcome, 0, 1<<16)
	for i := 0; ; i++ {
		var scheduled time.Time
		if rate > 0 {
			scheduled = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			time.Sleep(time.Until(scheduled))
			slots <- struct{}{}
		} else {
			// Back to back: an instance is due when a slot frees, so latency is the call's own round trip.
			slots <- struct{}{}
			scheduled = time.Now()
		}
		if scheduled.After(end) {
			<-slots
			break
		}
		running.Add(1)
		go func() {
			defer running.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := create(ctx)
			cancel()
			<-slots
			mutex.Lock()
			outcomes = append(outcomes, outcome{scheduled: scheduled, done: time.Now(), code: status.Code(err)})
			mutex.Unlock()
		}()
	}
	running.Wait()
	return outcomes
}

// summarize measures the window [from, from+duration): throughput counts instances that completed inside it,
// latency and errors count instances that were due to start inside it.
func summarize(outcomes []outcome, from time.Time, duration time.Duration) map[string]any {
	to := from.Add(duration)
	completedInWindow := 0
	started := 0
	errorsByCode := map[string]int{}
	latencies := make([]float64, 0, len(outcomes))
	for _, o := range outcomes {
		if o.code == codes.OK && !o.done.Before(from) && o.done.Before(to) {
			completedInWindow++
		}
		if o.scheduled.Before(from) || !o.scheduled.Before(to) {
			continue
		}
		started++
		if o.code != codes.OK {
			errorsByCode[o.code.String()]++
			continue
		}
		latencies = append(latencies, float64(o.done.Sub(o.scheduled).Microseconds())/1000)
	}
	sort.Float64s(latencies)
	return map[string]any{
		"completedPerS": float64(completedInWindow) / duration.Seconds(),
		"startedPerS":   float64(started) / duration.Seconds(),
		"started":       started,
		"errors":        errorsByCode,
		"p50Ms":         percentile(latencies, 0.50),
		"p90Ms":         percentile(latencies, 0.90),
		"p99Ms":         percentile(latencies, 0.99),
		"maxMs":         percentile(latencies, 1),
	}
}

// perSecond buckets the window's instances by the second they were due in: p99, max and errors of each second,
// so a tail can be matched to what the broker did then (a snapshot, a garbage collection).
func perSecond(outcomes []outcome, from time.Time, duration time.Duration) []map[string]any {
	seconds := int(duration.Seconds())
	latencies := make([][]float64, seconds)
	errors := make([]int, seconds)
	for _, o := range outcomes {
		second := int(o.scheduled.Sub(from).Seconds())
		if o.scheduled.Before(from) || second >= seconds {
			continue
		}
		if o.code != codes.OK {
			errors[second]++
			continue
		}
		latencies[second] = append(latencies[second], float64(o.done.Sub(o.scheduled).Microseconds())/1000)
	}
	buckets := make([]map[string]any, seconds)
	for second, values := range latencies {
		sort.Float64s(values)
		buckets[second] = map[string]any{"second": second, "due": len(values) + errors[second], "p99Ms": percentile(values, 0.99), "maxMs": percentile(values, 1), "errors": errors[second]}
	}
	return buckets
}

// percentile by the nearest-rank method; -1 when nothing completed, so that an empty window cannot look fast.
func percentile(sorted []float64, fraction float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	rank := int(fraction*float64(len(sorted))+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	return sorted[rank]
}

// fill starts count instances (plain CreateProcessInstance, no worker) that then wait at their job: the state of the
// scale-of-state scenario. Back-pressure is expected here, so RESOURCE_EXHAUSTED is retried after a short pause.
func fill(args []string) (any, error) {
	flags := flag.NewFlagSet("fill", flag.ExitOnError)
	gateway := flags.String("gateway", "127.0.0.1:26500", "gateway address")
	processID := flags.String("process", "bench-waiting", "BPMN process id to create instances of")
	count := flags.Int("count", 100_000, "instances to create")
	inflightMax := flags.Int("inflight", 512, "most creations in flight")
	_ = flags.Parse(args)
	client, err := connect(*gateway)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	var retried, failed counter
	jobs := make(chan struct{}, *inflightMax)
	var running sync.WaitGroup
	start := time.Now()
	for i := 0; i < *count; i++ {
		jobs <- struct{}{}
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-jobs }()
			for attempt := 0; attempt < 100; attempt++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := client.NewCreateInstanceCommand().BPMNProcessId(*processID).LatestVersion().Send(ctx)
				cancel()
				if status.Code(err) != codes.ResourceExhausted {
					if err != nil {
						failed.add()
					}
					return
				}
				retried.add()
				time.Sleep(20 * time.Millisecond)
			}
			failed.add()
		}()
	}
	running.Wait()
	seconds := time.Since(start).Seconds()
	return map[string]any{"created": *count - failed.get(), "failed": failed.get(), "retried": retried.get(), "seconds": seconds, "ratePerS": float64(*count-failed.get()) / seconds, "clientCpuSeconds": cpuSeconds()}, nil
}

// probe activates a few jobs: after a restart, it shows the waiting instances came back, not only the port.
func probe(args []string) (any, error) {
	flags := flag.NewFlagSet("probe", flag.ExitOnError)
	gateway := flags.String("gateway", "127.0.0.1:26500", "gateway address")
	jobType := flags.String("job-type", "bench-waiting", "job type to activate")
	_ = flags.Parse(args)
	client, err := connect(*gateway)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := client.NewActivateJobsCommand().JobType(*jobType).MaxJobsToActivate(10).Timeout(time.Minute).WorkerName("probe").Send(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"activated": len(jobs)}, nil
}

type counter struct{ value atomic.Int64 }

func (c *counter) add()     { c.value.Add(1) }
func (c *counter) get() int { return int(c.value.Load()) }

// cpuSeconds is the user and system CPU time this process has used, so RESULTS.md can say what the client cost.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return -1
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}
