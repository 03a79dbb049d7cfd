package main

// The shapes of EVE's pkg/kube/cnirpc types (field names and Go types as EVE declares
// them, so encoding/json writes and reads exactly what EVE's eve-bridge and zedrouter do).
// The UUIDs are strings here: satori/go.uuid marshals canonical text, and stdlib only.

import "net"

// AppPod is the pod an app runs in. Namespace is sent by newer EVE clients only.
type AppPod struct {
	Name      string
	NetNsPath string
	Namespace string
}

// NetInterfaceWithNs is one network interface (bridge, host veth or pod end).
type NetInterfaceWithNs struct {
	Name      string
	MAC       net.HardwareAddr
	NetNsPath string
}

// CommonCNIRPCArgs is embedded in every Args type (flattened by encoding/json).
type CommonCNIRPCArgs struct {
	Pod          AppPod
	PodInterface NetInterfaceWithNs
	// NetworkInstance is sent by newer EVE clients only.
	NetworkInstance string
}

// CommonCNIRPCRetval is embedded in every Retval type.
type CommonCNIRPCRetval struct {
	AppUUID string
}

type ConnectPodAtL2Args struct {
	CommonCNIRPCArgs
}

type ConnectPodAtL2Retval struct {
	CommonCNIRPCRetval
	UseDHCP    bool
	Interfaces []NetInterfaceWithNs
}

type ConnectPodAtL3Args struct {
	CommonCNIRPCArgs
	PodIPAMConfig
}

type ConnectPodAtL3Retval struct {
	CommonCNIRPCRetval
}

type DisconnectPodArgs struct {
	CommonCNIRPCArgs
}

type DisconnectPodRetval struct {
	CommonCNIRPCRetval
	UsedDHCP bool
}

type CheckPodConnectionArgs struct {
	CommonCNIRPCArgs
}

type CheckPodConnectionRetval struct {
	CommonCNIRPCRetval
	UsesDHCP bool
}

type PodIPAMConfig struct {
	IPs    []PodIPAddress
	Routes []PodRoute
	DNS    PodDNS
}

type PodIPAddress struct {
	Address *net.IPNet
	Gateway net.IP
}

type PodRoute struct {
	Dst *net.IPNet
	GW  net.IP
}

type PodDNS struct {
	Nameservers []string
	Domain      string
	Search      []string
	Options     []string
}

// newArgs returns a pointer to the Args value of a method, and one to its Retval.
func newArgsAndReply(method string) (interface{}, interface{}, bool) {
	switch method {
	case "ConnectPodAtL2":
		return &ConnectPodAtL2Args{}, &ConnectPodAtL2Retval{}, true
	case "ConnectPodAtL3":
		return &ConnectPodAtL3Args{}, &ConnectPodAtL3Retval{}, true
	case "DisconnectPod":
		return &DisconnectPodArgs{}, &DisconnectPodRetval{}, true
	case "CheckPodConnection":
		return &CheckPodConnectionArgs{}, &CheckPodConnectionRetval{}, true
	}
	return nil, nil, false
}
