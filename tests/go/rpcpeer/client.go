package main

// Client modes: the real Go net/rpc/jsonrpc client (what EVE's eve-bridge uses) calling a
// server under test.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"reflect"
	"strings"
	"sync"
	"time"
)

// callTimeout bounds each call (net/rpc has no deadline of its own); -timeout changes it.
var callTimeout = 10 * time.Second

func dial(socket string) (*rpc.Client, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, err
	}
	return jsonrpc.NewClient(conn), nil
}

// call is client.Call with a deadline (net/rpc has none of its own).
func call(client *rpc.Client, method string, args, reply interface{}) error {
	done := client.Go(method, args, reply, make(chan *rpc.Call, 1)).Done
	select {
	case c := <-done:
		return c.Error
	case <-time.After(callTimeout):
		return fmt.Errorf("no reply to %s within %s", method, callTimeout)
	}
}

func mustMAC(text string) net.HardwareAddr {
	mac, err := net.ParseMAC(text)
	if err != nil {
		panic(err)
	}
	return mac
}

func mustCIDR(text string) *net.IPNet {
	ip, n, err := net.ParseCIDR(text)
	if err != nil {
		panic(err)
	}
	n.IP = ip // keep the host address, as eve-bridge does with DHCP-obtained addresses
	return n
}

// knownCommon are the values the "all" case sends; the test's server handlers expect them.
func knownCommon(withMAC bool) CommonCNIRPCArgs {
	c := CommonCNIRPCArgs{
		Pod:             AppPod{Name: "nginx-1a2b3-0-x7k2p", NetNsPath: "/var/run/netns/cni-5e0c", Namespace: "eve-kube-app"},
		PodInterface:    NetInterfaceWithNs{Name: "net1", NetNsPath: "/var/run/netns/cni-5e0c"},
		NetworkInstance: "9f3c1d2e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
	}
	if withMAC {
		c.PodInterface.MAC = mustMAC("1e:a8:c3:77:12:5d")
	}
	return c
}

func knownIPAM() PodIPAMConfig {
	return PodIPAMConfig{
		IPs: []PodIPAddress{
			{Address: mustCIDR("10.11.12.5/24"), Gateway: net.ParseIP("10.11.12.1")},
			{Address: mustCIDR("fd00:11::5/64"), Gateway: net.ParseIP("fd00:11::1")},
		},
		Routes: []PodRoute{
			{Dst: mustCIDR("0.0.0.0/0"), GW: net.ParseIP("10.11.12.1")},
			{Dst: mustCIDR("10.43.0.0/16")},
		},
		DNS: PodDNS{Nameservers: []string{"10.11.12.1"}, Search: nil, Options: []string{}},
	}
}

type checker struct{ failures []string }

func (c *checker) equal(what string, got, want interface{}) {
	if !reflect.DeepEqual(got, want) {
		c.failures = append(c.failures, fmt.Sprintf("%s: got %#v, want %#v", what, got, want))
	}
}

func (c *checker) err() error {
	if len(c.failures) == 0 {
		return nil
	}
	return errors.New(strings.Join(c.failures, "; "))
}

// caseAll calls the four methods on one connection (ids 0..3) and checks the replies.
func caseAll(client *rpc.Client) (int, error) {
	var ck checker
	l2 := ConnectPodAtL2Retval{}
	if err := call(client, "RPCServer.ConnectPodAtL2", &ConnectPodAtL2Args{knownCommon(true)}, &l2); err != nil {
		return 0, err
	}
	ck.equal("L2 AppUUID", l2.AppUUID, fixedAppUUID)
	ck.equal("L2 UseDHCP", l2.UseDHCP, true)
	ck.equal("L2 Interfaces", l2.Interfaces, []NetInterfaceWithNs{
		{Name: "bn1", MAC: bridgeMAC},
		{Name: "nbu1x1"},
		knownCommon(true).PodInterface,
	})
	l3 := ConnectPodAtL3Retval{}
	if err := call(client, "RPCServer.ConnectPodAtL3", &ConnectPodAtL3Args{knownCommon(true), knownIPAM()}, &l3); err != nil {
		return 0, err
	}
	ck.equal("L3 AppUUID", l3.AppUUID, fixedAppUUID)
	check := CheckPodConnectionRetval{}
	if err := call(client, "RPCServer.CheckPodConnection", &CheckPodConnectionArgs{knownCommon(false)}, &check); err != nil {
		return 0, err
	}
	ck.equal("Check AppUUID", check.AppUUID, fixedAppUUID)
	ck.equal("Check UsesDHCP", check.UsesDHCP, true)
	del := DisconnectPodRetval{}
	if err := call(client, "RPCServer.DisconnectPod", &DisconnectPodArgs{knownCommon(false)}, &del); err != nil {
		return 0, err
	}
	ck.equal("Disconnect AppUUID", del.AppUUID, fixedAppUUID)
	ck.equal("Disconnect UsedDHCP", del.UsedDHCP, true)
	return 4, ck.err()
}

