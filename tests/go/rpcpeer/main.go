// rpcpeer: a Go peer for the zedrouter CNI RPC, built with the standard library's net/rpc
// and net/rpc/jsonrpc, i.e. the same wire code as EVE's zedrouter and eve-bridge.
//
//	rpcpeer server -socket P
//	    serve RPCServer.* on P; prints "ready" once listening (see server.go for steering)
//	rpcpeer client -socket P -case all|concurrent|errors
//	    call a server under test with known values and check the replies;
//	    prints {"ok":true,"calls":N} and exits 0, or {"ok":false,"error":"..."} and exits 1
//	rpcpeer client -socket P -method M -params JSON
//	    call M (RPCServer.X, or a bare X) with JSON decoded into Go's Args type (Go key
//	    rules: MAC as base64, IPNet as {IP,Mask}); prints {"result":<Go re-encoded>,
//	    "error":null} and exits 0, or {"result":null,"error":"<remote string>"} and exits 1;
//	    a call that got no answer (connection closed, -timeout passed) prints
//	    {"result":null,"error":null,"transportError":"<Go's error>"} and exits 3;
//	    dial/usage problems go to stderr with exit 2
//	rpcpeer bench -socket P -n N
//	    N sequential ConnectPodAtL2 calls; prints {"n","p50Us","p99Us","callsPerSec"}
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
)

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "rpcpeer: "+format+"\n", args...)
	os.Exit(code)
}

func printJSON(v interface{}) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: rpcpeer server|client|bench -socket PATH [...]")
	}
	mode := os.Args[1]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	socket := flags.String("socket", "", "unix socket path")
	caseName := flags.String("case", "", "client: a known case (all, concurrent, errors)")
	method := flags.String("method", "", "client: method to call with -params")
	params := flags.String("params", "{}", "client: Go-style JSON of the args")
	n := flags.Int("n", 2000, "bench: number of calls")
	timeout := flags.Duration("timeout", callTimeout, "client: deadline of each call")
	_ = flags.Parse(os.Args[2:])
	callTimeout = *timeout
	if *socket == "" {
		fail(2, "-socket is required")
	}
	switch mode {
	case "server":
		if err := runServer(*socket); err != nil {
			fail(2, "%v", err)
		}
	case "client":
		if *method != "" {
			result, remote, err := runGeneric(*socket, *method, *params)
			var transport transportError
			if errors.As(err, &transport) {
				printJSON(map[string]interface{}{"result": nil, "error": nil, "transportError": err.Error()})
				os.Exit(3)
			}
			if err != nil {
				fail(2, "%v", err)
			}
			if remote != nil {
				printJSON(map[string]interface{}{"result": nil, "error": remote.Error()})
				os.Exit(1)
			}
			printJSON(map[string]interface{}{"result": result, "error": nil})
			return
		}
		calls, err := runCase(*socket, *caseName)
		if err != nil {
			printJSON(map[string]interface{}{"ok": false, "error": err.Error()})
			os.Exit(1)
		}
		printJSON(map[string]interface{}{"ok": true, "calls": calls})
	case "bench":
		out, err := runBench(*socket, *n)
		if err != nil {
			fail(2, "%v", err)
		}
		fmt.Println(out)
	default:
		fail(2, "unknown mode %q (server, client, bench)", mode)
	}
}
