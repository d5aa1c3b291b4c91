package main

// A job worker on StreamActivatedJobs (Zeebe 8.4's job push), which the 8.3 Go client predates: the broker pushes
// each job to the open stream as it is created, so a job waits for no ActivateJobs round trip. The request is encoded
// by hand (its message is not in the 8.3 client's generated code); the pushed jobs are the client's own ActivatedJob.

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/camunda/zeebe/clients/go/v8/pkg/pb"
	"github.com/camunda/zeebe/clients/go/v8/pkg/zbc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const streamMethod = "/gateway_protocol.Gateway/StreamActivatedJobs"

// streamRegisteredTimeout bounds the wait for the first stream's response headers.
const streamRegisteredTimeout = 10 * time.Second

// rawRequestCodec sends an already encoded request and decodes responses as protobuf messages.
type rawRequestCodec struct{}

func (rawRequestCodec) Marshal(v any) ([]byte, error) {
	if encoded, ok := v.(*[]byte); ok {
		return *encoded, nil
	}
	return proto.Marshal(v.(proto.Message))
}
func (rawRequestCodec) Unmarshal(data []byte, v any) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (rawRequestCodec) Name() string { return "proto" }

// streamRequest encodes StreamActivatedJobsRequest{type = 1, worker = 2, timeout = 3 (ms)}.
func streamRequest(jobType, workerName string, timeout time.Duration) []byte {
	var encoded []byte
	encoded = protowire.AppendTag(encoded, 1, protowire.BytesType)
	encoded = protowire.AppendString(encoded, jobType)
	encoded = protowire.AppendTag(encoded, 2, protowire.BytesType)
	encoded = protowire.AppendString(encoded, workerName)
	encoded = protowire.AppendTag(encoded, 3, protowire.VarintType)
	return protowire.AppendVarint(encoded, uint64(timeout.Milliseconds()))
}

// streamWorker completes every job pushed on a job stream of jobType, at most concurrency at once, until ctx ends.
// A stream that breaks is opened again after a short pause. It returns once the gateway has sent the first stream's
// response headers (it does so once the stream is registered): only jobs created after that are pushed, so an
// instance started earlier would wait for a job no worker ever gets, and a closed loop could stall on such ones.
func streamWorker(ctx context.Context, gateway string, client zbc.Client, jobType string, concurrency int, onDone func(error)) (func(), error) {
	conn, err := grpc.Dial(gateway, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan struct{}, concurrency)
	var handlers sync.WaitGroup
	request := streamRequest(jobType, "loadgen", 30*time.Second)
	registered := make(chan struct{})
	var registeredOnce sync.Once
	go func() {
		for ctx.Err() == nil {
			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, streamMethod, grpc.ForceCodec(rawRequestCodec{}))
			if err == nil {
				err = stream.SendMsg(&request)
			}
			if err == nil {
				err = stream.CloseSend()
			}
			if err == nil {
				_, err = stream.Header()
			}
			if err == nil {
				registeredOnce.Do(func() { close(registered) })
			}
			for err == nil {
				job := &pb.ActivatedJob{}
				if err = stream.RecvMsg(job); err != nil {
					break
				}
				slots <- struct{}{}
				handlers.Add(1)
				go func(key int64) {
					defer handlers.Done()
					callCtx, callCancel := context.WithTimeout(context.Background(), 30*time.Second)
					_, completeErr := client.NewCompleteJobCommand().JobKey(key).Send(callCtx)
					callCancel()
					<-slots
					onDone(completeErr)
				}(job.Key)
			}
			if ctx.Err() == nil {
				log.Printf("job stream of %q ended: %v; opening it again", jobType, err)
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	stop := func() { cancel(); handlers.Wait(); _ = conn.Close() }
	select {
	case <-registered:
		return stop, nil
	case <-time.After(streamRegisteredTimeout):
		stop()
		return nil, fmt.Errorf("expected the gateway to answer the job stream of %q with its headers within %v", jobType, streamRegisteredTimeout)
	}
}
