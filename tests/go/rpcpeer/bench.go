package main

// Bench mode: n sequential calls on one connection, as one eve-bridge invocation makes
// them, timed one by one.

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

type benchResult struct {
	N           int     `json:"n"`
	P50Us       float64 `json:"p50Us"`
	P99Us       float64 `json:"p99Us"`
	CallsPerSec float64 `json:"callsPerSec"`
}

func runBench(socket string, n int) (string, error) {
	client, err := dial(socket)
	if err != nil {
		return "", err
	}
	defer client.Close()
	args := ConnectPodAtL2Args{knownCommon(true)}
	for i := 0; i < n/10+1; i++ { // warm up
		if err := call(client, "RPCServer.ConnectPodAtL2", &args, &ConnectPodAtL2Retval{}); err != nil {
			return "", err
		}
	}
	times := make([]time.Duration, n)
	start := time.Now()
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := call(client, "RPCServer.ConnectPodAtL2", &args, &ConnectPodAtL2Retval{}); err != nil {
			return "", err
		}
		times[i] = time.Since(t)
	}
	total := time.Since(start)
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	pick := func(q float64) float64 {
		return float64(times[int(q*float64(n-1))].Nanoseconds()) / 1000
	}
	out, err := json.Marshal(benchResult{N: n, P50Us: pick(0.5), P99Us: pick(0.99), CallsPerSec: float64(n) / total.Seconds()})
	if err != nil {
		return "", fmt.Errorf("encode: %v", err)
	}
	return string(out), nil
}