// caseConcurrent: many calls in flight on one connection; each reply must echo its own MAC.
func caseConcurrent(client *rpc.Client) (int, error) {
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			args := ConnectPodAtL2Args{knownCommon(true)}
			args.Pod.Name = fmt.Sprintf("pod-%d", i)
			args.PodInterface.MAC = net.HardwareAddr{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
			reply := ConnectPodAtL2Retval{}
			if err := call(client, "RPCServer.ConnectPodAtL2", &args, &reply); err != nil {
				errs <- err
				return
			}
			last := reply.Interfaces[len(reply.Interfaces)-1]
			if !bytes.Equal(last.MAC, args.PodInterface.MAC) {
				errs <- fmt.Errorf("call %d: reply echoes MAC %s, want %s", i, last.MAC, args.PodInterface.MAC)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, err
	}
	return n, nil
}

// caseErrors: a handler's error, net/rpc's not-found errors, then a good call still works.
func caseErrors(client *rpc.Client) (int, error) {
	var ck checker
	args := ConnectPodAtL2Args{knownCommon(true)}
	args.Pod.Name = "fail"
	err := call(client, "RPCServer.ConnectPodAtL2", &args, &ConnectPodAtL2Retval{})
	ck.equal("handler error", fmt.Sprint(err), "failed to find app network status for pod fail")
	err = call(client, "RPCServer.NoSuchMethod", &args, &ConnectPodAtL2Retval{})
	ck.equal("unknown method", fmt.Sprint(err), "rpc: can't find method RPCServer.NoSuchMethod")
	err = call(client, "NoSuchService.X", &args, &ConnectPodAtL2Retval{})
	ck.equal("unknown service", fmt.Sprint(err), "rpc: can't find service NoSuchService.X")
	reply := ConnectPodAtL2Retval{}
	err = call(client, "RPCServer.ConnectPodAtL2", &ConnectPodAtL2Args{knownCommon(true)}, &reply)
	ck.equal("call after errors", err, nil)
	ck.equal("call after errors AppUUID", reply.AppUUID, fixedAppUUID)
	return 4, ck.err()
}

func runCase(socket, name string) (int, error) {
	client, err := dial(socket)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	switch name {
	case "all":
		return caseAll(client)
	case "concurrent":
		return caseConcurrent(client)
	case "errors":
		return caseErrors(client)
	}
	return 0, fmt.Errorf("unknown case %q (all, concurrent, errors)", name)
}

// transportError is a call that got no answer: the connection closed (io.ErrUnexpectedEOF,
// rpc.ErrShutdown) or the deadline passed; the server said nothing.
type transportError struct{ err error }

func (t transportError) Error() string { return t.err.Error() }

// runGeneric sends params (Go-style JSON of the Args) to method and returns Go's view of the
// reply: the Retval re-encoded by encoding/json, or the error string.
func runGeneric(socket, method, params string) (json.RawMessage, error, error) {
	short := strings.TrimPrefix(method, "RPCServer.")
	if !strings.Contains(method, ".") {
		method = "RPCServer." + method
	}
	var args, reply interface{}
	if a, r, ok := newArgsAndReply(short); ok && strings.HasPrefix(method, "RPCServer.") {
		args, reply = a, r
	} else {
		raw := json.RawMessage{}
		args, reply = &json.RawMessage{}, &raw
	}
	if err := json.Unmarshal([]byte(params), args); err != nil {
		return nil, nil, fmt.Errorf("cannot decode -params into the %s args: %v", method, err)
	}
	client, err := dial(socket)
	if err != nil {
		return nil, nil, err
	}
	defer client.Close()
	if remote := call(client, method, args, reply); remote != nil {
		if _, ok := remote.(rpc.ServerError); ok {
			return nil, remote, nil
		}
		return nil, nil, transportError{remote}
	}
	out, err := json.Marshal(reply)
	return out, nil, err
}
