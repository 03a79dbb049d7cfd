package main

// Server mode: serves RPCServer.* like EVE's zedrouter does (net/rpc + jsonrpc codec, one
// goroutine per connection and per call). Pod names steer it, so tests can ask for:
//   "describe..." -> the error string "decoded <JSON of what Go decoded>"
//   "fail"        -> the error "failed to find app network status for pod fail"
//   "slow..."     -> a reply delayed by 300 ms (to see replies overtake each other)
// Anything else gets fixed, known results (L2 echoes the pod interface back).

import (
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"os"
	"strings"
	"time"
)

const fixedAppUUID = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d"

var bridgeMAC = net.HardwareAddr{0x00, 0x16, 0x3e, 0x5a, 0xc1, 0x01}

// RPCServer is the service; its name is what clients put before the dot.
type RPCServer struct{}

func steer(c CommonCNIRPCArgs, args interface{}) error {
	name := c.Pod.Name
	switch {
	case strings.HasPrefix(name, "describe"):
		return errors.New("decoded " + describeArgs(args))
	case name == "fail":
		return fmt.Errorf("failed to find app network status for pod %s", name)
	case strings.HasPrefix(name, "slow"):
		time.Sleep(300 * time.Millisecond)
	}
	return nil
}

func (s *RPCServer) ConnectPodAtL2(args *ConnectPodAtL2Args, reply *ConnectPodAtL2Retval) error {
	if err := steer(args.CommonCNIRPCArgs, args); err != nil {
		return err
	}
	reply.AppUUID = fixedAppUUID
	reply.UseDHCP = true
	reply.Interfaces = []NetInterfaceWithNs{
		{Name: "bn1", MAC: bridgeMAC},
		{Name: "nbu1x1"},
		args.PodInterface,
	}
	return nil
}

func (s *RPCServer) ConnectPodAtL3(args *ConnectPodAtL3Args, reply *ConnectPodAtL3Retval) error {
	if err := steer(args.CommonCNIRPCArgs, args); err != nil {
		return err
	}
	reply.AppUUID = fixedAppUUID
	return nil
}

func (s *RPCServer) DisconnectPod(args *DisconnectPodArgs, reply *DisconnectPodRetval) error {
	if err := steer(args.CommonCNIRPCArgs, args); err != nil {
		return err
	}
	reply.AppUUID = fixedAppUUID
	reply.UsedDHCP = true
	return nil
}

func (s *RPCServer) CheckPodConnection(args *CheckPodConnectionArgs, reply *CheckPodConnectionRetval) error {
	if err := steer(args.CommonCNIRPCArgs, args); err != nil {
		return err
	}
	reply.AppUUID = fixedAppUUID
	reply.UsesDHCP = true
	return nil
}

func runServer(socket string) error {
	server := rpc.NewServer()
	if err := server.Register(&RPCServer{}); err != nil {
		return err
	}
	_ = os.Remove(socket)
	listener, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for {
		conn, err := listener.Accept()
		if err != nil {
			return err
		}
		go server.ServeCodec(jsonrpc.NewServerCodec(conn))
	}
}
